"""buildx through the docker CLI, for snapshot refreshes (jobs run their steps through the
job runner instead). Always an argv list, never a shell string; every failure becomes a
BuildxError whose message a person can act on. Nothing here touches the database.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

import docker.errors
from django.conf import settings

from swarm import buildx_argv
from swarm.builder_settings import buildx_timeout
from swarm.builder_status import BuildxListing
from swarm.buildx_failures import (
    BUILDX_MISSING,
    BUILDX_MISSING_ADVICE,
    buildx_missing,
    engine_advice,
    engine_unreachable,
    last_error_line,
)
from swarm.buildx_inspect import parse_inspect
from swarm.buildx_ls import BuilderSummary, parse_ls_json, parse_ls_table
from swarm.engine import EngineError, engine_client
from swarm.platforms import Platform
from swarm.system_check import docker_env


class BuildxError(Exception):
    """buildx could not answer; ``str(error)`` is meant for the user, ``advice`` says what
    to do about it."""

    def __init__(self, message: str, advice: str = "") -> None:
        super().__init__(message)
        self.advice = advice


class BuildxMissing(BuildxError):
    pass


@dataclass(frozen=True)
class CliResult:
    argv: list[str]
    exit_code: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    @property
    def output(self) -> str:
        return f"{self.stdout}\n{self.stderr}"


def run_docker_cli(args: Sequence[str], timeout: float | None = None) -> CliResult:
    """Run ``docker ARGS`` against the configured engine; its own process group, so a
    timeout also ends the buildx plugin (and any ssh) the CLI started."""
    argv = [settings.DOCKER_CLI, *args]
    timeout = timeout or buildx_timeout()
    try:
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=docker_env(), start_new_session=True,
        )
    except OSError as error:
        raise BuildxError(
            f"docker CLI not found ({settings.DOCKER_CLI}): {error.strerror or error}",
            "Install the Docker CLI or set SWARMDECK_DOCKER_CLI to its path.",
        ) from None
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise BuildxError(
            f"`docker {' '.join(args)}` gave no answer within {timeout:g} s",
            "A builder node is probably unreachable (an ssh:// node that is switched off "
            "takes 30 s to fail). Check the nodes, then press Refresh.",
        ) from None
    return CliResult(argv, process.returncode, stdout.decode(errors="replace"),
                     stderr.decode(errors="replace"))


def _check_usable(result: CliResult) -> None:
    """Raise for failures that no fallback can get around."""
    if buildx_missing(result.output):
        raise BuildxMissing(BUILDX_MISSING, BUILDX_MISSING_ADVICE)
    if not result.ok and engine_unreachable(result.output):
        raise BuildxError(
            f"Docker Engine not reachable: {last_error_line(result.output)}",
            engine_advice(settings.DOCKER_HOST),
        )


def _json_by_builder(text: str) -> dict[str, str]:
    """Each builder's own ``ls --format json`` line(s), pretty-printed for the details view."""
    raw: dict[str, list[str]] = {}
    for line in text.splitlines():
        with contextlib.suppress(ValueError):
            obj = json.loads(line[line.find("{"):]) if "{" in line else None
            if isinstance(obj, dict) and isinstance(obj.get("Name"), str):
                raw.setdefault(obj["Name"], []).append(json.dumps(obj, indent=2))
    return {name: "\n".join(lines) for name, lines in raw.items()}


def _ls_table() -> list[BuilderSummary]:
    table = run_docker_cli(buildx_argv.buildx_ls_table())
    _check_usable(table)
    try:
        return parse_ls_table(table.stdout, table.stderr)
    except ValueError:
        raise BuildxError(
            f"docker buildx ls failed: {last_error_line(table.output) or 'no output'}"
        ) from None


def _inspect_each(listing: BuildxListing) -> None:
    for builder in listing.builders:
        result = run_docker_cli(buildx_argv.buildx_inspect(builder.name))
        listing.raw[builder.name] = result.stdout or result.stderr
        try:
            listing.inspected[builder.name] = parse_inspect(result.stdout)
        except ValueError:
            listing.inspect_errors[builder.name] = (
                f"docker buildx inspect failed: {last_error_line(result.output)}"
            )


def fetch_builders_from_buildx() -> BuildxListing:
    """Every builder with its nodes: ``ls --format json`` where buildx has it (0.13+), else
    the ``ls`` table plus one ``inspect`` per builder."""
    listed = run_docker_cli(buildx_argv.buildx_ls_json())
    _check_usable(listed)
    try:
        builders = parse_ls_json(listed.stdout) if listed.stdout.strip() else None
    except ValueError:
        builders = None
    listing = BuildxListing()
    if builders is None:
        listing.builders = _ls_table()
        _inspect_each(listing)
        return listing
    listing.builders = builders
    listing.raw = _json_by_builder(listed.stdout)
    if builders and all(builder.current is None for builder in builders):
        # JSON says which builder is current only from 0.24: the table's "*" says it earlier.
        current = {b.name for b in _ls_table() if b.current}
        for builder in builders:
            builder.current = builder.name in current
    return listing


def fetch_engine_platform() -> Platform | None:
    """The engine's own platform (``docker info`` Architecture is ``uname -m``), or None."""
    try:
        with engine_client() as client:
            info = client.info()
    except (EngineError, docker.errors.DockerException):
        return None
    try:
        return Platform.from_uname(str(info.get("Architecture") or ""),
                                   str(info.get("OSType") or "linux"))
    except ValueError:
        return None


def local_platform() -> Platform | None:
    try:
        return Platform.from_uname(os.uname().machine)
    except ValueError:
        return None
