"""Registry pages: registries, repositories, tags and per-platform images (database only),
plus the admin's registry form and the two actions: Test connection and Scan now."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from swarm.jobs import create_job
from swarm.models import Job, Registry, Repository, Tag
from swarm.registry import PingResult, RegistryError
from swarm.registry_forms import RegistryForm
from swarm.registry_scan import registry_client
from swarm.roles import operator_required

REPOSITORIES_PER_PAGE = 100
TAGS_PER_PAGE = 100
TEST_CONNECTION_TIMEOUT = 5.0


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_staff:
            raise PermissionDenied("Only admins manage registries.")
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
def registries_page(request: HttpRequest) -> HttpResponse:
    registries = list(Registry.objects.all())
    return render(request, "swarm/registries.html", {"registries": registries})


@require_http_methods(["GET", "POST"])
@staff_required
def registry_form(request: HttpRequest, registry_id: int | None = None) -> HttpResponse:
    registry = get_object_or_404(Registry, pk=registry_id) if registry_id else None
    form = RegistryForm(request.POST or None, instance=registry)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, f"Registry {saved.name} saved. Scan it to see its images.")
        return redirect("swarm:registry", registry_id=saved.pk)
    return render(request, "swarm/registry_form.html", {"form": form, "registry": registry})


@require_POST
@staff_required
def registry_delete(request: HttpRequest, registry_id: int) -> HttpResponse:
    registry = get_object_or_404(Registry, pk=registry_id)
    registry.delete()  # swarmdeck's own records only: nothing is deleted in the registry
    messages.info(request, f"Registry {registry.name} removed from swarmdeck.")
    return redirect("swarm:registries")


def describe_ping(registry: Registry, result: PingResult) -> tuple[bool, str]:
    version = result.api_version or "no API version header"
    if result.authenticated:
        auth = {"none": "no login needed", "basic": "username and password accepted (Basic)",
                "bearer": "credentials accepted by the token server (Bearer)"}[result.auth_kind]
        return True, f"Reachable at {registry.base_url} ({version}); {auth}."
    return False, f"Reachable at {registry.base_url} ({version}), but {result.auth_problem}."


@require_POST
@operator_required
def registry_test(request: HttpRequest, registry_id: int) -> HttpResponse:
    """An explicit action, so it may wait on the registry, briefly."""
    registry = get_object_or_404(Registry, pk=registry_id)

    async def ping() -> PingResult:
        async with registry_client(registry) as client:
            client.timeout = TEST_CONNECTION_TIMEOUT
            client.retries = 0
            return await client.ping()

    try:
        ok, text = describe_ping(registry, asyncio.run(ping()))
    except RegistryError as error:
        ok, text = False, str(error)
    if request.htmx:
        return render(request, "swarm/_connection_result.html", {"ok": ok, "text": text})
    (messages.success if ok else messages.error)(request, text)
    return redirect("swarm:registry", registry_id=registry.pk)


@require_POST
@operator_required
def registry_scan(request: HttpRequest, registry_id: int) -> HttpResponse:
    registry = get_object_or_404(Registry, pk=registry_id)
    running = Job.active("registry_scan", registry=registry.pk)
    if running:
        messages.info(request, f"A scan of {registry.name} is already running.")
        return redirect("swarm:job", job_id=running.pk)
    job = create_job("registry_scan", {"registry": registry.pk}, request.user)
    return redirect("swarm:job", job_id=job.pk)


@require_GET
def registry_page(request: HttpRequest, registry_id: int) -> HttpResponse:
    registry = get_object_or_404(Registry, pk=registry_id)
    query = request.GET.get("q", "").strip()
    repositories = Repository.objects.filter(registry=registry)
    if query:
        repositories = repositories.filter(name__icontains=query)
    page = Paginator(repositories, REPOSITORIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "swarm/registry.html", {
        "registry": registry, "page": page, "query": query,
        "scan": Job.active("registry_scan", registry=registry.pk),
    })


@require_GET
def repository_page(request: HttpRequest, registry_id: int, repo: str) -> HttpResponse:
    repository = get_object_or_404(
        Repository.objects.select_related("registry"), registry_id=registry_id, name=repo
    )
    tags = repository.tags.filter(subject_digest="")
    query = request.GET.get("q", "").strip()
    if query:
        tags = tags.filter(name__icontains=query)
    # Newest first where the config's creation time is known, then by name.
    tags = tags.order_by("-created", "-name")
    page = Paginator(tags, TAGS_PER_PAGE).get_page(request.GET.get("page"))
    fallback = repository.tags.exclude(subject_digest="").count()
    return render(request, "swarm/repository.html", {
        "repository": repository, "registry": repository.registry, "page": page,
        "query": query, "fallback_count": fallback,
    })


@require_GET
def tag_page(request: HttpRequest, registry_id: int, repo: str, tag: str) -> HttpResponse:
    found = (Tag.objects.select_related("repository__registry")
             .filter(repository__registry_id=registry_id, repository__name=repo, name=tag).first())
    if found is None:
        raise Http404(f"No tag {repo}:{tag} in the last scan.")
    images = list(found.images.all())
    by_digest = {image.digest: image for image in images}
    for image in images:
        image.subject = by_digest.get(image.attests)  # type: ignore[attr-defined]
    attested = {image.attests for image in images if image.is_attestation}
    related = (Tag.objects.filter(repository=found.repository)
               .filter(Q(digest=found.digest) | Q(subject_digest=found.digest))
               .exclude(pk=found.pk).order_by("name"))
    return render(request, "swarm/tag.html", {
        "tag": found, "repository": found.repository, "registry": found.repository.registry,
        "images": [i for i in images if not i.is_attestation],
        "attestations": [i for i in images if i.is_attestation], "attested": attested,
        "aliases": [t for t in related if not t.subject_digest],
        "fallback_tags": [t for t in related if t.subject_digest],
    })
