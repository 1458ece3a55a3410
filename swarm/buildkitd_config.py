"""The buildkitd.toml that lets a buildx builder push to plain-HTTP registries (pure).

BuildKit only talks HTTP to a registry whose ``[registry."HOST:PORT"]`` section says
``http = true`` (and ``insecure = true`` for a self-signed certificate). The key must be the
image reference's host and port exactly. buildx copies the file into the builder at
``create``, so a builder made without it cannot push to such a registry until it is
recreated (DOMAIN.md section 6).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable

# host[:port] as an image reference spells it: a name or IPv4 address, or [IPv6].
_REGISTRY_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])"
                            r"(?::[0-9]{1,5})?$")


def valid_registry_host(host: str) -> bool:
    return bool(_REGISTRY_HOST.match(host))


def render_buildkitd_toml(hosts: Iterable[str]) -> str:
    """One ``[registry."HOST"]`` section per host, sorted, in the layout buildx users write.

    Raises ValueError for a host that is not ``host[:port]`` (it would break the TOML).
    """
    unique = sorted(set(hosts))
    for host in unique:
        if not valid_registry_host(host):
            raise ValueError(f"{host!r} is not a registry host[:port]")
    return "\n".join(
        f'[registry."{host}"]\n  http = true\n  insecure = true\n' for host in unique
    )


def insecure_registries(text: str) -> list[str]:
    """Hosts a stored buildkitd.toml lets BuildKit reach over HTTP or without TLS checks.

    Reads both layouts buildx stores (go-toml v1 before 0.32, v2 after). Raises ValueError
    with a readable message when the text is not TOML.
    """
    try:
        config = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"buildkitd.toml is not valid TOML: {error}") from None
    registries = config.get("registry")
    if not isinstance(registries, dict):
        return []
    return sorted(
        host
        for host, options in registries.items()
        if isinstance(options, dict)
        and (options.get("http") is True or options.get("insecure") is True)
    )
