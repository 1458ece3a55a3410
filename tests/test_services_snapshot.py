"""Storing the services snapshot: services updated in place, vanished ones dropped, tasks
replaced; a failure keeps what was there. The engine is replaced by plain values here
(tests/test_services_engine.py runs the real one)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from swarm import snapshots, tasks
from swarm.compat_links import tag_url
from swarm.engine import EngineUnreachable
from swarm.models import Snapshot, SwarmService, SwarmTask
from swarm.service_info import ServiceInfo, TaskInfo

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 5, 1, tzinfo=UTC)


def service(service_id: str, name: str, image: str = "reg:5000/web:1") -> ServiceInfo:
    return ServiceInfo(service_id, name, image, "replicated", 2,
                       [{"OS": "linux", "Architecture": "arm64"}, {"OS": "linux"}],
                       ["node.role==worker"], NOW)


def task(task_id: str, service_id: str, state: str = "running") -> TaskInfo:
    return TaskInfo(task_id, service_id, "n1", 1, "running", state, "", "", NOW)


def test_it_stores_updates_and_drops_services_and_replaces_their_tasks(monkeypatch):
    answers = [
        ([service("a", "web"), service("b", "api")], [task("t1", "a"), task("t2", "a"),
                                                      task("t3", "b", "pending")]),
        ([service("a", "web", "reg:5000/web:2")], [task("t4", "a")]),
    ]
    monkeypatch.setattr(snapshots, "fetch_services_from_engine", lambda: answers.pop(0))

    assert snapshots.refresh_services() == "2 service(s), 3 task(s)"
    web = SwarmService.objects.get(name="web")
    assert (web.replicas_running, web.replicas_desired) == (2, 2)
    assert web.placement_platforms == [{"OS": "linux", "Architecture": "arm64"}, {"OS": "linux"}]
    assert SwarmService.objects.get(name="api").replicas_running == 0

    assert snapshots.refresh_services() == "1 service(s), 1 task(s)"
    assert list(SwarmService.objects.values_list("name", "image")) == [("web", "reg:5000/web:2")]
    assert SwarmService.objects.get().pk == web.pk  # updated in place
    assert list(SwarmTask.objects.values_list("task_id", flat=True)) == ["t4"]
    assert Snapshot.of(snapshots.SERVICES).ok


def test_a_failed_refresh_keeps_the_last_snapshot_and_records_why(monkeypatch):
    SwarmService.objects.create(service_id="a", name="web", image="x")

    def down() -> None:
        raise EngineUnreachable("Docker Engine at unix:///x.sock is not reachable")

    monkeypatch.setattr(snapshots, "fetch_services_from_engine", down)
    assert snapshots.refresh_services().startswith("failed: Docker Engine")
    assert SwarmService.objects.filter(name="web").exists()
    assert "not reachable" in Snapshot.of(snapshots.SERVICES).error


def test_the_worker_refreshes_services_on_a_schedule(settings):
    from django_q.models import Schedule

    tasks.ensure_schedules()
    schedule = Schedule.objects.get(name="refresh services")
    assert schedule.func == tasks.REFRESH_SERVICES == "swarm.tasks.refresh_services"
    assert schedule.minutes == settings.SNAPSHOT_REFRESH_MINUTES


@pytest.mark.parametrize(
    ("registry_id", "repository", "name"),
    [(1, "nginx", "1.29.0"), (12, "apps/web", "TAG_v1.0-rc.1"), (3, "a/b/c", "REPOSITORY")],
)
def test_the_fast_tag_link_is_the_same_as_reverse(registry_id, repository, name):
    assert tag_url(registry_id, repository, name) == reverse(
        "swarm:tag", args=[registry_id, repository, name]
    )
