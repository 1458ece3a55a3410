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


@require_POST
@operator_required
def refresh_nodes(request: HttpRequest) -> HttpResponse:
    tasks.enqueue(tasks.REFRESH_NODES)
    if request.htmx:
        # The panel re-fetches itself a second later, by when the worker has answered.
        return render(request, "swarm/_nodes_table.html", {**_nodes_context(), "pending": True})
    return redirect("swarm:nodes")
