"""The System check job: what the configured engine and CLI have, and what is missing."""

from __future__ import annotations

import os

from django.conf import settings

from swarm.docker_cli_output import parse_info, parse_version
from swarm.jobs import JobContext, StepFailed, StepResult

STEP_TIMEOUT = 30


def docker_env() -> dict[str, str]:
    """The environment for docker CLI steps: ours, pointed at the configured engine."""
    env = dict(os.environ)
    if settings.DOCKER_HOST:
        env["DOCKER_HOST"] = settings.DOCKER_HOST
    return env


def _docker(ctx: JobContext, *args: str) -> StepResult:
    return ctx.run([settings.DOCKER_CLI, *args], timeout=STEP_TIMEOUT, env=docker_env(),
                   capture_stdout=True)


def run(ctx: JobContext) -> str:
    ctx.step("docker version")
    version = _docker(ctx, "version")
    if version.exit_code == 127:
        raise StepFailed(
            f"docker CLI not found ({settings.DOCKER_CLI})",
            "Install the Docker CLI (Debian: apt-get install docker.io; Docker's repository: "
            "docker-ce-cli) or set SWARMDECK_DOCKER_CLI to its path.",
            exit_code=127,
        )
    facts = parse_version("\n".join(version.stdout))
    if not version.ok or not facts.server_version:
        raise StepFailed(
            "Docker Engine not reachable"
            + (f" at {settings.DOCKER_HOST}" if settings.DOCKER_HOST else ""),
            "The CLI works but the engine did not answer. Check that dockerd runs and that "
            "DOCKER_HOST points at the swarm manager: " + version.tail_text()[-300:],
            exit_code=version.exit_code,
        )

    ctx.step("docker info (server)")
    info = parse_info("\n".join(_docker(ctx, "info").stdout))

    ctx.step("docker buildx version")
    buildx = _docker(ctx, "buildx", "version")
    buildx_line = next((line for line in buildx.stdout if "buildx" in line), "")

    present = [f"engine {facts.server_version}"
               + (f" ({info.architecture})" if info.architecture else ""),
               f"CLI {facts.client_version}"]
    missing = []
    if info.swarm == "active":
        present.append("swarm manager" if info.is_manager else "swarm worker")
        if not info.is_manager:
            missing.append("not a swarm manager: point DOCKER_HOST at a manager")
    else:
        missing.append(f"swarm {info.swarm or 'unknown'}: run docker swarm init")
    if buildx.ok and buildx_line:
        present.append("buildx " + buildx_line.split()[1] if len(buildx_line.split()) > 1
                       else buildx_line)
    else:
        missing.append("buildx plugin not found: install docker-buildx-plugin")
    outcome = ", ".join(present)
    if missing:
        outcome += "; " + "; ".join(missing)
    ctx.exit_code = 0
    return outcome
