"""From a stored BuildRecipe to a validated BuildSpec (database and filesystem reads)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from swarm import build_spec
from swarm.build_spec import COMMON_PLATFORMS, BuildSpec, SpecError
from swarm.builder_settings import builder_name
from swarm.models import BuildRecipe, SwarmNode


def known_platforms() -> set[str]:
    return set(COMMON_PLATFORMS) | needed_platforms()


def needed_platforms() -> set[str]:
    """What the swarm's nodes run natively: every image should have these."""
    return {p for p in SwarmNode.objects.values_list("platform", flat=True) if p}


def context_of(recipe: BuildRecipe) -> str:
    if recipe.context_kind == BuildRecipe.ContextKind.GIT:
        return build_spec.git_context(recipe.git_url, recipe.git_ref, recipe.git_subdir)
    try:
        folder = build_spec.local_context(recipe.context_path, settings.BUILD_ROOTS)
        is_folder = folder.is_dir()
    except OSError as error:  # a name too long, no permission: a field error, not a crash
        raise SpecError("context_path", f"cannot use that folder: {error.strerror}") from None
    if not is_folder:
        raise SpecError("context_path", f"{folder} is not a folder on the swarmdeck host")
    return str(folder)


def dockerfile_of(recipe: BuildRecipe, context: str) -> str:
    relative = build_spec.relative_path("dockerfile", recipe.dockerfile or "Dockerfile")
    if recipe.context_kind == BuildRecipe.ContextKind.GIT:
        return relative  # buildx reads it inside the remote context
    path = Path(context) / relative
    if not path.resolve().is_relative_to(Path(context)):
        raise SpecError("dockerfile", "the Dockerfile must be inside the context folder")
    return str(path)


def spec_for(recipe: BuildRecipe) -> BuildSpec:
    """Everything checked again at build time: a recipe may be older than today's rules."""
    if recipe.registry is None:
        raise SpecError("registry", "the recipe's registry was removed: pick another")
    repository = build_spec.repository(recipe.repository)
    context = context_of(recipe)
    return BuildSpec(
        builder=build_spec.builder(recipe.builder or builder_name()),
        platforms=build_spec.platforms(list(recipe.platforms), known_platforms()),
        images=tuple(f"{recipe.registry.host}/{repository}:{tag}"
                     for tag in build_spec.tags(list(recipe.tags))),
        context=context,
        dockerfile=dockerfile_of(recipe, context),
        build_args=tuple((str(k), str(v)) for k, v in (recipe.build_args or {}).items()),
        provenance=recipe.provenance,
        no_cache=recipe.no_cache,
    )
