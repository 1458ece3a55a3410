"""The nodes snapshot against a real, isolated engine in swarm mode."""

from __future__ import annotations

import pytest

from swarm.engine import EngineUnreachable, NotASwarmManager, fetch_nodes_from_engine
from swarm.models import Snapshot, SwarmNode
from swarm.snapshots import NODES, refresh_nodes

pytestmark = pytest.mark.django_db


def test_it_stores_the_node_with_x86_64_normalised_to_linux_amd64(use_engine):
    outcome = refresh_nodes()

    node = SwarmNode.objects.get()
    assert outcome == "1 node(s)"
    assert node.architecture == "x86_64"
    assert node.platform == "linux/amd64"
    assert node.os == "linux"
    assert node.role == "manager"
    assert node.is_leader
    assert node.state == "ready"
    assert node.availability == "active"
    assert node.engine_version.startswith("20.10")
    assert node.cpus >= 1 and node.memory_bytes > 0
    assert not node.is_32bit_os
    assert Snapshot.of(NODES).ok


def test_it_shows_labels_added_with_docker_node_update(use_engine):
    node_id = use_engine.docker("node", "ls", "-q").stdout.strip()
    use_engine.docker("node", "update", "--label-add", "pi.model=4b", "--label-add", "gpu",
                      node_id)
    try:
        refresh_nodes()
        assert SwarmNode.objects.get().labels == {"pi.model": "4b", "gpu": ""}
    finally:
        use_engine.docker("node", "update", "--label-rm", "pi.model", "--label-rm", "gpu",
                          node_id)


def test_it_keeps_the_last_snapshot_when_the_engine_is_down(use_engine, settings, tmp_path):
    refresh_nodes()
    settings.DOCKER_HOST = f"unix://{tmp_path}/no-such.sock"

    outcome = refresh_nodes()

    snapshot = Snapshot.of(NODES)
    assert outcome.startswith("failed:")
    assert "not reachable" in snapshot.error and "no-such.sock" in snapshot.error
    assert snapshot.refreshed_at is not None  # the last good refresh is still known
    assert SwarmNode.objects.count() == 1


def test_it_raises_unreachable_with_a_message_for_a_dead_tcp_engine(settings):
    settings.DOCKER_HOST = "tcp://127.0.0.1:9"  # discard port: nothing listens
    settings.ENGINE_TIMEOUT = 1.0
    with pytest.raises(EngineUnreachable, match="127.0.0.1:9 is not reachable"):
        fetch_nodes_from_engine()


def test_it_says_plainly_when_the_engine_is_not_a_swarm_manager(plain_engine, settings):
    settings.DOCKER_HOST = plain_engine.host
    with pytest.raises(NotASwarmManager, match="not part of a swarm: run `docker swarm init`"):
        fetch_nodes_from_engine()

    refresh_nodes()
    assert "not part of a swarm" in Snapshot.of(NODES).error
