"""A suggested merge in Debian's chromium: one click, then the verified result."""

from __future__ import annotations

import pytest

from swarm.models import Job, Registry
from tests.conftest import login, make_accounts
from tests.registry_images import Pusher, push_single
from tests.run_jobs import scan

pytestmark = pytest.mark.django_db(transaction=True)


def test_one_click_on_a_suggested_merge_lands_on_the_verified_tag(page, served,
                                                                   registry_factory):
    server = registry_factory()
    pusher = Pusher(server.url)
    push_single(pusher, "home/nginx", "1.29.0-amd64", "linux/amd64")
    push_single(pusher, "home/nginx", "1.29.0-arm64", "linux/arm64")
    registry = Registry.objects.create(name="lan", base_url=server.url)
    assert scan(registry).status == "succeeded"
    make_accounts()
    login(page, served.url, "operator")

    page.click("nav.mainnav >> text=Merge")
    row = page.locator("#suggestions-table tr[data-target='home/nginx:1.29.0']")
    assert row.locator(".chip").all_inner_texts() == ["amd64", "arm64"]
    row.locator("button.merge-suggestion").click()

    # The worker merges, verifies, refreshes the inventory; the page follows to the tag.
    page.wait_for_url("**/registries/*/tags/home/nginx:1.29.0/", timeout=20_000)
    rows = page.locator("#platforms-table tr[data-platform]")
    assert [r.get_attribute("data-platform") for r in rows.all()] == ["linux/amd64",
                                                                      "linux/arm64"]
    job = Job.objects.get(kind="merge")
    assert job.status == "succeeded"

    page.goto(f"{served.url}/jobs/{job.pk}/")
    log = page.locator("#job-log").inner_text()
    assert "verified: 1.29.0 is sha256:" in log
    assert page.locator("#job-result").get_attribute("href").endswith("/home/nginx:1.29.0/")
