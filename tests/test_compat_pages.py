"""The compatibility matrix and the services page (database only): who sees what, what they
say, that bad input gets an answer rather than a crash, and that the number of queries does
not grow with the swarm (50 nodes x 500 tags x 100 services)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from swarm import compat_links
from swarm.image_lookup import InventoryTag
from swarm.models import (
    Registry,
    Repository,
    Snapshot,
    SwarmNode,
    SwarmService,
    SwarmTask,
    Tag,
    TagImage,
)
from swarm.platforms import Platform
from tests.compat_seed import REGISTRY_URL, digest, seed

pytestmark = pytest.mark.django_db
PAGES = ["swarm:compat", "swarm:services", "swarm:services-panel"]
HOST = "192.168.31.98:5000"


def small_swarm() -> None:
    """A laptop and a Pi; an arm-only index used by a service, per-arch tags next to it."""
    SwarmNode.objects.create(node_id="n1", hostname="laptop", role="manager", state="ready",
                             availability="active", os="linux", architecture="x86_64",
                             platform="linux/amd64")
    SwarmNode.objects.create(node_id="n2", hostname="pi", role="worker", state="ready",
                             availability="active", os="linux", architecture="aarch64",
                             platform="linux/arm64")
    registry = Registry.objects.create(name="lan", base_url=REGISTRY_URL)
    repo = Repository.objects.create(registry=registry, name="apps/web")
    for name, platforms, kind in [("1.0", ["linux/arm/v7", "linux/arm64"], "oci_index"),
                                  ("2.0-arm64", ["linux/arm64"], "docker_manifest"),
                                  ("2.0-amd64", ["linux/amd64"], "docker_manifest")]:
        Tag.objects.create(repository=repo, name=name, digest=digest(name), kind=kind,
                           media_type="x", platforms=platforms)
    pi_only = SwarmService.objects.create(
        service_id="s1", name="web", image=f"{HOST}/apps/web:1.0@{digest('1.0')}",
        mode="replicated", replicas_desired=1,
        placement_platforms=[{"OS": "linux", "Architecture": "arm64"}, {"OS": "linux"}],
    )
    SwarmTask.objects.create(task_id="t1", service=pi_only, node_id="n1", slot=1,
                             desired_state="running", state="rejected",
                             err=f"No such image: {HOST}/apps/web:1.0")
    arm64 = SwarmService.objects.create(
        service_id="s2", name="api", image=f"{HOST}/apps/web:2.0-arm64@{digest('2.0-arm64')}",
        mode="replicated", replicas_desired=1,
        placement_platforms=[{"OS": "linux", "Architecture": "arm64"}],
    )
    SwarmTask.objects.create(task_id="t2", service=arm64, slot=1, desired_state="running",
                             state="pending",
                             err="no suitable node (unsupported platform on 1 node)")
    SwarmService.objects.create(service_id="s3", name="proxy", image="nginx:1.29.0",
                                mode="global")
    for kind in ("nodes", "services"):
        Snapshot.of(kind).record_success()


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_requests_go_to_the_login_page(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_matrix_shows_verdicts_the_summary_and_a_merge_hint(client, accounts):
    small_swarm()
    client.force_login(accounts.viewer)

    body = client.get(reverse("swarm:compat")).content.decode()

    assert "<strong>0</strong> of 3 images run on every node; <strong>3</strong> miss" in body
    assert 'data-image="apps/web:1.0" data-status="misses a node"' in body
    assert 'data-level="cannot run"' in body and 'data-level="native"' in body
    assert "v-trap" in body  # Swarm would still send the arm-only index to the laptop
    # Each tooltip text is sent once, as JSON (json_script escapes ">").
    assert 'id="compat-reasons"' in body and "node is x86_64 -\\u003E linux/amd64" in body
    assert "used by <span class=\"badge\">web</span>" in body
    # The per-arch pair can be merged: the merge form exists, so it is a link.
    assert "Open the merge form" in body and f"{reverse('swarm:merge')}?registry=" in body


def test_the_services_page_warns_names_pending_nodes_and_admits_what_it_does_not_know(
    client, accounts
):
    small_swarm()
    client.force_login(accounts.viewer)

    body = client.get(reverse("swarm:services")).content.decode()

    assert ("Swarm may place this on laptop (amd64) but the image has no linux/amd64: "
            "the task will fail at pull") in body
    assert "unsupported platform on 1 node: laptop (amd64)" in body
    assert "the image has no platform for this node (x86_64 -&gt; linux/amd64)" in body
    assert "linux/*" in body and "architecture blanked" in body
    assert "the image is in docker.io, which is not one of swarmdeck&#x27;s registries" in body
    assert "3 services; <strong>3</strong> with problems; 1 task pending" in body
    assert 'id="refresh-services"' not in body  # viewers do not refresh


def test_filters_narrow_both_pages(client, accounts):
    small_swarm()
    client.force_login(accounts.viewer)

    matrix = client.get(reverse("swarm:compat"), {"q": "2.0-", "status": "missing"})
    assert matrix.content.decode().count("<tr data-image=") == 2
    services = client.get(reverse("swarm:services"), {"q": "nginx"}).content.decode()
    assert 'data-service="proxy"' in services and 'data-service="web"' not in services


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("swarm:compat", {"status": "bogus"}),
        ("swarm:compat", {"q": "x" * 10_000, "page": "-3"}),
        ("swarm:compat", {"q": "web", "page": "not-a-number"}),
        ("swarm:services", {"page": "99999", "problems": "maybe"}),
        ("swarm:services-panel", {"q": "\x00<script>"}),
    ],
)
def test_bad_query_parameters_get_a_page_not_a_crash(client, accounts, name, params):
    small_swarm()
    client.force_login(accounts.viewer)
    response = client.get(reverse(name), params)
    assert response.status_code == 200
    assert b"<script>" not in response.content  # the page's own scripts all have attributes


def test_a_service_with_an_unparsable_image_is_explained(client, accounts):
    small_swarm()
    SwarmService.objects.create(service_id="bad", name="broken", image="Not A Ref!")
    client.force_login(accounts.viewer)
    body = client.get(reverse("swarm:services")).content.decode()
    assert "is not a valid image reference" in body


def test_a_service_pinned_to_an_image_inside_an_index_uses_that_platform(client, accounts):
    small_swarm()
    tag = Tag.objects.get(name="1.0")
    TagImage.objects.create(tag=tag, digest=digest("child"), media_type="x",
                            platform="linux/arm64")
    SwarmService.objects.filter(name="web").update(
        image=f"{HOST}/apps/web:1.0@{digest('child')}")
    client.force_login(accounts.viewer)
    body = client.get(reverse("swarm:services")).content.decode()
    assert "pinned to the linux/arm64 image inside apps/web:1.0" in body


def test_empty_snapshots_say_how_to_fill_them(client, accounts):
    client.force_login(accounts.operator)
    matrix = client.get(reverse("swarm:compat")).content.decode()
    assert "the nodes snapshot is empty" in matrix
    services = client.get(reverse("swarm:services")).content.decode()
    assert "No services yet" in services and 'id="refresh-services"' in services


def test_viewers_cannot_refresh(client, accounts, settings):
    settings.DOCKER_HOST = "unix:///nonexistent.sock"
    client.force_login(accounts.viewer)
    assert client.post(reverse("swarm:services-refresh")).status_code == 403


def test_an_operator_refresh_fills_both_snapshots(
    client, accounts, use_engine, django_capture_on_commit_callbacks
):
    client.force_login(accounts.operator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("swarm:services-refresh"), headers={"HX-Request": "true"})
    assert response.status_code == 200 and b"refresh requested" in response.content
    assert Snapshot.of("nodes").ok and Snapshot.of("services").ok
    assert SwarmNode.objects.count() == 1


def test_without_a_merge_form_the_hint_shows_the_docker_manifest_commands(monkeypatch):
    def no_merge_form(name: str, *args: object, **kwargs: object) -> str:
        raise NoReverseMatch(name)

    monkeypatch.setattr(compat_links, "reverse", no_merge_form)
    tag = InventoryTag(1, HOST, "apps/web", "2.0-amd64", digest("x"),
                       (Platform.parse("linux/amd64"),), False, "docker_manifest")
    sibling = InventoryTag(1, HOST, "apps/web", "2.0-arm64", digest("y"),
                           (Platform.parse("linux/arm64"),), False, "docker_manifest")
    from swarm.fix_hints import fix_hints
    from swarm.image_lookup import Inventory

    hints = fix_hints(tag.facts, [Platform.parse("linux/arm64")], [sibling.facts])
    inventory = Inventory(hosts={HOST: 1}, tags=[tag, sibling], plain_http={1: True})
    view = compat_links.present_hints(tag, hints, inventory)

    assert view is not None and view.merge_url is None
    assert view.merge_commands[0] == (
        f"docker manifest create --insecure {HOST}/apps/web:2.0 "
        f"--amend {HOST}/apps/web:2.0-amd64 --amend {HOST}/apps/web:2.0-arm64"
    )


def _queries(client, name: str, params: dict[str, str] | None = None) -> int:  # noqa: ANN001
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse(name), params or {}).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    ("name", "params"),
    [("swarm:compat", None), ("swarm:compat", {"q": "app0", "status": "missing"}),
     ("swarm:services", None), ("swarm:services-panel", {"page": "2"})],
)
def test_the_query_count_does_not_grow_with_the_swarm(client, accounts, name, params):
    client.force_login(accounts.viewer)
    seed(nodes=3, tags=20, services=5)
    small = _queries(client, name, params)

    for model in (SwarmTask, SwarmService, Tag, Repository, Registry, SwarmNode):
        model.objects.all().delete()
    seed(nodes=50, tags=500, services=100)
    large = _queries(client, name, params)

    assert large == small
    assert large <= 12


def test_a_rebuild_hint_offers_the_recipe_that_builds_the_image(client, accounts):
    from swarm.models import BuildRecipe

    small_swarm()
    registry = Registry.objects.get(name="lan")
    recipe = BuildRecipe.objects.create(name="web", registry=registry, repository="apps/web",
                                        tags=["1.0"], platforms=["linux/arm64"])
    client.force_login(accounts.operator)
    body = client.get(reverse("swarm:compat")).content.decode()
    assert "lacks linux/arm/v7, linux/amd64" in body
    assert reverse("swarm:recipe-edit", args=[recipe.pk]) in body

    recipe.platforms = ["linux/amd64", "linux/arm64", "linux/arm/v7"]
    recipe.save()
    body = client.get(reverse("swarm:compat")).content.decode()
    assert reverse("swarm:recipe-build", args=[recipe.pk]) in body
    assert "Rebuild with recipe web" in body
    client.force_login(accounts.viewer)
    assert "Rebuild with recipe" not in client.get(reverse("swarm:compat")).content.decode()
