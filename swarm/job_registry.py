"""Every kind of job swarmdeck runs, by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from swarm import bootstrap_job, build_job, merge_job, scan_job, system_check
from swarm.jobs import JobContext


@dataclass(frozen=True)
class JobKind:
    name: str
    title: str
    run: Callable[[JobContext], str]
    description: str = ""


KINDS: dict[str, JobKind] = {
    kind.name: kind
    for kind in [
        JobKind("system_check", "System check", system_check.run,
                "docker version, docker info and docker buildx version against the engine"),
        JobKind("bootstrap", "Bootstrap builder", bootstrap_job.run,
                "QEMU emulators, buildkitd.toml for HTTP registries, buildx builder"),
        JobKind("registry_scan", "Registry scan", scan_job.run,
                "repositories, tags and per-platform manifests of one registry"),
        JobKind("merge", "Manifest merge", merge_job.run,
                "per-arch images into one multi-platform tag, verified"),
        JobKind("build", "Multi-platform build", build_job.run,
                "docker buildx build --platform ... --push for a recipe, then read back"),
    ]
}


class UnknownJobKind(ValueError):
    pass


def job_kind(name: str) -> JobKind:
    try:
        return KINDS[name]
    except KeyError:
        raise UnknownJobKind(f"unknown job kind {name!r}") from None


def job_title(name: str) -> str:
    kind = KINDS.get(name)
    return kind.title if kind else name
