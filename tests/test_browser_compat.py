"""The compatibility matrix and the services page in Debian's chromium, against
`manage.py serve`, with services the real swarm is really failing to run."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from swarm.models import Registry
from swarm.snapshots import refresh_nodes, refresh_services
from tests.conftest import login, make_accounts
from tests.engine import IsolatedEngine
from tests.registry_images import Pusher, push_oci_index, push_single
from tests.registry_server import RegistryServer
from tests.run_jobs import scan
from tests.swarm_services import ServiceSet, has_error, ran_or_failed, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def failing_services(swarm_engine: IsolatedEngine,
                     registry_factory: Callable[..., RegistryServer]) -> Iterator[RegistryServer]:
    """An arm-only index Swarm places on the amd64 node anyway, and an arm64-only image
    that stays pending: the two warnings the pages exist for."""
    server = registry_factory()
    pusher = Pusher(server.url)
    push_oci_index(pusher, "shop/web", "3.1", ("linux/arm64", "linux/arm/v7"))
    push_single(pusher, "shop/api", "2.0-arm64", "linux/arm64")
    push_single(pusher, "shop/api", "2.0-amd64", "linux/amd64")
    services = ServiceSet(swarm_engine, server.host)
    try:
        services.create("shop-web", "shop/web:3.1")
        services.create("shop-api", "shop/api:2.0-arm64")
        wait_for(swarm_engine, "shop-web", ran_or_failed)
        wait_for(swarm_engine, "shop-api", has_error)
        yield server
    finally:
        services.remove_all()


def test_a_viewer_sees_the_matrix_and_the_services_page_warnings(
    page, served, use_engine, failing_services
):
    make_accounts()
    registry = Registry.objects.create(name="shop", base_url=failing_services.url)
    assert scan(registry).status == "succeeded"
    refresh_nodes()
    refresh_services()
    hostname = use_engine.docker("info", "--format", "{{.Name}}").stdout.strip()
    login(page, served.url, "viewer")

    page.click("nav.mainnav >> text=Compatibility")
    summary = page.locator("#compat-summary").inner_text()
    assert "of 3 images run on every node" in summary and "linux/amd64" in summary
    row = page.locator('tr[data-image="shop/web:3.1"]')
    cell = row.locator("td.cell").first
    assert cell.inner_text() == "✗⚠"  # cannot run, and Swarm would still send it there
    cell.hover()
    title = cell.get_attribute("title") or ""
    assert title.startswith("cannot run: image has only linux/arm/v7, linux/arm64; "
                            "node is x86_64 -> linux/amd64"), title
    assert "Swarm would still place a service of this image here" in title
    api = page.locator('tr[data-image="shop/api:2.0-arm64"]')
    assert "used by" in api.inner_text() and "shop-api" in api.inner_text()
    assert "merge 2.0-arm64 + 2.0-amd64 into shop/api:2.0" in " ".join(api.inner_text().split())

    page.click("nav.mainnav >> text=Services")
    web = page.locator('article[data-service="shop-web"]')
    assert (f"Swarm may place this on {hostname} (amd64) but the image has no linux/amd64: "
            "the task will fail at pull") in web.locator("ul.warnings").inner_text()
    assert "unknown/unknown" in web.locator(".placement-platforms").inner_text()
    assert web.locator('.node-group[data-state="warn"]').count() == 1
    api_card = page.locator('article[data-service="shop-api"]')
    assert "no suitable node (unsupported platform on 1 node)" in api_card.inner_text()
    assert (f"unsupported platform on 1 node: {hostname} (amd64)"
            in api_card.locator(".explained").inner_text())
    assert page.locator("#refresh-services").count() == 0
