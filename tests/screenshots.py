"""Screenshots for the README, taken in the real browser against the real stack.

Not part of the normal run (the file name does not start with ``test_``): run it with
``make screenshot``; it rewrites ``docs/screenshots/*.png``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from swarm.snapshots import refresh_nodes
from tests.conftest import login, make_accounts

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
pytestmark = pytest.mark.django_db(transaction=True)


def test_screenshot_nodes_page(page, served, use_engine):
    node_id = use_engine.docker("node", "ls", "-q").stdout.strip()
    use_engine.docker("node", "update", "--label-add", "room=office", "--label-add",
                      "storage=ssd", node_id)
    make_accounts()
    refresh_nodes()
    login(page, served.url, "operator")
    page.wait_for_selector("#nodes-table")
    OUT.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1400, "height": 520})
    page.screenshot(path=str(OUT / "nodes.png"), full_page=True)
