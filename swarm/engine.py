"""The Docker Engine, through the docker SDK. Every engine error becomes an EngineError
whose message a person can act on; nothing here touches the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import docker
import docker.errors
import requests.exceptions
from django.conf import settings

from swarm.node_info import NodeInfo, node_from_api
from swarm.service_info import ServiceInfo, TaskInfo, service_from_api, task_from_api


class EngineError(Exception):
    """The engine could not answer; ``str(error)`` is meant for the user."""


class EngineUnreachable(EngineError):
    pass


class NotASwarmManager(EngineError):
    pass


def engine_address() -> str:
    return settings.DOCKER_HOST or "unix:///var/run/docker.sock"


@contextmanager
def engine_client(timeout: float | None = None) -> Iterator[docker.DockerClient]:
    """A client for the configured engine with a short timeout, closed afterwards."""
    address = engine_address()
    try:
        client = docker.DockerClient(
            base_url=address, timeout=timeout or settings.ENGINE_TIMEOUT, version="auto"
        )
    except docker.errors.DockerException as error:
        raise EngineUnreachable(_unreachable_message(address, error)) from error
    try:
        yield client
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as error:
        raise EngineUnreachable(_unreachable_message(address, error)) from error
    finally:
        client.close()


def _unreachable_message(address: str, error: Exception) -> str:
    detail = str(error).split("\n")[0][:300]
    return (
        f"Docker Engine at {address} is not reachable ({detail}). "
        "Check that dockerd runs and that DOCKER_HOST points at a swarm manager."
    )


def fetch_nodes_from_engine() -> list[NodeInfo]:
    """Every node of the swarm, as the manager reports it."""
    with engine_client() as client:
        try:
            raw_nodes = client.api.nodes()
        except docker.errors.APIError as error:
            raise _api_error(error) from error
    return [node_from_api(attrs) for attrs in raw_nodes]


def fetch_services_from_engine() -> tuple[list[ServiceInfo], list[TaskInfo]]:
    """Every service of the swarm and every task the manager still keeps (history included)."""
    with engine_client() as client:
        try:
            raw_services = client.api.services()
            raw_tasks = client.api.tasks()
        except docker.errors.APIError as error:
            raise _api_error(error) from error
    return [service_from_api(a) for a in raw_services], [task_from_api(a) for a in raw_tasks]


def _api_error(error: docker.errors.APIError) -> EngineError:
    explanation = str(getattr(error, "explanation", "") or error)
    if error.status_code == 503 and "swarm" in explanation.lower():
        # Both a worker and a non-swarm engine say "not a swarm manager"; only the
        # worker's message goes on about worker nodes.
        if "worker" in explanation.lower():
            return NotASwarmManager(
                "This engine is a swarm worker, not a manager: point DOCKER_HOST at a manager "
                "node (only managers can list nodes and services)."
            )
        return NotASwarmManager(
            "This engine is not part of a swarm: run `docker swarm init` on it, or point "
            "DOCKER_HOST at a swarm manager."
        )
    return EngineError(f"The engine refused the request: {explanation[:300]}")
