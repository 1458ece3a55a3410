"""Fix hints and links as the compatibility pages show them: tag page links, the merge form
prefilled where swarmdeck has one, the commands to type where it does not."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse

from swarm.fix_hints import FixHints, merge_commands, rebuild_command
from swarm.image_lookup import Inventory, InventoryTag


@lru_cache(maxsize=64)
def _tag_url_pattern(registry_id: int) -> str:
    return reverse("swarm:tag", args=[registry_id, "REPOSITORY", "TAG"])


def tag_url(registry_id: int, repository: str, name: str) -> str:
    """``reverse("swarm:tag", ...)`` for hundreds of links at a fraction of the cost.

    Repository names are lowercase and neither they nor tags need quoting in a path
    (distribution's grammar), so filling in a reversed pattern gives the same URL.
    """
    pattern = _tag_url_pattern(registry_id)
    return pattern.replace("REPOSITORY", repository, 1).replace("TAG", name, 1)


@dataclass(frozen=True)
class HintView:
    """Fix hints ready to show: links where the pages exist, commands where they do not."""

    hints: FixHints
    tag: InventoryTag
    merge_url: str | None
    merge_commands: list[str]
    rebuild_command: str
    source_links: list[tuple[str, str]]  # (tag name, tag page) of each merge source
    use_instead_url: str
    # The recipe that builds this repository: (id, name, platforms it lacks for the rebuild)
    recipe: tuple[int, str, tuple[str, ...]] | None = None


def merge_form_url(tag: InventoryTag, target: str, sources: Sequence[str]) -> str | None:
    """The merge form filled in (its query format: ``repository:tag`` per line), or None
    while swarmdeck has no merge form."""
    try:
        base = reverse("swarm:merge")
    except NoReverseMatch:
        return None
    query = urlencode({"registry": tag.registry_id, "target": f"{tag.repository}:{target}",
                       "sources": "\n".join(f"{tag.repository}:{s}" for s in sources)})
    return f"{base}?{query}"


def present_hints(tag: InventoryTag, hints: FixHints, inventory: Inventory) -> HintView | None:
    if not hints.any:
        return None
    merge = hints.merge
    url = merge_form_url(tag, merge.target, merge.source_names) if merge else None
    commands = []
    if merge and url is None:
        plain_http = inventory.plain_http.get(tag.registry_id, False)
        commands = merge_commands(tag.registry_host, tag.repository, merge, plain_http=plain_http)
    rebuild = rebuild_command(hints.rebuild) if hints.rebuild else ""
    links = [(name, tag_url(tag.registry_id, tag.repository, name))
             for name in (merge.source_names if merge else ())]
    instead = hints.use_instead
    instead_url = tag_url(tag.registry_id, tag.repository, instead.name) if instead else ""
    recipe = None
    if hints.rebuild and (found := inventory.recipes.get((tag.registry_id, tag.repository))):
        lacking = tuple(str(p) for p in hints.rebuild if str(p) not in found[2])
        recipe = (found[0], found[1], lacking)
    return HintView(hints, tag, url, commands, rebuild, links, instead_url, recipe)
