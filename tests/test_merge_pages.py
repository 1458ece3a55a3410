"""The merge page (form, preview, suggestions) and the merge_manifests command."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from swarm.models import Job, Registry, Tag
from tests.registry_images import Pusher, push_single
from tests.run_jobs import scan

pytestmark = pytest.mark.django_db


@pytest.fixture
def inventory(registry_factory):
    server = registry_factory()
    pusher = Pusher(server.url)
    push_single(pusher, "nginx", "1.29.0-amd64", "linux/amd64")
    push_single(pusher, "nginx", "1.29.0-arm64", "linux/arm64")
    registry = Registry.objects.create(name="lan", base_url=server.url)
    scan(registry)
    return registry


def post(client, registry, **fields):
    data = {"registry": registry.pk, "keep_attestations": "on", **fields}
    return client.post(reverse("swarm:merge"), data)


def test_the_page_suggests_the_per_arch_merge(client, accounts, inventory):
    client.force_login(accounts.operator)
    body = client.get(reverse("swarm:merge")).content.decode()
    assert 'data-target="nginx:1.29.0"' in body
    assert "1.29.0-amd64" in body and "1.29.0-arm64" in body
    assert 'class="primary merge-suggestion"' in body


def test_a_viewer_sees_suggestions_but_cannot_merge(client, accounts, inventory):
    client.force_login(accounts.viewer)
    body = client.get(reverse("swarm:merge")).content.decode()
    assert 'data-target="nginx:1.29.0"' in body and "merge-suggestion" not in body
    response = post(client, inventory, target="nginx:1.29.0",
                    sources="nginx:1.29.0-amd64 nginx:1.29.0-arm64", action="merge")
    assert response.status_code == 403 and not Job.objects.filter(kind="merge").exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"target": "Nginx:1", "sources": "a:1 b:1"}, "target", "uppercase"),
        ({"target": "nginx@sha256:" + "a" * 64, "sources": "a:1 b:1"}, "target",
         "needs a tag"),
        ({"target": "nginx:1", "sources": "a:1"}, "sources", "at least two"),
        ({"target": "nginx:1", "sources": "a:1 --force"}, "sources", "--force"),
        ({"target": "nginx:1", "sources": "a:1 a:1"}, "sources", "listed twice"),
        ({"target": "nginx:1", "sources": "a:1 a:bad!tag"}, "sources", "a:bad!tag"),
    ],
)
def test_bad_references_get_a_message_next_to_the_field(client, accounts, inventory, fields,
                                                        field, message):
    client.force_login(accounts.operator)
    body = post(client, inventory, action="merge", **fields).content.decode()
    error = body.split(f'id="error-{field}"', 1)[1].split("</div>", 1)[0]
    assert message in error
    assert not Job.objects.filter(kind="merge").exists()


def test_a_source_on_another_registry_is_refused_in_the_form(client, accounts, inventory):
    client.force_login(accounts.operator)
    body = post(client, inventory, target="nginx:1", action="merge",
                sources="nginx:1.29.0-amd64 docker.io/library/nginx:1.29.0").content.decode()
    assert "is on registry &#x27;docker.io&#x27;" in body or "is on registry 'docker.io'" in body


def test_the_preview_shows_platforms_digests_and_the_delete_trap(client, accounts, inventory):
    client.force_login(accounts.operator)
    body = post(client, inventory, target="nginx:1.29.0", action="preview",
                sources="nginx:1.29.0-amd64\nnginx:1.29.0-arm64").content.decode()
    preview = body.split('id="merge-preview"', 1)[1]
    assert "Docker manifest list" in preview
    assert "linux/amd64" in preview and "linux/arm64" in preview
    amd = Tag.objects.get(name="1.29.0-amd64").digest
    assert amd[:19] in preview
    assert "removes every tag on that digest" in preview
    assert not Job.objects.filter(kind="merge").exists()


def test_the_preview_flags_a_platform_conflict(client, accounts, inventory):
    push_single(Pusher(inventory.base_url), "nginx", "other-amd64", "linux/amd64", salt="x")
    scan(inventory)
    client.force_login(accounts.operator)
    body = post(client, inventory, target="nginx:1", action="preview",
                sources="nginx:1.29.0-amd64 nginx:other-amd64").content.decode()
    assert "conflict" in body and "leave one of them out" in body


def test_one_click_merge_runs_and_follows_to_the_tag(client, accounts, inventory,
                                                     django_capture_on_commit_callbacks):
    client.force_login(accounts.operator)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, inventory, target="nginx:1.29.0", action="merge",
                        sources="nginx:1.29.0-amd64 nginx:1.29.0-arm64")
    job = Job.objects.get(kind="merge")
    assert response["Location"] == reverse("swarm:job", args=[job.pk]) + "?follow=1"
    assert job.status == "succeeded"
    followed = client.get(response["Location"])
    assert followed["Location"] == reverse("swarm:tag", args=[inventory.pk, "nginx", "1.29.0"])
    assert Tag.objects.get(name="1.29.0").platforms == ["linux/amd64", "linux/arm64"]


def test_the_command_merges_and_prints_the_log(inventory, capsys):
    host = inventory.host
    call_command("merge_manifests", f"{host}/nginx:1.29.0", f"{host}/nginx:1.29.0-amd64",
                 f"{host}/nginx:1.29.0-arm64")
    out = capsys.readouterr().out
    assert "verified: 1.29.0 is sha256:" in out
    assert "is now a Docker manifest list of linux/amd64, linux/arm64" in out


def test_the_command_fails_with_exit_1_and_a_reason(inventory, capsys):
    with pytest.raises(SystemExit) as exit_info:
        call_command("merge_manifests", "nginx:x", "nginx:1.29.0-amd64", "nginx:missing")
    assert exit_info.value.code == 1
    captured = capsys.readouterr()
    assert "source 'nginx:missing' not found" in captured.out + captured.err
