"""Compatibility pages: the image x node matrix and the services page. Database only: the
snapshots and the registry inventory are refreshed by the worker, never in the request."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from swarm import tasks
from swarm.compat_links import HintView, present_hints, tag_url
from swarm.compat_matrix import (
    MatrixBuilder,
    MatrixRow,
    RowStatus,
    classify,
    default_tags,
    filter_tags,
    tag_key,
)
from swarm.compat_nodes import NodeColumn, VerdictCache, availability_groups
from swarm.compat_queries import (
    ServiceRow,
    load_inventory,
    load_node_columns,
    load_service_images,
    load_services,
)
from swarm.image_lookup import ImageMatch, Inventory, pinned_digest, tags_used
from swarm.models import Snapshot
from swarm.roles import operator_required
from swarm.service_compat import ServiceReport, assess_service
from swarm.snapshots import NODES, SERVICES
from swarm.views import request_refresh

NEWEST_TAGS = 20  # shown by default besides the tags services use
MATRIX_PAGE_ROWS = 100
SERVICES_PER_PAGE = 25
QUERY_MAX = 200
STATUS_CHOICES = {"everywhere": RowStatus.EVERYWHERE, "missing": RowStatus.MISSING,
                  "unknown": RowStatus.UNKNOWN}


@dataclass(frozen=True)
class RowView:
    row: MatrixRow
    url: str
    hint: HintView | None


def _bounded(text: str) -> str:
    return text.strip()[:QUERY_MAX]


def _used_by(matches: Sequence[tuple[str, ImageMatch]]) -> dict[tuple[int, str, str], list[str]]:
    used: dict[tuple[int, str, str], list[str]] = {}
    for name, match in matches:
        if match.tag is not None:
            used.setdefault(tag_key(match.tag), []).append(name)
    return used


def _matrix_context(request: HttpRequest) -> dict[str, object]:
    query = _bounded(request.GET.get("q", ""))
    status_name = request.GET.get("status", "")
    status = STATUS_CHOICES.get(status_name)
    columns = load_node_columns()
    images = load_service_images()
    inventory = load_inventory(pinned_digest(image) for _, image in images)
    verdicts = VerdictCache()
    matches = [(name, inventory.match(image)) for name, image in images]
    used_by = _used_by(matches)
    summary, statuses = classify(inventory.tags, columns, verdicts)
    page = None
    if query or status:
        found = filter_tags(inventory.tags, query, status, statuses)
        found.sort(key=lambda t: (t.created is not None, t.created, t.short_reference),
                   reverse=True)
        page = Paginator(found, MATRIX_PAGE_ROWS).get_page(request.GET.get("page"))
        shown = list(page.object_list)
    else:
        used = tags_used(m for _, m in matches)
        shown = default_tags(inventory.tags, used, NEWEST_TAGS)
    builder = MatrixBuilder(columns, verdicts)
    rows = []
    for tag in shown:
        siblings = inventory.repository_tags(tag.registry_id, tag.repository)
        row = builder.row(tag, used_by.get(tag_key(tag), ()), siblings)
        url = tag_url(tag.registry_id, tag.repository, tag.name)
        rows.append(RowView(row, url, present_hints(tag, row.hints, inventory)))
    return {
        "columns": columns, "rows": rows, "reasons": builder.reasons, "summary": summary,
        "query": query,
        "status": status_name if status else "", "page": page,
        "filtered": bool(query or status), "unknown_arch": [c for c in columns if c.node is None],
        "nodes_snapshot": Snapshot.of(NODES), "registry_count": len(inventory.hosts),
        "status_choices": [(key, str(value)) for key, value in STATUS_CHOICES.items()],
        "used_count": len(used_by), "newest": NEWEST_TAGS,
    }


@require_GET
def matrix_page(request: HttpRequest) -> HttpResponse:
    return render(request, "swarm/compat.html", _matrix_context(request))


def _report(service: ServiceRow, columns: Sequence[NodeColumn],
            groups: Sequence[tuple[NodeColumn, ...]], inventory: Inventory,
            verdicts: VerdictCache) -> tuple[ServiceReport, HintView | None]:
    match = inventory.match(service.info.image)
    siblings = (inventory.repository_tags(match.tag.registry_id, match.tag.repository)
                if match.tag else [])
    report = assess_service(service.info, service.replicas_running, service.tasks, columns,
                            match, siblings, verdicts, groups)
    hints = present_hints(match.tag, report.hints, inventory) if match.tag else None
    return report, hints


def service_reports() -> list[tuple[ServiceReport, HintView | None]]:
    """Every service of the snapshot assessed against the node snapshot and the inventory:
    what the services page shows (a fixed number of queries)."""
    columns = load_node_columns()
    services = load_services()
    inventory = load_inventory(pinned_digest(s.info.image) for s in services)
    verdicts = VerdictCache()
    groups = availability_groups(columns)
    return [_report(s, columns, groups, inventory, verdicts) for s in services]


def _services_context(request: HttpRequest) -> dict[str, object]:
    query = _bounded(request.GET.get("q", ""))
    needle = query.lower()
    problems_only = request.GET.get("problems") == "1"
    reports = service_reports()
    total = len(reports)
    with_problems = sum(1 for report, _ in reports if report.has_problems)
    pending = sum(1 for report, _ in reports for line in report.tasks
                  if line.task.state == "pending")
    if needle:
        reports = [(r, h) for r, h in reports
                   if needle in r.service.name.lower() or needle in r.service.image.lower()]
    if problems_only:
        reports = [(r, h) for r, h in reports if r.has_problems]
    # Problems first: they are what someone opening this page came for.
    reports.sort(key=lambda pair: (not pair[0].has_problems, pair[0].service.name))
    page = Paginator(reports, SERVICES_PER_PAGE).get_page(request.GET.get("page"))
    keep = {"q": query, "problems": "1" if problems_only else "",
            "page": str(page.number) if page.number > 1 else ""}
    return {
        "page": page, "reports": page.object_list, "total": total,
        "with_problems": with_problems, "pending_tasks": pending, "query": query,
        "problems_only": problems_only, "snapshot": Snapshot.of(SERVICES),
        "nodes_snapshot": Snapshot.of(NODES),
        "panel_query": urlencode({k: v for k, v in keep.items() if v}),
    }


@require_GET
def services_page(request: HttpRequest) -> HttpResponse:
    return render(request, "swarm/services.html", _services_context(request))


@require_GET
def services_panel(request: HttpRequest) -> HttpResponse:
    return render(request, "swarm/_services_panel.html", _services_context(request))


@require_POST
@operator_required
def refresh_services(request: HttpRequest) -> HttpResponse:
    # Verdicts need both snapshots: the services and the nodes they may run on.
    return request_refresh(request, [tasks.REFRESH_NODES, tasks.REFRESH_SERVICES],
                           "swarm/_services_panel.html", _services_context(request),
                           "swarm:services", pending_key="pending_refresh")
