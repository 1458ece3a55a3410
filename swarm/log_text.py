"""Turning raw process output into storable log lines (pure, no I/O)."""

from __future__ import annotations

MAX_LINE_CHARS = 4000


def decode_output(raw: bytes) -> str:
    """Process output as text: invalid UTF-8 becomes U+FFFD instead of an error."""
    return raw.decode("utf-8", errors="replace")


def split_long_line(text: str, limit: int = MAX_LINE_CHARS) -> list[str]:
    """A line longer than ``limit`` becomes several, so one runaway line cannot make a row
    (or a browser's text node) huge; each continuation starts with a marker."""
    if len(text) <= limit:
        return [text]
    pieces = [text[:limit]]
    rest = text[limit:]
    while rest:
        pieces.append("↪ " + rest[: limit - 2])
        rest = rest[limit - 2 :]
    return pieces


class LineSplitter:
    """Splits a byte stream into lines across chunk borders (``\\n``; a trailing ``\\r`` is
    dropped, so CRLF output and progress redraws read as plain lines)."""

    def __init__(self) -> None:
        self._pending = b""

    def feed(self, chunk: bytes) -> list[str]:
        data = self._pending + chunk
        *complete, self._pending = data.split(b"\n")
        return [decode_output(line.rstrip(b"\r")) for line in complete]

    def finish(self) -> list[str]:
        rest, self._pending = self._pending, b""
        return [decode_output(rest.rstrip(b"\r"))] if rest else []
