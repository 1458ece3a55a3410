"""The argv of every buildx and binfmt command swarmdeck runs (pure, no I/O).

Each function returns the arguments that follow the docker CLI itself, always as a list:
nothing here is ever joined into a shell string. User-supplied parts (builder and node
names, endpoints, the binfmt image and platform list) are checked first, so a value such as
``--rm`` can never be read by docker as an option.
"""

from __future__ import annotations

import re

from swarm.binfmt_output import ARCH_EMULATORS
from swarm.platforms import Platform

# buildx store.ValidateName: "name needs to start with a letter and may not contain
# symbols, except ._-"; buildx then lowercases it, so we do the same up front.
_BUILDER_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9._-]*$")
# A docker image reference: registry host, path, tag and digest characters only.
_IMAGE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._/:@-]*$")
# What `buildx create --append` accepts for a node: an endpoint URL or a docker context.
# ssh://[user@]host[:port] and tcp://host:port with no path (docker CLI 24-28 passes an ssh
# path to the remote shell: docker/cli#6147), unix:///path/to.sock, or a context name.
_ENDPOINT = re.compile(
    r"^(?:ssh://(?:[A-Za-z0-9._-]+@)?[A-Za-z0-9.-]+(?::\d{1,5})?"
    r"|tcp://[A-Za-z0-9.-]+:\d{1,5}"
    r"|unix:///[A-Za-z0-9._/-]+"
    r"|[a-zA-Z0-9][a-zA-Z0-9._-]*)$"
)
ALL_PLATFORMS = "all"


class ArgumentError(ValueError):
    """A value a user gave cannot go into a command; the message says why."""


def builder_name(name: str) -> str:
    """A valid buildx builder (or node) name, lowercased as buildx stores it."""
    name = (name or "").strip()
    if not _BUILDER_NAME.match(name):
        raise ArgumentError(
            f"invalid builder name {name!r}: it must start with a letter and may only hold "
            "letters, digits, '.', '_' and '-'"
        )
    return name.lower()


def image_reference(image: str) -> str:
    image = (image or "").strip()
    if not _IMAGE.match(image):
        raise ArgumentError(
            f"invalid image {image!r}: expected a reference such as tonistiigi/binfmt"
        )
    return image


def node_endpoint(endpoint: str) -> str:
    endpoint = (endpoint or "").strip()
    if not _ENDPOINT.match(endpoint):
        raise ArgumentError(
            f"invalid node endpoint {endpoint!r}: expected ssh://user@host, tcp://host:port "
            "or a docker context name"
        )
    return endpoint


def _install_name(item: str) -> str:
    """``arm64`` or ``linux/arm64`` -> ``arm64``; ``linux/arm/v7`` -> ``arm`` (binfmt's names)."""
    if "/" not in item:
        if item not in ARCH_EMULATORS:
            raise ArgumentError(
                f"unknown emulator platform {item!r}: use all, or some of "
                + ", ".join(sorted(set(ARCH_EMULATORS) - {"loongarch64"}))
            )
        return item
    try:
        platform = Platform.parse(item)
    except ValueError as error:
        raise ArgumentError(str(error)) from None
    if platform.os != "linux" or platform.architecture not in ARCH_EMULATORS:
        raise ArgumentError(f"binfmt has no emulator for {item!r}")
    return platform.architecture


def binfmt_platforms(text: str) -> str:
    """The ``--install`` value: ``all``, or a comma list of binfmt architecture names."""
    items = [item.strip().lower() for item in (text or "").split(",") if item.strip()]
    if not items or items == [ALL_PLATFORMS]:
        return ALL_PLATFORMS
    if ALL_PLATFORMS in items:
        raise ArgumentError("'all' cannot be combined with other platforms")
    names: list[str] = []
    for item in items:
        name = _install_name(item)
        if name not in names:
            names.append(name)
    return ",".join(names)


# ---------------------------------------------------------------- buildx


def buildx_version() -> list[str]:
    return ["buildx", "version"]


def buildx_ls_json() -> list[str]:
    return ["buildx", "ls", "--format", "json"]


def buildx_ls_table() -> list[str]:
    return ["buildx", "ls"]


def buildx_inspect(name: str, *, bootstrap: bool = False) -> list[str]:
    return ["buildx", "inspect", *(["--bootstrap"] if bootstrap else []), builder_name(name)]


def buildx_create(name: str, config_path: str, *, use: bool) -> list[str]:
    return [
        "buildx", "create", "--name", builder_name(name), "--driver", "docker-container",
        "--config", str(config_path), *(["--use"] if use else []),
    ]


def buildx_append(name: str, node: str, endpoint: str) -> list[str]:
    return [
        "buildx", "create", "--append", "--name", builder_name(name),
        "--node", builder_name(node), node_endpoint(endpoint),
    ]


def buildx_rm(name: str) -> list[str]:
    return ["buildx", "rm", builder_name(name)]


# ---------------------------------------------------------------- binfmt


def binfmt_status(image: str) -> list[str]:
    """tonistiigi/binfmt without arguments only reports; it still needs --privileged to
    read binfmt_misc the way the kernel sees it."""
    return ["run", "--rm", "--privileged", image_reference(image)]


def binfmt_install(image: str, platforms: str) -> list[str]:
    return [*binfmt_status(image), "--install", binfmt_platforms(platforms)]
