"""Filters for the builders page: GC policy rules and node status in words."""

from __future__ import annotations

from typing import Any

from django import template

from swarm.templatetags.swarm_format import bytes_iec

register = template.Library()

_STATUS_BADGES = {"running": "ready", "error": "failed", "inactive": "warn", "stopped": "warn"}


def span_text(seconds: float) -> str:
    """'2 days', '1 day', '12 h', '30 min', '45 s': a GC keep duration at a glance."""
    whole = int(seconds)
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if whole >= size and whole % size == 0 or whole >= size * 10:
            count = round(whole / size)
            return f"{count} {unit}{'s' if unit == 'day' and count != 1 else ''}"
    return f"{whole} s"


@register.filter
def gc_rule(rule: dict[str, Any]) -> str:
    """'source.local, exec.cachemount: kept 2 days, at most 488.3 MiB'."""
    filters = [f.replace("type==", "") for f in rule.get("filters") or []]
    scope = ", ".join(filters) or ("everything" if rule.get("all") else "unused build cache")
    limits = []
    if rule.get("keep_duration"):
        limits.append(f"kept {span_text(rule['keep_duration'])}")
    for key, words in (("keep_bytes", "keeps {}"), ("reserved_space", "reserves {}"),
                       ("max_used_space", "at most {}"), ("min_free_space", "leaves {} free")):
        if rule.get(key):
            limits.append(words.format(bytes_iec(rule[key])))
    return f"{scope}: {', '.join(limits) or 'no limit'}"


@register.filter
def node_badge(status: str) -> str:
    return _STATUS_BADGES.get(status, "warn")
