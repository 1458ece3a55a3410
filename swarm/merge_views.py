"""The merge page: form, preview from the inventory, suggestions, one-click merges."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from swarm.jobs import create_job
from swarm.merge_forms import MergeForm, preview_from_inventory
from swarm.merge_suggestions import TagFacts, suggest_merges
from swarm.models import Registry, Tag
from swarm.roles import is_operator


def merge_url(registry: Registry, target: str, sources: list[str]) -> str:
    """A link to the merge form, filled in (used by fix hints and suggestions)."""
    query = urlencode({"registry": registry.pk, "target": target,
                       "sources": "\n".join(sources)})
    return f"{reverse('swarm:merge')}?{query}"


def suggestions() -> list[dict[str, object]]:
    found = []
    for registry in Registry.objects.all():
        rows = Tag.objects.filter(repository__registry=registry, subject_digest="").values_list(
            "repository__name", "name", "platforms", "digest")
        facts = [TagFacts(repo, name, tuple(platforms), digest)
                 for repo, name, platforms, digest in rows]
        for suggestion in suggest_merges(facts):
            found.append({
                "registry": registry, "suggestion": suggestion,
                "target": f"{suggestion.repository}:{suggestion.target_tag}",
                "sources": " ".join(f"{s.repository}:{s.name}" for s in suggestion.sources),
            })
    return found


def _initial(query: QueryDict) -> dict[str, object]:
    return {key: query[key] for key in ("registry", "target", "sources") if key in query}


@require_http_methods(["GET", "POST"])
def merge_page(request: HttpRequest) -> HttpResponse:
    operator = is_operator(request.user)
    if request.method == "POST":
        if not operator:
            raise PermissionDenied("Only operators can merge.")
        form = MergeForm(request.POST)
        if form.is_valid():
            params = form.job_params()
            if request.POST.get("action") == "preview":
                return render(request, "swarm/merge.html", {
                    "form": form, "preview": preview_from_inventory(params),
                    "suggestions": suggestions(),
                })
            job = create_job("merge", params, request.user)
            return redirect(f"{reverse('swarm:job', args=[job.pk])}?follow=1")
    else:
        form = MergeForm(initial=_initial(request.GET))
    return render(request, "swarm/merge.html", {"form": form, "suggestions": suggestions()})
