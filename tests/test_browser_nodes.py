"""What a user clicks, in Debian's chromium against ``manage.py serve`` (web + worker)."""

from __future__ import annotations

import pytest

from swarm.snapshots import refresh_nodes
from tests.conftest import login, make_accounts

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_anonymous_browser_is_sent_to_the_login_page(page, served):
    page.goto(f"{served.url}/nodes/")
    assert "/login/?next=/nodes/" in page.url
    assert page.locator("h1").inner_text() == "Log in to swarmdeck"


def test_a_viewer_logs_in_and_sees_the_node_but_no_operator_actions(
    page, served, use_engine
):
    make_accounts()
    refresh_nodes()

    login(page, served.url, "viewer")

    row = page.locator("#nodes-table tr[data-node]")
    assert row.count() == 1
    assert "x86_64" in row.inner_text() and "linux/amd64" in row.inner_text()
    assert page.locator("#refresh-nodes").count() == 0
    assert page.locator(".role").inner_text() == "viewer"


def test_an_operator_clicks_refresh_and_the_worker_fills_the_page(page, served):
    make_accounts()
    login(page, served.url, "operator")
    assert "No nodes yet" in page.locator("#nodes-panel").inner_text()

    page.click("#refresh-nodes")

    # The real django-q2 worker of `manage.py serve` answers; htmx swaps the panel in.
    page.wait_for_selector("#nodes-table tr[data-node]", timeout=15_000)
    assert "linux/amd64" in page.locator("#nodes-table").inner_text()
    assert "As of" in page.locator(".snapshot-age").inner_text()
