"""What a failed docker/buildx/binfmt command means, and what to tell the user (pure).

The docker CLI and buildx only say what went wrong in their output text, so failures are
recognised by the phrases they print; each helper returns None when the text is not its
kind of failure, so callers can try them in turn and fall back to the raw output.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

BUILDX_MISSING = "buildx plugin not found: install docker-buildx-plugin"
BUILDX_MISSING_ADVICE = (
    "The docker CLI that swarmdeck runs has no buildx plugin. Install it on this machine "
    "(Docker's apt repository: docker-buildx-plugin; Debian 13+: docker-buildx), or point "
    "SWARMDECK_DOCKER_CLI at a docker CLI that has it."
)
PRIVILEGED_ADVICE = (
    "The binfmt installer registers QEMU handlers in the build host's kernel "
    "(/proc/sys/fs/binfmt_misc), which only a privileged container on a rootful engine may "
    "do: `docker run --privileged`. Rootless Docker, an engine with userns-remap, or a "
    "policy that forbids privileged containers refuse it. Run it once as root on the build "
    "host (docker run --privileged --rm tonistiigi/binfmt --install all) or allow "
    "privileged containers, then run Bootstrap again."
)

# Debian's 20.10 CLI, then docker 23+ (which also prints a hint about plugins).
_BUILDX_MISSING = re.compile(
    r"'buildx' is not a docker command|unknown command:? \"?(?:docker )?buildx\"?", re.I
)
_NO_BUILDER = re.compile(r'no builder "?(?P<name>[^"\s]+)"? found', re.I)
_ENGINE_DOWN = re.compile(
    r"Cannot connect to the Docker daemon|error during connect|"
    r"permission denied while trying to connect to the Docker daemon|"
    r"connect: (?:connection refused|no such file or directory)",
    re.I,
)
_PULL_FAILED = re.compile(
    r"pull access denied|failed to resolve|manifest unknown|not found: manifest|"
    r"TLS handshake timeout|no such host|i/o timeout|Client\.Timeout|toomanyrequests|"
    r"failed to do request|dial tcp",
    re.I,
)
_PRIVILEGED = re.compile(
    r"privileged mode is incompatible|privileged.*not allowed|"
    r"binfmt_misc|operation not permitted|permission denied|read-only file system",
    re.I,
)


def buildx_missing(output: str) -> bool:
    return bool(_BUILDX_MISSING.search(output))


def builder_not_found(output: str) -> bool:
    return bool(_NO_BUILDER.search(output))


def engine_unreachable(output: str) -> bool:
    return bool(_ENGINE_DOWN.search(output))


def image_pull_failed(output: str) -> bool:
    return bool(_PULL_FAILED.search(output))


def needs_privileges(output: str) -> bool:
    return bool(_PRIVILEGED.search(output))


def last_error_line(output: str, limit: int = 300) -> str:
    """The line that says what went wrong: the last ``ERROR:``/``docker:`` line, else the last
    non-empty one."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith(("ERROR:", "docker:", "error:", "Error")):
            return line[:limit]
    return lines[-1][:limit] if lines else ""


def engine_advice(engine: str) -> str:
    where = f" at {engine}" if engine else ""
    return (
        f"The Docker Engine{where} did not answer. Check that dockerd runs and that "
        "DOCKER_HOST points at the build host."
    )


def pull_advice(image: str) -> str:
    return (
        f"The engine could not pull {image}. Check that the build host reaches its registry "
        "(Docker Hub by default), or copy the image into your own registry and set "
        "SWARMDECK_BINFMT_IMAGE to it."
    )


def _endpoint_host(endpoint: str) -> tuple[str, str]:
    """``("ssh", "pi@192.168.1.20")``-style scheme and host of a node endpoint."""
    if "://" not in endpoint:
        return "", endpoint
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    user = f"{parts.username}@" if parts.username else ""
    return parts.scheme, f"{user}{host}"


def node_advice(endpoint: str | None, error: str | None) -> str:
    """What to do about a builder node that buildx could not reach."""
    scheme, host = _endpoint_host(endpoint or "")
    if scheme == "ssh":
        return (
            f"The node is reached over SSH: check that {host.split('@')[-1]} is switched on "
            f"and that `ssh {host} docker version` works from the machine running swarmdeck "
            "without a password prompt (key authentication). Until then builds for its "
            "platforms fail or fall back to emulation."
        )
    if scheme == "tcp":
        return (
            f"The node is reached over TCP at {endpoint}: check that the BuildKit or Docker "
            "daemon there runs and listens on that port, and that no firewall blocks it."
        )
    if "permission denied" in (error or "").lower():
        return (
            "The docker socket refused swarmdeck: run swarmdeck as a user in the docker group."
        )
    return (
        "The node's Docker Engine did not answer: check that dockerd runs on the build host, "
        "then press Refresh. If the builder's container was removed, run Bootstrap again."
    )
