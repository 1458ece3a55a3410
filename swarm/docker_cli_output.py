"""Facts from the plain text of ``docker version`` and ``docker info`` (pure).

The text, not ``--format json``, because the job log shows users exactly what they would
see in their own terminal; the few facts the outcome needs are easy to read back.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VersionFacts:
    client_version: str = ""
    server_version: str = ""


@dataclass(frozen=True)
class InfoFacts:
    server_version: str = ""
    architecture: str = ""
    swarm: str = ""  # active, inactive, pending, error, locked
    is_manager: bool = False


def _sections(text: str) -> dict[str, dict[str, str]]:
    """Top-level sections (``Client:``, ``Server:``) with their first value per label.

    Labels inside a block that has no value of its own (`` Engine:`` under Server) are kept
    as ``Engine.<label>``; other nested labels are flattened, the first one winning.
    """
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    block = ""
    for raw in text.splitlines():
        if not raw.strip():
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        label, _, value = raw.strip().partition(":")
        if indent == 0:
            current = sections.setdefault(label.split(" ")[0], {})
            block = ""
            continue
        if current is None:
            continue
        if indent == 1:
            block = "" if value.strip() else label
            if block:
                continue
        key = f"{block}.{label}" if block and indent > 1 else label
        current.setdefault(key, value.strip())
    return sections


def parse_version(text: str) -> VersionFacts:
    sections = _sections(text)
    client = sections.get("Client", {})
    server = sections.get("Server", {})
    return VersionFacts(
        client_version=client.get("Version", ""),
        server_version=server.get("Engine.Version", server.get("Version", "")),
    )


def parse_info(text: str) -> InfoFacts:
    server = _sections(text).get("Server", {})
    return InfoFacts(
        server_version=server.get("Server Version", ""),
        architecture=server.get("Architecture", ""),
        swarm=server.get("Swarm", ""),
        is_manager=server.get("Is Manager", "") == "true",
    )
