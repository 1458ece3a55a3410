"""What each buildx builder and node can build, from ``buildx ls``/``inspect`` (pure).

buildx only lists a node's platforms; whether one is native or emulated depends on the
node's own architecture (the ``*_seed*`` fixture lists only arm platforms because its host
was arm64 without emulators), so the node is first tied to a machine: the engine for the
local socket, a swarm node for an ``ssh://``/``tcp://`` host, and only as a last resort
BuildKit's first platform, which is the worker's own one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from swarm.binfmt_output import emulated_platforms
from swarm.buildkitd_config import insecure_registries
from swarm.buildx_failures import node_advice
from swarm.buildx_inspect import Builder, BuilderNode, GCRule
from swarm.buildx_ls import BuilderNodeSummary, BuilderSummary
from swarm.platforms import Platform, Support, native_support

BUILDKITD_TOML = "buildkitd.toml"
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
_GC_FIELDS = ("all", "filters", "keep_duration", "keep_bytes", "reserved_space",
              "max_used_space", "min_free_space", "extra")


@dataclass(frozen=True)
class SwarmHost:
    hostname: str
    address: str
    platform: str  # normalised; "" when swarmdeck does not know the architecture


@dataclass(frozen=True)
class HostFacts:
    """What swarmdeck knows about the machines a builder node may run on."""

    engine_host: str = ""  # DOCKER_HOST as configured; "" is the local default socket
    engine_platform: Platform | None = None
    local_platform: Platform | None = None  # the machine swarmdeck runs on
    swarm_hosts: tuple[SwarmHost, ...] = ()
    emulators: tuple[str, ...] = ()  # QEMU handlers registered on the build host

    @property
    def engine_is_local(self) -> bool:
        return not self.engine_host or self.engine_host.startswith("unix://")


@dataclass(frozen=True)
class NodeMachine:
    platform: Platform | None
    source: str  # says where the architecture came from, for the page's tooltip
    is_build_host: bool  # the engine swarmdeck talks to: its emulator list applies


@dataclass
class BuildxListing:
    """Everything one refresh read from buildx, before it is turned into records."""

    builders: list[BuilderSummary] = field(default_factory=list)  # ls order, current marked
    raw: dict[str, str] = field(default_factory=dict)  # per builder: the output it came from
    inspected: dict[str, Builder] = field(default_factory=dict)
    inspect_errors: dict[str, str] = field(default_factory=dict)


@dataclass
class BuilderState:
    """What one BuilderRecord holds."""

    name: str
    driver: str = ""
    is_current: bool = False
    last_activity: datetime | None = None
    error: str = ""
    nodes: list[dict[str, Any]] = field(default_factory=list)
    insecure_registries: list[str] = field(default_factory=list)
    raw_text: str = ""


# ---------------------------------------------------------------- node machine


def _host_of(endpoint: str) -> tuple[str, str]:
    if "://" not in endpoint:
        return "", ""
    parts = urlsplit(endpoint)
    return parts.scheme, (parts.hostname or "").lower()


def _parse(platform: str) -> Platform | None:
    try:
        return Platform.parse(platform)
    except ValueError:
        return None


def _is_engine(endpoint: str, facts: HostFacts) -> bool:
    if endpoint in ("", "default") or endpoint == facts.engine_host:
        return True
    # A unix socket is on this machine: it is the engine's when the engine is local too.
    return endpoint.startswith("unix://") and facts.engine_is_local


def node_machine(endpoint: str | None, platforms: Iterable[str], facts: HostFacts) -> NodeMachine:
    """Which machine a builder node runs on, and so its native platform."""
    endpoint = endpoint or ""
    if _is_engine(endpoint, facts):
        if facts.engine_platform:
            return NodeMachine(facts.engine_platform, "the engine's architecture", True)
        return _first_platform(platforms, is_build_host=True)
    scheme, host = _host_of(endpoint)
    if scheme in ("ssh", "tcp") and host.strip("[]") in _LOOPBACK and facts.local_platform:
        return NodeMachine(facts.local_platform, "this machine's architecture",
                           facts.engine_is_local)
    for swarm_host in facts.swarm_hosts:
        if host and host in (swarm_host.address.lower(), swarm_host.hostname.lower()):
            platform = _parse(swarm_host.platform)
            if platform:
                return NodeMachine(platform, f"swarm node {swarm_host.hostname}", False)
    return _first_platform(platforms, is_build_host=False)


def _first_platform(platforms: Iterable[str], *, is_build_host: bool) -> NodeMachine:
    # BuildKit lists the worker's own platform first (after any set with --platform).
    for text in platforms:
        platform = _parse(text)
        if platform:
            return NodeMachine(platform, "assumed from BuildKit's first platform",
                               is_build_host)
    return NodeMachine(None, "unknown", is_build_host)


# ---------------------------------------------------------------- platform split


def split_platforms(
    platforms: Iterable[str], machine: Platform | None, emulators: Iterable[str] | None
) -> dict[str, Any]:
    """Native (incl. 32-bit compat) versus emulated platforms of one node.

    ``emulators`` are the QEMU handlers of the node's machine, or None where swarmdeck cannot
    see them (another host): emulated platforms then name no emulator.
    """
    by_platform: dict[str, str] = {}
    for emulator in emulators or ():
        for platform in emulated_platforms([emulator]):
            by_platform.setdefault(platform, emulator)
    split: dict[str, Any] = {"native": [], "compat32": [], "emulated": [], "unknown": []}
    for text in platforms:
        platform = _parse(text)
        if platform is None or machine is None:
            split["unknown"].append(text)
        elif (platform.os, platform.architecture) == (machine.os, machine.architecture):
            # amd64/v2..v4 and arm variants: BuildKit only lists levels the CPU runs.
            split["native"].append(text)
        elif native_support(machine, platform) is Support.COMPAT32:
            split["native"].append(text)
            split["compat32"].append(text)
        else:
            emulator = by_platform.get(str(platform), "")
            split["emulated"].append({"platform": text, "emulator": emulator})
    return split


# ---------------------------------------------------------------- records


def gc_rule_dict(rule: GCRule) -> dict[str, Any]:
    values = dataclasses.asdict(rule)
    return {name: values[name] for name in _GC_FIELDS}


def _first(attribute: str, *sources: object) -> Any:
    """The first non-empty value of ``attribute`` among the sources (ls first, then inspect)."""
    for source in sources:
        value = getattr(source, attribute, None) if source is not None else None
        if value:
            return value
    return None


def _platforms(listed: BuilderNodeSummary | None, inspected: BuilderNode | None) -> list[str]:
    if listed and listed.platforms_complete and listed.platforms:
        return listed.platform_names
    if inspected and inspected.platforms:
        return inspected.platform_names
    if listed:  # a folded table row: the groups still name each architecture once
        return listed.platform_names + [g.platform for g in listed.platform_groups]
    return []


def _user_set(listed: BuilderNodeSummary | None, inspected: BuilderNode | None) -> list[str]:
    # ls JSON carries no "*": only inspect and the tables say what --platform pinned.
    if inspected:
        return inspected.user_set_platforms
    if listed:
        return [p.platform for p in listed.platforms if p.user_set] + [
            g.platform for g in listed.platform_groups if g.user_set
        ]
    return []


def _config(files: Mapping[str, str]) -> tuple[list[str], str]:
    text = files.get(BUILDKITD_TOML)
    if text is None:
        return [], ""
    try:
        return insecure_registries(text), ""
    except ValueError as error:
        return [], str(error)


def node_record(
    listed: BuilderNodeSummary | None, inspected: BuilderNode | None, facts: HostFacts
) -> dict[str, Any]:
    """One node as the page shows it; ``ls`` wins for status, ``inspect`` fills the rest."""
    source = listed or inspected
    name = source.name if source else ""
    endpoint = _first("endpoint", listed, inspected) or ""
    error = _first("error", listed, inspected) or ""
    status = _first("status", listed, inspected) or ("error" if error else "unknown")
    platforms = _platforms(listed, inspected)
    machine = node_machine(endpoint, platforms, facts)
    emulators = facts.emulators if machine.is_build_host else None
    files = _first("files", listed, inspected) or {}
    registries, config_error = _config(files)
    record: dict[str, Any] = {
        "name": name,
        "endpoint": endpoint,
        "status": status,
        "error": error,
        "advice": node_advice(endpoint, error) if error or status == "error" else "",
        "buildkit_version": _first("buildkit_version", listed, inspected) or "",
        "driver_options": _first("driver_options", listed, inspected) or {},
        "daemon_flags": _first("daemon_flags", listed, inspected) or [],
        "labels": _first("labels", listed, inspected) or {},
        "platforms": platforms,
        "user_set": _user_set(listed, inspected),
        "arch": str(machine.platform) if machine.platform else "",
        "arch_source": machine.source,
        "gc_policy": [gc_rule_dict(r) for r in _first("gc_policy", listed, inspected) or []],
        "files": sorted(files),
        "insecure_registries": registries,
        "config_error": config_error,
    }
    record.update(split_platforms(platforms, machine.platform, emulators))
    return record


def _nodes_by_name(nodes: Iterable[Any]) -> dict[str, Any]:
    return {node.name: node for node in nodes}


def builder_state(
    name: str, listed: BuilderSummary | None, listing: BuildxListing, facts: HostFacts
) -> BuilderState:
    inspected = listing.inspected.get(name)
    listed_nodes = _nodes_by_name(listed.nodes if listed else [])
    inspected_nodes = _nodes_by_name(inspected.nodes if inspected else [])
    names = list(listed_nodes) + [n for n in inspected_nodes if n not in listed_nodes]
    nodes = [node_record(listed_nodes.get(n), inspected_nodes.get(n), facts) for n in names]
    registries = sorted({host for node in nodes for host in node["insecure_registries"]})
    error = (listed.error if listed else None) or (inspected.error if inspected else None)
    error = error or listing.inspect_errors.get(name, "")
    return BuilderState(
        name=name,
        driver=_first("driver", listed, inspected) or "",
        is_current=bool(listed and listed.current),
        last_activity=_first("last_activity", listed, inspected),
        error=error,
        nodes=nodes,
        insecure_registries=registries,
        raw_text=listing.raw.get(name, ""),
    )


def builder_states(listing: BuildxListing, facts: HostFacts) -> list[BuilderState]:
    """Every builder the listing knows, in ``ls`` order, then any only inspected."""
    listed = {builder.name: builder for builder in listing.builders}
    names = list(listed) + [n for n in listing.inspected if n not in listed]
    names += [n for n in listing.inspect_errors if n not in names]
    return [builder_state(name, listed.get(name), listing, facts) for name in names]
