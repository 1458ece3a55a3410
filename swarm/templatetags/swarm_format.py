from datetime import datetime

from django import template
from django.utils import timezone

register = template.Library()

_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]


@register.filter
def bytes_iec(value: int | None) -> str:
    """1 GiB, 3.8 GiB: binary units, as `docker info` shows memory."""
    if not value:
        return "–"
    size = float(value)
    for unit in _UNITS:
        if size < 1024 or unit == _UNITS[-1]:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} PiB"


@register.filter
def age(moment: datetime | None) -> str:
    """'12 s ago', '4 min ago', '3 h ago', '2 d ago': how old a snapshot is, at a glance."""
    if moment is None:
        return "never"
    seconds = max(0, int((timezone.now() - moment).total_seconds()))
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    if seconds < 172800:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


@register.filter
def duration(seconds: float | None) -> str:
    """'0.4 s', '12 s', '3 min 04 s', '1 h 02 min'."""
    if seconds is None:
        return "–"
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = int(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


@register.filter
def short_digest(digest: str | None) -> str:
    """sha256:0123456789ab… (12 hex digits, like docker images)."""
    if not digest:
        return ""
    algorithm, _, hex_part = digest.partition(":")
    return f"{algorithm}:{hex_part[:12]}" if hex_part else digest[:19]


@register.filter
def short_platform(platform: str) -> str:
    """The chip text: 'amd64', 'arm64', 'arm/v7' for linux; the full string otherwise."""
    return platform.removeprefix("linux/") if platform else ""
