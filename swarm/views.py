"""Pages. They read snapshots from the database and never wait on the engine or registry."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from swarm import tasks
from swarm.models import Snapshot, SwarmNode
from swarm.roles import operator_required
from swarm.snapshots import NODES


def _nodes_context() -> dict[str, object]:
    nodes = list(SwarmNode.objects.all())
    return {
        "nodes": nodes,
        "snapshot": Snapshot.of(NODES),
        "platforms": sorted({node.platform for node in nodes if node.platform}),
    }


@require_GET
def nodes_page(request: HttpRequest) -> HttpResponse:
    return render(request, "swarm/nodes.html", _nodes_context())


@require_GET
def nodes_table(request: HttpRequest) -> HttpResponse:
    return render(request, "swarm/_nodes_table.html", _nodes_context())


def request_refresh(
    request: HttpRequest, task_paths: list[str], panel: str, context: dict[str, object],
    page: str, pending_key: str = "pending",
) -> HttpResponse:
    """Queue snapshot refreshes; answer htmx with the panel, which re-fetches itself a
    second later (by when the worker has answered), and a plain POST with the page."""
    for path in task_paths:
        tasks.enqueue(path)
    if request.htmx:
        return render(request, panel, {**context, pending_key: True})
    return redirect(page)


@require_POST
@operator_required
def refresh_nodes(request: HttpRequest) -> HttpResponse:
    return request_refresh(request, [tasks.REFRESH_NODES], "swarm/_nodes_table.html",
                           _nodes_context(), "swarm:nodes")
