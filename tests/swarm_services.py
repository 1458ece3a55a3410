"""Services created in the isolated test swarm with the real CLI, and waiting for Swarm to
decide what to do with them (run, reject at pull, fail, or keep pending)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from tests.engine import IsolatedEngine

SETTLE_SECONDS = 90
Tasks = list[dict[str, object]]
SETTLED = frozenset({"complete", "running", "failed", "rejected"})


def tasks_of(engine: IsolatedEngine, service: str) -> Tasks:
    ids = engine.docker("service", "ps", "-q", "--no-trunc", service).stdout.split()
    return json.loads(engine.docker("inspect", *ids).stdout) if ids else []


def states(tasks: Tasks) -> set[str]:
    return {t["Status"]["State"] for t in tasks}  # type: ignore[index]


def errors(tasks: Tasks) -> list[str]:
    return [t["Status"].get("Err", "") for t in tasks]  # type: ignore[index,union-attr]


def ran_or_failed(tasks: Tasks) -> bool:
    return bool(states(tasks) & SETTLED)


def has_error(tasks: Tasks) -> bool:
    return any(errors(tasks))


def wait_for(engine: IsolatedEngine, service: str, settled: Callable[[Tasks], bool]) -> Tasks:
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        tasks = tasks_of(engine, service)
        if tasks and settled(tasks):
            return tasks
        time.sleep(0.5)
    found = json.dumps(tasks_of(engine, service))[:2000]
    raise AssertionError(f"{service} did not settle within {SETTLE_SECONDS}s: {found}")


class ServiceSet:
    """Services one test module creates (``--restart-condition none``, so a failure stays
    one task), removed together at the end."""

    def __init__(self, engine: IsolatedEngine, registry_host: str) -> None:
        self.engine = engine
        self.registry_host = registry_host
        self.names: list[str] = []

    def create(self, name: str, image: str, *options: str) -> None:
        self.engine.docker("service", "create", "--detach", "--name", name,
                           "--restart-condition", "none", *options,
                           f"{self.registry_host}/{image}")
        self.names.append(name)

    def remove_all(self) -> None:
        if self.names:
            self.engine.docker("service", "rm", *self.names, check=False)
            self.names = []
