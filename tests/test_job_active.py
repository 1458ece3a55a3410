"""Job.active: the same work already queued or running is found, other work is not."""

from __future__ import annotations

import pytest

from swarm.models import Job

pytestmark = pytest.mark.django_db

PARAMS = {"registry": 1, "target": "app:1", "sources": ["app:1-amd64", "app:1-arm64"],
          "keep_attestations": True, "prefer": {"linux/amd64": "app:1-amd64"}}


def test_it_finds_a_running_job_with_the_same_parameters_of_every_json_type():
    job = Job.objects.create(kind="merge", params=PARAMS, status="running")
    assert Job.active("merge", **PARAMS) == job
    assert Job.active("merge", registry=1) == job  # a subset of the parameters is enough


@pytest.mark.parametrize("change", [{"sources": ["app:1-arm64"]}, {"prefer": {}},
                                    {"registry": 2}, {"keep_attestations": False}])
def test_it_ignores_jobs_with_other_parameters(change):
    Job.objects.create(kind="merge", params=PARAMS, status="running")
    assert Job.active("merge", **{**PARAMS, **change}) is None


@pytest.mark.parametrize("status", ["succeeded", "failed", "cancelled", "lost"])
def test_finished_jobs_are_not_active(status):
    Job.objects.create(kind="merge", params=PARAMS, status=status)
    assert Job.active("merge", **PARAMS) is None
    assert Job.active("registry_scan", registry=1) is None
