"""Watching a job's log live in Debian's chromium, against ``manage.py serve``."""

from __future__ import annotations

import pytest

from swarm.models import Job, JobLogLine
from tests.conftest import login, make_accounts

pytestmark = pytest.mark.django_db(transaction=True)


def shown_seqs(page) -> list[int]:
    return [int(s) for s in page.eval_on_selector_all(
        "#job-log .line", "spans => spans.map(span => span.dataset.seq)")]


def test_an_operator_watches_a_system_check_stream_and_reloads_mid_stream(page, served):
    make_accounts()
    login(page, served.url, "operator")

    page.click("#run-system-check")
    page.wait_for_url("**/jobs/*/")
    job = Job.objects.get()

    # Lines arrive while the job is still running (the worker streams, the socket tails).
    page.wait_for_function("document.querySelectorAll('#job-log .line').length >= 5")
    assert Job.objects.get(pk=job.pk).status == "running"
    assert page.locator("#log-connection").inner_text() == "live"

    page.reload()  # mid-stream: stored lines come with the page, the socket adds the rest
    page.wait_for_function("document.querySelectorAll('#job-log .line').length >= 1")
    assert Job.objects.get(pk=job.pk).status == "running", "job ended before the reload"

    page.wait_for_selector("#job-status:text('succeeded')", timeout=60_000)
    page.wait_for_selector("#log-connection[data-state='done']")
    stored = list(JobLogLine.objects.filter(job=job).order_by("seq")
                  .values_list("seq", flat=True))
    assert shown_seqs(page) == stored == list(range(1, len(stored) + 1))
    assert "buildx plugin not found" in page.locator("#job-outcome").inner_text()


def test_a_viewer_sees_the_log_but_no_cancel_or_rerun(page, served):
    make_accounts()
    job = Job.objects.create(kind="system_check", status="succeeded", last_seq=1,
                             outcome="engine 20.10")
    JobLogLine.objects.create(job=job, seq=1, stream="stdout", text="Client: hi",
                              time=job.created_at)
    login(page, served.url, "viewer")
    page.goto(f"{served.url}/jobs/{job.pk}/")

    assert page.locator("#job-log .line").all_inner_texts() == ["Client: hi\n"]
    assert page.locator("#cancel-job").count() == 0
    assert page.locator("#rerun-job").count() == 0
    assert page.locator("#run-system-check").count() == 0
