"""Every page needs a login; only operators run things."""

from __future__ import annotations

import pytest
from django.urls import reverse

from swarm.models import SwarmNode

pytestmark = pytest.mark.django_db

PAGES = ["swarm:home", "swarm:nodes", "swarm:nodes-table"]


@pytest.mark.parametrize("name", PAGES)
def test_it_redirects_anonymous_requests_to_the_login_page(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_it_redirects_anonymous_refresh_posts_without_running_anything(client, settings):
    settings.DOCKER_HOST = "unix:///nonexistent.sock"
    response = client.post(reverse("swarm:nodes-refresh"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_login_page_is_served_to_anonymous_users(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b"Log in to swarm" in response.content


def test_it_rejects_a_wrong_password_with_a_clear_message(client, accounts):
    response = client.post(reverse("login"), {"username": "viewer", "password": "nope"})
    assert response.status_code == 200
    assert b"do not match" in response.content


def test_a_viewer_sees_nodes_but_no_refresh_button(client, accounts):
    SwarmNode.objects.create(node_id="n1", hostname="laptop", role="manager", state="ready",
                             availability="active", architecture="x86_64",
                             platform="linux/amd64")
    client.force_login(accounts.viewer)
    response = client.get(reverse("swarm:nodes"))
    assert response.status_code == 200
    assert b"laptop" in response.content and b"linux/amd64" in response.content
    assert b"refresh-nodes" not in response.content


def test_a_viewer_cannot_refresh(client, accounts, settings):
    settings.DOCKER_HOST = "unix:///nonexistent.sock"
    client.force_login(accounts.viewer)
    response = client.post(reverse("swarm:nodes-refresh"))
    assert response.status_code == 403


def test_an_operator_refresh_runs_the_refresh_task(
    client, accounts, use_engine, django_capture_on_commit_callbacks
):
    client.force_login(accounts.operator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("swarm:nodes-refresh"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    # Q_CLUSTER["sync"] runs the task inline once the request's transaction commits.
    assert SwarmNode.objects.get().architecture == "x86_64"
    assert b"refresh requested" in response.content


def test_the_page_shows_the_engine_error_and_the_last_snapshot(client, accounts, settings):
    from swarm.models import Snapshot

    SwarmNode.objects.create(node_id="n1", hostname="laptop", role="manager", state="ready",
                             availability="active", architecture="x86_64",
                             platform="linux/amd64")
    snap = Snapshot.of("nodes")
    snap.record_success()
    snap.record_failure("Docker Engine at unix:///x.sock is not reachable (refused).")
    client.force_login(accounts.viewer)
    body = client.get(reverse("swarm:nodes")).content.decode()
    assert "Last refresh failed" in body and "is not reachable" in body
    assert "Showing the last good snapshot" in body and "laptop" in body
    assert "Traceback" not in body


def test_a_viewer_cannot_open_the_admin_site(client, accounts):
    client.force_login(accounts.viewer)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_user_without_a_role_is_told_so_and_sees_nothing(client):
    from django.contrib.auth import get_user_model

    nobody = get_user_model().objects.create_user("nobody", password="x-x-x-x-x")
    client.force_login(nobody)
    response = client.get(reverse("swarm:nodes"))
    assert response.status_code == 403
    assert b"No role yet" in response.content and b"viewers" in response.content
    assert client.post("/logout/").status_code == 302


def test_superusers_need_no_group(client):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", password="x-x-x-x-x")
    client.force_login(admin)
    assert client.get(reverse("swarm:nodes")).status_code == 200
