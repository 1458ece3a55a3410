"""Browsing a registry in Debian's chromium: scan, then registry -> repository -> tag."""

from __future__ import annotations

import pytest

from swarm.models import Registry
from tests.conftest import login, make_accounts
from tests.registry_images import Pusher, push_oci_index, push_single

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_operator_scans_and_browses_to_both_platforms_of_a_merged_image(
    page, served, registry_factory
):
    server = registry_factory()
    pusher = Pusher(server.url)
    push_oci_index(pusher, "home/nginx", "1.29.0")  # buildx-style: 2 images + 2 attestations
    push_single(pusher, "home/nginx", "1.29.0-arm64", "linux/arm64")
    Registry.objects.create(name="lan", base_url=server.url)
    make_accounts()
    login(page, served.url, "operator")

    page.click("nav.mainnav >> text=Registries")
    page.click("#registries-table >> text=lan")
    page.click("#scan-now")
    page.wait_for_selector("#job-status:text('succeeded')", timeout=30_000)
    assert "2 tags" in page.locator("#job-outcome").inner_text()

    page.goto(f"{served.url}/registries/")
    page.click("#registries-table >> text=lan")
    page.click("#repositories-table >> text=home/nginx")
    row = page.locator("#tags-table tr[data-tag='1.29.0']")
    assert row.locator(".chip").all_inner_texts() == ["amd64", "arm64"]
    row.locator("a").click()

    platforms = page.locator("#platforms-table tr[data-platform]")
    assert [p.get_attribute("data-platform") for p in platforms.all()] == [
        "linux/amd64", "linux/arm64"]
    assert "unknown/unknown" not in page.content()
    assert page.locator("#platforms-table .badge-attest").count() == 2
    assert page.locator("#ref-tag").inner_text() == f"{server.host}/home/nginx:1.29.0"
