"""What crosses the job-log WebSocket, typed (the browser script reads exactly these)."""

from __future__ import annotations

from typing import Literal, TypedDict

# seq, stream, text, ISO time
LineTuple = tuple[int, str, str, str]


class LinesMessage(TypedDict):
    type: Literal["lines"]
    lines: list[LineTuple]


class StatusMessage(TypedDict):
    type: Literal["status"]
    status: str
    active: bool
    outcome: str
    diagnosis: str
    exit_code: int | None
    last_seq: int
    started_at: str | None
    finished_at: str | None
    result_url: str
    progress: dict[str, object]  # e.g. {"lanes": [...]} for builds
