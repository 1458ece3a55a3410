"""The dense parts of the compatibility pages: matrix cells and per-node outcomes.

50 nodes x 100 rows is 5 000 cells; the template language costs a few microseconds per
variable, so these are rendered here with ``html.escape``, which keeps both pages well under
the 100 ms budget (bench/compat_pages.py).
"""

from __future__ import annotations

from html import escape

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from swarm.compat_matrix import MatrixRow
from swarm.compat_nodes import NodeColumn
from swarm.service_compat import NodeState, ServiceReport
from swarm.templatetags.swarm_format import short_digest

register = template.Library()

_STATE_TEXT = {
    NodeState.OK: ("✓", "✓"),
    NodeState.WARN: ("✓", "✗"),
    NodeState.MISSED: ("✗", "✓"),
    NodeState.REFUSED: ("✗", "✗"),
}
_OTHER_TEXT = {
    NodeState.UNKNOWN: "platforms unknown",
    NodeState.EXCLUDED: "excluded by constraints",
    NodeState.UNAVAILABLE: "not available",
}


@register.simple_tag(takes_context=True)
def matrix_cells(context: template.Context, row: MatrixRow) -> SafeString:
    """One ``<td>`` per node: the verdict symbol and the number of its reason, which
    static/swarm/compat.js turns into the tooltip (each reason is sent once per page).

    Cells are shared objects (memoised per node klass), so each is formatted once.
    """
    done: dict[int, str] = context.render_context.setdefault("matrix_cells", {})
    parts = []
    for cell in row.cells:
        html = done.get(id(cell))
        if html is None:
            html = done[id(cell)] = (  # every value is escaped here
                f'<td class="cell {cell.css}" data-level="{escape(str(cell.level))}" '
                f'data-why="{cell.why}">{cell.symbol}</td>'
            )
        parts.append(html)
    return mark_safe("".join(parts))


@register.simple_tag
def node_groups(report: ServiceReport) -> SafeString:
    """A line per group of nodes with the same outcome: "Swarm allows? node runs?", the
    nodes, and both reasons as tooltip."""
    lines = []
    for outcome in report.outcomes:
        state = outcome.state
        marks = _STATE_TEXT.get(state)
        verdict = f"Swarm {marks[0]} · runs {marks[1]}" if marks else _OTHER_TEXT[state]
        names = ", ".join(f'<span data-node="{escape(c.name)}">{escape(c.label)}</span>'
                          for c in outcome.columns)
        lines.append(  # every value is escaped here
            f'<div class="node-group ns-{state}" data-state="{state}" '
            f'title="{escape(outcome.title)}"><span class="marks">{verdict}</span> {names}</div>'
        )
    return mark_safe("".join(lines))


@register.simple_tag
def service_image(report: ServiceReport) -> SafeString:
    """The image as the service names it: reference, pinned digest, link to its tag page."""
    match = report.match
    reference = match.reference
    if reference is None:
        return mark_safe(f'<span class="mono">{escape(match.text)}</span>')  # escaped
    name = reference.name + (f":{reference.tag}" if reference.tag else "")
    parts = [f'<span class="mono">{escape(name)}</span>']
    if reference.digest:
        parts.append(f' <span class="mono muted" title="{escape(reference.digest)}">'
                     f'@{escape(short_digest(reference.digest))}</span> '
                     '<span class="muted">(pinned)</span>')
    else:
        parts.append(' <span class="muted">(not pinned to a digest)</span>')
    if match.tag is not None:
        url = reverse("swarm:tag", args=[match.tag.registry_id, match.tag.repository,
                                         match.tag.name])
        parts.append(f' · <a href="{escape(url)}">tag page</a>')
    return mark_safe("".join(parts))  # every value is escaped above


@register.simple_tag
def matrix_header(columns: list[NodeColumn]) -> SafeString:
    """A ``<th>`` per node: hostname, platform, and why it is greyed out (down, drained)."""
    cells = []
    for column in columns:
        node = column.node
        arch = column.info.architecture or "?"
        title = f"{arch} -> {node.platform}" if node else f"{arch}: unknown to swarmdeck"
        muted = ""
        if not column.schedulable:
            title += f"; {column.unavailable_reason}"
            muted = " muted"
        short = node.platform.arch_variant if node else arch
        cells.append(  # every value is escaped here
            f'<th class="node-col{muted}" data-node="{escape(column.name)}" '
            f'title="{escape(title)}">{escape(column.name)}'
            f'<div class="small mono">{escape(short)}</div></th>'
        )
    return mark_safe("".join(cells))
