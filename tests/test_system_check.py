"""The System check job, run for real against the isolated engine."""

from __future__ import annotations

import pytest
from django.urls import reverse

from swarm.docker_cli_output import parse_info, parse_version
from swarm.jobs import run_job
from swarm.models import Job, JobLogLine
from tests.engine import DEBIAN_DOCKER

pytestmark = pytest.mark.django_db

VERSION_TEXT = """Client:
 Version:           20.10.24+dfsg1
 API version:       1.41
 OS/Arch:           linux/amd64

Server:
 Engine:
  Version:          20.10.24+dfsg1
  API version:      1.41 (minimum version 1.12)
 containerd:
  Version:          1.6.20~ds1
"""

INFO_TEXT = """Client:
 Context:    default
 Plugins:
  buildx: Docker Buildx (Docker Inc.)
    Version:  v0.36.1

Server:
 Containers: 0
 Server Version: 20.10.24+dfsg1
 Swarm: active
  NodeID: abc
  Is Manager: true
  ClusterID: xyz
 Architecture: aarch64
"""


def test_it_reads_client_and_engine_versions_from_docker_version():
    facts = parse_version(VERSION_TEXT)
    assert (facts.client_version, facts.server_version) == ("20.10.24+dfsg1", "20.10.24+dfsg1")


def test_it_reads_the_server_part_of_docker_info():
    facts = parse_info(INFO_TEXT)
    assert facts.server_version == "20.10.24+dfsg1"
    assert (facts.architecture, facts.swarm, facts.is_manager) == ("aarch64", "active", True)


def test_it_reads_nothing_from_unrelated_text():
    assert parse_version("Cannot connect to the Docker daemon").server_version == ""
    assert parse_info("").swarm == ""


@pytest.fixture
def debian_cli(settings):
    settings.DOCKER_CLI = DEBIAN_DOCKER


def test_system_check_reports_engine_swarm_and_missing_buildx(use_engine, debian_cli):
    job = Job.objects.create(kind="system_check")
    run_job(job.pk)

    job.refresh_from_db()
    assert job.status == "succeeded"
    assert "engine 20.10" in job.outcome and "(x86_64)" in job.outcome
    assert "swarm manager" in job.outcome
    assert "buildx plugin not found: install docker-buildx-plugin" in job.outcome
    texts = list(JobLogLine.objects.filter(job=job).values_list("text", flat=True))
    assert "==> docker version" in texts and "==> docker buildx version" in texts
    assert any(t.strip().startswith("Server Version:") for t in texts)


def test_system_check_fails_clearly_when_the_engine_is_down(settings, debian_cli, tmp_path):
    settings.DOCKER_HOST = f"unix://{tmp_path}/gone.sock"
    job = Job.objects.create(kind="system_check")
    run_job(job.pk)

    job.refresh_from_db()
    assert job.status == "failed"
    assert job.outcome == f"Docker Engine not reachable at unix://{tmp_path}/gone.sock"
    assert "DOCKER_HOST" in job.diagnosis and "Cannot connect" in job.diagnosis


def test_system_check_fails_clearly_without_a_docker_cli(settings):
    settings.DOCKER_CLI = "/nonexistent/docker"
    job = Job.objects.create(kind="system_check")
    run_job(job.pk)

    job.refresh_from_db()
    assert (job.status, job.exit_code) == ("failed", 127)
    assert job.outcome == "docker CLI not found (/nonexistent/docker)"
    assert "SWARMDECK_DOCKER_CLI" in job.diagnosis


def test_an_operator_starts_a_system_check_and_lands_on_its_page(
    client, accounts, use_engine, debian_cli, django_capture_on_commit_callbacks
):
    client.force_login(accounts.operator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("swarm:system-check"))
    job = Job.objects.get()
    assert response["Location"] == reverse("swarm:job", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert "System check" in page and "succeeded" in page
    assert "==&gt; docker version" in page  # the stored lines are in the first render


def test_a_viewer_cannot_start_jobs_cancel_or_rerun(client, accounts):
    job = Job.objects.create(kind="system_check", status="running")
    client.force_login(accounts.viewer)
    assert client.post(reverse("swarm:system-check")).status_code == 403
    assert client.post(reverse("swarm:job-cancel", args=[job.pk])).status_code == 403
    assert client.post(reverse("swarm:job-rerun", args=[job.pk])).status_code == 403
    page = client.get(reverse("swarm:job", args=[job.pk])).content.decode()
    assert 'id="cancel-job"' not in page and 'id="rerun-job"' not in page
    assert Job.objects.count() == 1


def test_rerun_creates_a_new_job_with_the_same_parameters(client, accounts):
    job = Job.objects.create(kind="system_check", status="failed", params={"x": 1})
    client.force_login(accounts.operator)
    response = client.post(reverse("swarm:job-rerun", args=[job.pk]))
    again = Job.objects.exclude(pk=job.pk).get()
    assert (again.kind, again.params, again.created_by) == ("system_check", {"x": 1},
                                                            accounts.operator)
    assert response["Location"] == reverse("swarm:job", args=[again.pk])


def test_the_full_log_downloads_as_text(client, accounts):
    job = Job.objects.create(kind="system_check", status="succeeded", last_seq=2)
    JobLogLine.objects.create(job=job, seq=1, stream="stdout", text="hello", time=job.created_at)
    JobLogLine.objects.create(job=job, seq=2, stream="stderr", text="oops", time=job.created_at)
    client.force_login(accounts.viewer)
    response = client.get(reverse("swarm:job-log", args=[job.pk]))
    assert b"".join(response.streaming_content) == b"hello\n[stderr] oops\n"


def test_jobs_pages_need_a_login(client):
    job = Job.objects.create(kind="system_check")
    for url in [reverse("swarm:jobs"), reverse("swarm:job", args=[job.pk]),
                reverse("swarm:job-log", args=[job.pk])]:
        assert client.get(url)["Location"].startswith("/login/")


def test_rerun_of_a_job_whose_twin_is_running_goes_to_the_twin(client, accounts):
    original = Job.objects.create(kind="registry_scan", status="failed", params={"registry": 3})
    twin = Job.objects.create(kind="registry_scan", status="running", params={"registry": 3})
    client.force_login(accounts.operator)
    response = client.post(reverse("swarm:job-rerun", args=[original.pk]))
    assert response["Location"] == reverse("swarm:job", args=[twin.pk])
    assert Job.objects.count() == 2
