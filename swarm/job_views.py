"""Job pages: the list, one job with its live log, and the operator actions."""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from swarm.job_registry import KINDS, job_title
from swarm.jobs import cancel_job, create_job
from swarm.models import Job, JobLogLine
from swarm.roles import VIEW_JOB_PERMISSION, operator_required

FIRST_RENDER_LINES = 2000
JOBS_PER_PAGE = 50
view_jobs = permission_required(VIEW_JOB_PERMISSION, raise_exception=True)


def _jobs_context() -> dict[str, object]:
    jobs = list(Job.objects.select_related("created_by")[:JOBS_PER_PAGE])
    for job in jobs:
        job.title = job_title(job.kind)  # type: ignore[attr-defined]
    return {"jobs": jobs, "any_active": any(job.is_active for job in jobs), "kinds": KINDS}


@require_GET
@view_jobs
def jobs_page(request: HttpRequest) -> HttpResponse:
    return render(request, "swarm/jobs.html", _jobs_context())


@require_GET
@view_jobs
def jobs_table(request: HttpRequest) -> HttpResponse:
    return render(request, "swarm/_jobs_table.html", _jobs_context())


def _job_context(job: Job) -> dict[str, object]:
    job.title = job_title(job.kind)  # type: ignore[attr-defined]
    return {"job": job}


@require_GET
@view_jobs
def job_page(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(Job.objects.select_related("created_by"), pk=job_id)
    if request.GET.get("follow") == "1" and job.status == Job.Status.SUCCEEDED and job.result_url:
        return redirect(job.result_url)  # it finished before the page loaded
    # The lines already stored are in the page itself, so a reload never depends on the
    # socket; the socket only adds what comes after the last seq rendered here.
    lines = list(
        JobLogLine.objects.filter(job=job).order_by("-seq")
        .values_list("seq", "stream", "text")[:FIRST_RENDER_LINES]
    )[::-1]
    context = {
        **_job_context(job),
        "lines": lines,
        "last_seq": lines[-1][0] if lines else 0,
        "earlier_lines": max(0, (lines[0][0] - 1) if lines else 0),
    }
    return render(request, "swarm/job.html", context)


@require_GET
@view_jobs
def job_header(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(Job.objects.select_related("created_by"), pk=job_id)
    return render(request, "swarm/_job_header.html", _job_context(job))


@require_GET
@view_jobs
def job_log_text(request: HttpRequest, job_id: int) -> StreamingHttpResponse:
    job = get_object_or_404(Job, pk=job_id)

    def lines() -> Iterator[str]:
        rows = JobLogLine.objects.filter(job=job).order_by("seq").values_list("stream", "text")
        for stream, text in rows.iterator(chunk_size=2000):
            yield (f"[{stream}] " if stream != "stdout" else "") + text + "\n"

    response = StreamingHttpResponse(lines(), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="job-{job.pk}-{job.kind}.log"'
    return response


@require_POST
@operator_required
def start_system_check(request: HttpRequest) -> HttpResponse:
    job = create_job("system_check", {}, request.user)
    return redirect("swarm:job", job_id=job.pk)


@require_POST
@operator_required
def rerun_job(request: HttpRequest, job_id: int) -> HttpResponse:
    original = get_object_or_404(Job, pk=job_id)
    twin = Job.active(original.kind, **original.params)
    if twin is not None:  # the same scan/build/merge is already under way
        messages.info(request, f"The same job is already {twin.status} as #{twin.pk}.")
        return redirect("swarm:job", job_id=twin.pk)
    job = create_job(original.kind, original.params, request.user)
    messages.info(request, f"Started again as job #{job.pk} (a re-run of #{original.pk}).")
    return redirect("swarm:job", job_id=job.pk)


@require_POST
@operator_required
def cancel(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(Job, pk=job_id)
    result = cancel_job(job)
    if request.htmx:
        return render(request, "swarm/_job_header.html",
                      {**_job_context(Job.objects.get(pk=job.pk)), "cancel_result": result})
    messages.info(request, f"Job #{job.pk}: {result}.")
    return redirect("swarm:job", job_id=job.pk)
