"""A swarm node as the engine describes it, turned into plain values (pure, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from swarm.platforms import Platform

# uname machines that mean a 32-bit OS even where the CPU could do 64-bit (a Pi 4B on
# 32-bit Raspberry Pi OS reports armv7l).
THIRTY_TWO_BIT_MACHINES = frozenset({"armv7l", "armv6l", "armv5tel", "i386", "i686", "armhf"})


@dataclass(frozen=True)
class NodeInfo:
    node_id: str
    hostname: str
    role: str
    is_leader: bool
    state: str
    availability: str
    address: str
    engine_version: str
    os: str
    architecture: str
    platform: str  # normalised "os/arch[/variant]", "" when the architecture is unknown
    cpus: float
    memory_bytes: int
    labels: dict[str, str] = field(default_factory=dict)
    engine_labels: dict[str, str] = field(default_factory=dict)
    message: str = ""


def is_32bit_machine(machine: str) -> bool:
    return machine.lower() in THIRTY_TWO_BIT_MACHINES


def normalised_platform(os_name: str, machine: str) -> str:
    """``linux/arm64`` for (linux, aarch64); "" where the machine string is unknown."""
    try:
        return str(Platform.from_uname(machine, os_name or "linux"))
    except ValueError:
        return ""


def node_from_api(attrs: dict[str, Any]) -> NodeInfo:
    """Build a NodeInfo from ``docker node inspect`` JSON (the SDK's ``Node.attrs``)."""
    spec = attrs.get("Spec") or {}
    description = attrs.get("Description") or {}
    platform = description.get("Platform") or {}
    resources = description.get("Resources") or {}
    engine = description.get("Engine") or {}
    status = attrs.get("Status") or {}
    manager = attrs.get("ManagerStatus") or {}
    os_name = str(platform.get("OS") or "")
    machine = str(platform.get("Architecture") or "")
    return NodeInfo(
        node_id=str(attrs.get("ID") or ""),
        hostname=str(description.get("Hostname") or ""),
        role=str(spec.get("Role") or ""),
        is_leader=bool(manager.get("Leader")),
        state=str(status.get("State") or "unknown"),
        availability=str(spec.get("Availability") or ""),
        address=str(status.get("Addr") or ""),
        engine_version=str(engine.get("EngineVersion") or ""),
        os=os_name,
        architecture=machine,
        platform=normalised_platform(os_name, machine),
        cpus=round(int(resources.get("NanoCPUs") or 0) / 1e9, 2),
        memory_bytes=int(resources.get("MemoryBytes") or 0),
        labels={str(k): str(v) for k, v in (spec.get("Labels") or {}).items()},
        engine_labels={str(k): str(v) for k, v in (engine.get("Labels") or {}).items()},
        message=str(status.get("Message") or ""),
    )
