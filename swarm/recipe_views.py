"""Build recipes: list, form, page, and the one-click Build."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from swarm.build_recipes import needed_platforms
from swarm.jobs import create_job
from swarm.models import BuildRecipe, Job
from swarm.recipe_forms import BuildRecipeForm
from swarm.roles import operator_required


@require_GET
def recipes_page(request: HttpRequest) -> HttpResponse:
    recipes = list(BuildRecipe.objects.select_related("registry"))
    running = set(Job.objects.filter(kind="build", status__in=Job.ACTIVE)
                  .values_list("params__recipe", flat=True))
    needed = needed_platforms()
    for recipe in recipes:
        recipe.running = recipe.pk in running  # type: ignore[attr-defined]
        recipe.missing = sorted(needed - set(recipe.platforms))  # type: ignore[attr-defined]
    return render(request, "swarm/recipes.html", {"recipes": recipes})


@require_http_methods(["GET", "POST"])
@operator_required
def recipe_form(request: HttpRequest, recipe_id: int | None = None) -> HttpResponse:
    recipe = get_object_or_404(BuildRecipe, pk=recipe_id) if recipe_id else None
    form = BuildRecipeForm(request.POST or None, instance=recipe)
    if request.method == "POST" and form.is_valid():
        saved: BuildRecipe = form.save(commit=False)
        saved.tags = form.cleaned_data["tags"]
        saved.platforms = form.cleaned_data["platforms"]
        saved.build_args = form.cleaned_data["build_args"]
        if saved.created_by_id is None:
            saved.created_by = request.user
        saved.save()
        messages.success(request, f"Recipe {saved.name} saved.")
        return redirect("swarm:recipe", recipe_id=saved.pk)
    return render(request, "swarm/recipe_form.html", {"form": form, "recipe": recipe})


@require_GET
def recipe_page(request: HttpRequest, recipe_id: int) -> HttpResponse:
    recipe = get_object_or_404(BuildRecipe.objects.select_related("registry"), pk=recipe_id)
    builds = Job.objects.filter(kind="build", params__recipe=recipe.pk).order_by("-pk")[:20]
    return render(request, "swarm/recipe.html", {
        "recipe": recipe, "builds": builds, "running": Job.active("build", recipe=recipe.pk),
        "missing": sorted(needed_platforms() - set(recipe.platforms)),
    })


@require_POST
@operator_required
def build_recipe(request: HttpRequest, recipe_id: int) -> HttpResponse:
    recipe = get_object_or_404(BuildRecipe, pk=recipe_id)
    running = Job.active("build", recipe=recipe.pk)
    if running is not None:
        messages.warning(request, f"{recipe.name} is already building (job #{running.pk}); "
                                  "wait for it or cancel it first.")
        return redirect("swarm:job", job_id=running.pk)
    job = create_job("build", {"recipe": recipe.pk, "recipe_name": recipe.name}, request.user)
    return redirect("swarm:job", job_id=job.pk)
