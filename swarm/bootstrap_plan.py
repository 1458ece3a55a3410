"""Decisions of the Bootstrap job that need no I/O: its parameters, whether an existing
builder already has the wanted config, and the summary it ends with (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from swarm import buildx_argv
from swarm.builder_status import BUILDKITD_TOML
from swarm.buildkitd_config import insecure_registries
from swarm.buildx_inspect import Builder

DRIVER = "docker-container"
RECREATE_ADVICE = (
    "buildx copies buildkitd.toml into a builder when it is created, so a new config only "
    "takes effect in a new builder. Run Bootstrap again with \u201cRecreate the builder\u201d "
    "ticked: it removes the builder (and its build cache) and creates it again."
)
_TRUE = {"1", "true", "on", "yes"}


def _flag(value: Any, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in _TRUE


@dataclass(frozen=True)
class BootstrapParams:
    builder: str
    image: str
    platforms: str
    use: bool = True
    recreate: bool = False
    append_endpoint: str = ""
    append_node: str = ""

    @classmethod
    def from_params(cls, params: Mapping[str, Any], defaults: Mapping[str, str]) -> BootstrapParams:
        """Validated parameters; raises buildx_argv.ArgumentError with a readable message."""

        def text(key: str) -> str:
            return str(params.get(key) or defaults.get(key) or "").strip()

        builder = buildx_argv.builder_name(text("builder"))
        endpoint = text("append_endpoint")
        node = ""
        if endpoint:
            endpoint = buildx_argv.node_endpoint(endpoint)
            node = buildx_argv.builder_name(text("append_node") or f"{builder}1")
        return cls(
            builder=builder,
            image=buildx_argv.image_reference(text("image")),
            platforms=buildx_argv.binfmt_platforms(text("platforms")),
            use=_flag(params.get("use"), True),
            recreate=_flag(params.get("recreate"), False),
            append_endpoint=endpoint,
            append_node=node,
        )

    def as_params(self) -> dict[str, Any]:
        return asdict(self)


def stored_config(builder: Builder) -> str | None:
    """The buildkitd.toml the builder was created with, where buildx shows it (0.18+)."""
    for node in builder.nodes:
        if BUILDKITD_TOML in node.files:
            return node.files[BUILDKITD_TOML]
    return None


def config_difference(builder: Builder, wanted_hosts: Iterable[str], file_changed: bool) -> str:
    """Why an existing builder does not match what Bootstrap would create; "" when it does."""
    if builder.driver and builder.driver != DRIVER:
        return f"its driver is {builder.driver}, not {DRIVER}"
    wanted = set(wanted_hosts)
    stored = stored_config(builder)
    if stored is None:
        # Older buildx does not print the stored file: trust ours, if it did not change.
        return "buildkitd.toml changed since the builder was created" if file_changed else ""
    try:
        have = set(insecure_registries(stored))
    except ValueError as error:
        return f"its stored {error}"
    reasons = []
    if wanted - have:
        reasons.append("its buildkitd.toml lacks " + ", ".join(sorted(wanted - have)))
    if have - wanted:
        reasons.append("its buildkitd.toml still marks " + ", ".join(sorted(have - wanted))
                       + " insecure")
    return " and ".join(reasons)


def has_node(builder: Builder | None, name: str, endpoint: str) -> bool:
    if builder is None:
        return False
    return any(node.name == name or node.endpoint == endpoint for node in builder.nodes)


def _short(platform: str) -> str:
    return platform.removeprefix("linux/")


def buildable(nodes: Iterable[Mapping[str, Any]]) -> tuple[list[str], list[str]]:
    """Platforms the running nodes build natively, and the others they build emulated."""
    native: list[str] = []
    emulated: list[str] = []
    for node in nodes:
        if node.get("status") != "running":
            continue
        native += [p for p in node.get("native", []) if p not in native]
    for node in nodes:
        if node.get("status") != "running":
            continue
        for entry in node.get("emulated", []):
            platform = entry["platform"]
            if platform not in native and platform not in emulated:
                emulated.append(platform)
    return native, emulated


def outcome_text(builder: str, native: list[str], emulated: list[str], changes: list[str]) -> str:
    platforms = (
        f"native {', '.join(map(_short, native)) or 'none'}; "
        f"emulated {', '.join(map(_short, emulated)) or 'none'}"
    )
    if not changes:
        return f"nothing changed: builder {builder} was already set up; {platforms}"
    return f"builder {builder} ready: {platforms} ({'; '.join(changes)})"
