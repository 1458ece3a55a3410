"""Registry pages and actions (database only), and the inventory of images made by the
real engine and merged by the real docker CLI."""

from __future__ import annotations

import pytest
from django.urls import reverse

from swarm.models import Job, Registry, Tag
from tests.engine_images import build_and_push, manifest_merge_with_cli
from tests.registry_images import Pusher, push_docker_list, push_oci_index
from tests.run_jobs import scan

pytestmark = pytest.mark.django_db


@pytest.fixture
def scanned(registry_factory):
    server = registry_factory()
    pusher = Pusher(server.url)
    push_oci_index(pusher, "apps/api", "2.3")
    push_docker_list(pusher, "apps/web", "1.0")
    registry = Registry.objects.create(name="home", base_url=server.url)
    assert scan(registry).status == "succeeded"
    return registry


def test_the_tag_page_shows_platforms_digests_and_attestation_badges(client, accounts, scanned):
    client.force_login(accounts.viewer)
    tag = Tag.objects.get(name="2.3")
    body = client.get(reverse("swarm:tag", args=[scanned.pk, "apps/api", "2.3"])).content.decode()
    assert "linux/amd64" in body and "linux/arm64" in body
    assert "unknown/unknown" not in body
    assert body.count('class="badge badge-attest"') == 2
    assert f"{scanned.host}/apps/api@{tag.digest}" in body
    assert f"{scanned.host}/apps/api:2.3" in body


def test_repository_and_registry_pages_list_what_the_scan_found(client, accounts, scanned):
    client.force_login(accounts.viewer)
    registry_page = client.get(reverse("swarm:registry", args=[scanned.pk])).content.decode()
    assert "apps/api" in registry_page and "apps/web" in registry_page
    filtered = client.get(reverse("swarm:registry", args=[scanned.pk]), {"q": "web"})
    assert b"apps/web" in filtered.content and b"apps/api" not in filtered.content
    repo_page = client.get(reverse("swarm:repository", args=[scanned.pk, "apps/web"]))
    assert b">amd64<" in repo_page.content and b">arm64<" in repo_page.content


def test_pages_use_a_fixed_number_of_queries(
    client, accounts, scanned, django_assert_max_num_queries
):
    client.force_login(accounts.viewer)
    with django_assert_max_num_queries(12):
        client.get(reverse("swarm:repository", args=[scanned.pk, "apps/web"]))
    with django_assert_max_num_queries(12):
        client.get(reverse("swarm:tag", args=[scanned.pk, "apps/api", "2.3"]))


def test_an_unknown_tag_is_a_404_not_a_crash(client, accounts, scanned):
    client.force_login(accounts.viewer)
    response = client.get(reverse("swarm:tag", args=[scanned.pk, "apps/api", "nope"]))
    assert response.status_code == 404


def test_only_admins_add_registries_and_bad_urls_get_a_message(client, accounts):
    client.force_login(accounts.operator)
    assert client.get(reverse("swarm:registry-add")).status_code == 403
    accounts.operator.is_staff = True
    accounts.operator.save()
    response = client.post(reverse("swarm:registry-add"),
                           {"name": "lan", "base_url": "ftp://192.168.31.98:5000"})
    assert response.status_code == 200
    assert "use http:// or https://" in response.content.decode()
    response = client.post(reverse("swarm:registry-add"),
                           {"name": "lan", "base_url": "192.168.31.98:5000/v2/",
                            "username": "deck", "password": "Sup3r-secret"})
    registry = Registry.objects.get(name="lan")
    assert registry.base_url == "http://192.168.31.98:5000"
    assert registry.password == "Sup3r-secret"
    edit = client.get(reverse("swarm:registry-edit", args=[registry.pk])).content.decode()
    assert "Sup3r-secret" not in edit and "A password is stored" in edit
    # Saving the form with an empty password keeps the stored one.
    client.post(reverse("swarm:registry-edit", args=[registry.pk]),
                {"name": "lan", "base_url": "http://192.168.31.98:5000", "username": "deck"})
    registry.refresh_from_db()
    assert registry.password == "Sup3r-secret"


def test_test_connection_reports_in_words(client, accounts, registry_factory):
    server = registry_factory(htpasswd={"deck": "right-pass"})
    good = Registry.objects.create(name="good", base_url=server.url, username="deck",
                                   password="right-pass")
    bad = Registry.objects.create(name="bad", base_url=server.url + "/", username="deck",
                                  password="wrong-pass")
    down = Registry.objects.create(name="down", base_url="http://127.0.0.1:9")
    client.force_login(accounts.operator)

    def test(registry: Registry) -> str:
        return client.post(reverse("swarm:registry-test", args=[registry.pk]),
                           headers={"HX-Request": "true"}).content.decode()

    assert "username and password accepted (Basic)" in test(good)
    assert "registry/2.0" in test(good)
    result = test(bad)
    assert "✗" in result and "wrong-pass" not in result and "password" in result
    assert "✗" in test(down)


def test_scan_now_starts_one_scan_and_viewers_cannot(client, accounts, scanned,
                                                     django_capture_on_commit_callbacks):
    client.force_login(accounts.viewer)
    assert client.post(reverse("swarm:registry-scan", args=[scanned.pk])).status_code == 403
    client.force_login(accounts.operator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("swarm:registry-scan", args=[scanned.pk]))
    job = Job.objects.filter(kind="registry_scan").latest("pk")
    assert response["Location"] == reverse("swarm:job", args=[job.pk])
    assert job.status == "succeeded"


def test_images_built_by_the_engine_and_merged_by_docker_manifest(swarm_engine, registry):
    base = f"{registry.host}/engine/busybox"
    build_and_push(swarm_engine, f"{base}:1.0-amd64", "linux/amd64")
    build_and_push(swarm_engine, f"{base}:1.0-arm64", "linux/arm64")
    manifest_merge_with_cli(swarm_engine, f"{base}:1.0", f"{base}:1.0-amd64",
                            f"{base}:1.0-arm64")
    reg = Registry.objects.create(name="engine", base_url=registry.url)

    assert scan(reg).status == "succeeded"

    tags = {t.name: t for t in Tag.objects.filter(repository__name="engine/busybox")}
    assert tags["1.0-amd64"].platforms == ["linux/amd64"]
    assert tags["1.0-arm64"].platforms == ["linux/arm64"]
    merged = tags["1.0"]
    assert (merged.kind, merged.platforms) == ("docker_list", ["linux/amd64", "linux/arm64"])
    children = {i.digest for i in merged.images.all()}
    assert children == {tags["1.0-amd64"].digest, tags["1.0-arm64"].digest}
    # The list's children are the per-arch tags, so their configs date them.
    assert all(image.created for image in merged.images.all())


def test_a_new_url_or_username_forgets_the_stored_password(client, accounts):
    accounts.operator.is_staff = True
    accounts.operator.save()
    registry = Registry.objects.create(name="lan", base_url="http://192.168.31.98:5000",
                                       username="deck", password="Sup3r-secret")
    client.force_login(accounts.operator)
    client.post(reverse("swarm:registry-edit", args=[registry.pk]),
                {"name": "lan", "base_url": "http://attacker.example:5000", "username": "deck"})
    registry.refresh_from_db()
    assert registry.base_url == "http://attacker.example:5000" and registry.password == ""


def test_a_password_typed_into_the_url_is_not_echoed_back(client, accounts):
    accounts.operator.is_staff = True
    accounts.operator.save()
    client.force_login(accounts.operator)
    body = client.post(reverse("swarm:registry-add"), {
        "name": "x", "base_url": "http://u:Typed-Secret9@h:5000"}).content.decode()
    assert "Typed-Secret9" not in body and "own fields" in body


def test_forgetting_secrets_while_typing_a_new_password_keeps_the_new_one(client, accounts):
    accounts.operator.is_staff = True
    accounts.operator.save()
    registry = Registry.objects.create(name="lan", base_url="http://h:5000", username="u",
                                       password="old-pass", token="old-token")
    client.force_login(accounts.operator)
    client.post(reverse("swarm:registry-edit", args=[registry.pk]), {
        "name": "lan", "base_url": "http://h:5000", "username": "u", "password": "new-pass",
        "clear_secrets": "on"})
    registry.refresh_from_db()
    assert (registry.password, registry.token) == ("new-pass", "")
