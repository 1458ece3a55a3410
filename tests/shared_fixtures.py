"""Where the real tool outputs in ``../shared/fixtures`` live, for parser tests."""

from __future__ import annotations

import os
from pathlib import Path

SHARED = Path(os.environ.get("SWARMDECK_SHARED", Path(__file__).resolve().parents[2] / "shared"))
FIXTURES = SHARED / "fixtures"


def fixture_text(relative: str) -> str:
    """The text of one fixture file, exactly as stored (trailing spaces and \\r kept)."""
    return (FIXTURES / relative).read_bytes().decode("utf-8")
