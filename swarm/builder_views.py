"""The builders page: buildx builders, emulation on the build host, and Bootstrap.

Like every page it reads the database only; the worker refreshes the snapshot.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from swarm import tasks
from swarm.builder_forms import BootstrapForm
from swarm.builder_settings import bootstrap_defaults
from swarm.builder_snapshots import BUILDERS
from swarm.jobs import create_job
from swarm.models import BuilderRecord, EmulatorState, Job, Registry, Snapshot
from swarm.roles import operator_required
from swarm.views import request_refresh

BOOTSTRAP = "bootstrap"


def _panel_context() -> dict[str, object]:
    builders = list(BuilderRecord.objects.all())
    http_hosts = sorted({r.host for r in Registry.objects.all() if r.is_plain_http})
    for builder in builders:
        # Only docker-container builders read buildkitd.toml; "docker" uses the engine's.
        builder.missing_registries = (  # type: ignore[attr-defined]
            [h for h in http_hosts if h not in builder.insecure_registries]
            if builder.driver == "docker-container" else []
        )
    emulators = list(EmulatorState.objects.all())
    return {
        "builders": builders,
        "snapshot": Snapshot.of(BUILDERS),
        "registered_emulators": [e for e in emulators if e.registered],
        "gone_emulators": [e for e in emulators if not e.registered],
        "bootstrap_job": Job.active(BOOTSTRAP),
        "last_bootstrap": Job.objects.filter(kind=BOOTSTRAP).first(),
        "defaults": bootstrap_defaults(),
    }


def _page(request: HttpRequest, form: BootstrapForm | None = None, status: int = 200
          ) -> HttpResponse:
    context = {**_panel_context(), "form": form or BootstrapForm(user=request.user)}
    return render(request, "swarm/builders.html", context, status=status)


@require_GET
def builders_page(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_GET
def builders_panel(request: HttpRequest) -> HttpResponse:
    return render(request, "swarm/_builders_panel.html", _panel_context())


@require_POST
@operator_required
def refresh_builders(request: HttpRequest) -> HttpResponse:
    return request_refresh(request, [tasks.REFRESH_BUILDERS], "swarm/_builders_panel.html",
                           _panel_context(), "swarm:builders")


@require_POST
@operator_required
def start_bootstrap(request: HttpRequest) -> HttpResponse:
    running = Job.active(BOOTSTRAP)
    if running:
        messages.info(request, f"Bootstrap is already running as job #{running.pk}.")
        return redirect("swarm:job", job_id=running.pk)
    form = BootstrapForm(request.POST, user=request.user)
    if not form.is_valid():
        return _page(request, form, status=400)
    job = create_job(BOOTSTRAP, form.params.as_params(), request.user)
    return redirect("swarm:job", job_id=job.pk)
