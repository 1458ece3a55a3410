"""Finding a service's image in the registry inventory, and saying so when it is not there
instead of guessing."""

from __future__ import annotations

import pytest

from swarm.image_lookup import (
    Inventory,
    InventoryChild,
    InventoryTag,
    MatchStatus,
    pinned_digest,
    tags_used,
)
from swarm.platforms import Platform

HOST = "192.168.31.98:5000"
P = Platform.parse


def digest(char: str) -> str:
    return "sha256:" + char * 64


WEB = InventoryTag(1, HOST, "apps/web", "1.0", digest("a"),
                   (P("linux/amd64"), P("linux/arm64")), True, "oci_index")
WEB_ALIAS = InventoryTag(1, HOST, "apps/web", "stable", digest("a"), WEB.platforms, True,
                         "oci_index")
LATEST = InventoryTag(1, HOST, "apps/web", "latest", digest("b"), (P("linux/amd64"),), False,
                      "docker_manifest")
OLD = InventoryTag(1, HOST, "apps/old", "0.1", digest("c"), (), False, "docker_manifest")
ATTESTED_ONLY = InventoryTag(1, HOST, "apps/odd", "1", digest("d"), (), True, "oci_index")
INVENTORY = Inventory(
    hosts={HOST: 1},
    tags=[WEB, WEB_ALIAS, LATEST, OLD, ATTESTED_ONLY],
    children=[InventoryChild(digest("e"), P("linux/arm64"), WEB)],
)


@pytest.mark.parametrize(
    ("image", "status", "tag", "platforms", "note"),
    [
        (f"{HOST}/apps/web:1.0@{digest('a')}", MatchStatus.FOUND, WEB,
         ("linux/amd64", "linux/arm64"), ""),
        (f"{HOST}/apps/web:stable@{digest('a')}", MatchStatus.FOUND, WEB_ALIAS,
         ("linux/amd64", "linux/arm64"), ""),
        (f"{HOST}/apps/web:1.0", MatchStatus.FOUND, WEB, ("linux/amd64", "linux/arm64"), ""),
        (f"{HOST}/apps/web", MatchStatus.FOUND, LATEST, ("linux/amd64",), ""),
        (f"{HOST}/apps/web:1.0@{digest('e')}", MatchStatus.FOUND, WEB, ("linux/arm64",),
         "pinned to the linux/arm64 image inside apps/web:1.0"),
        (f"{HOST}/apps/web:1.0@{digest('f')}", MatchStatus.NOT_SCANNED, None, None,
         "the tag now points at sha256:aaaaaaaaaaaa"),
        (f"{HOST}/apps/web:2.0", MatchStatus.NOT_SCANNED, None, None,
         "apps/web:2.0 was not in the last scan of 192.168.31.98:5000"),
        (f"{HOST}/apps/old:0.1", MatchStatus.FOUND, OLD, None,
         "the scan could not read this image's platform"),
        (f"{HOST}/apps/odd:1", MatchStatus.FOUND, ATTESTED_ONLY, (), ""),
        ("nginx:1.29.0", MatchStatus.UNKNOWN_REGISTRY, None, None, "Docker Hub is not scanned"),
        ("ghcr.io/acme/tool:1", MatchStatus.UNKNOWN_REGISTRY, None, None,
         "the image is in ghcr.io, which is not one of swarmdeck's registries"),
        ("Bad Image!", MatchStatus.INVALID, None, None, "is not a valid image reference"),
        ("", MatchStatus.INVALID, None, None, "image reference is empty"),
    ],
)
def test_it_finds_images_by_pinned_digest_then_by_tag(image, status, tag, platforms, note):
    match = INVENTORY.match(image)

    assert match.status is status
    assert match.tag == tag
    if platforms is None:
        assert match.platforms is None
    else:
        assert tuple(str(p) for p in match.platforms) == platforms
    assert note in match.note


def test_a_child_pin_is_a_single_platform_image_not_an_index():
    match = INVENTORY.match(f"{HOST}/apps/web:1.0@{digest('e')}")
    assert match.found and not match.is_index
    assert INVENTORY.match(f"{HOST}/apps/web:1.0").is_index


def test_registry_hosts_match_whatever_their_case():
    inventory = Inventory(hosts={"Registry.LAN:5000": 1},
                          tags=[InventoryTag(1, "registry.lan:5000", "web", "1", digest("a"),
                                             (P("linux/amd64"),), False)])
    assert inventory.match("registry.lan:5000/web:1").found


def test_the_tags_services_use_are_listed_once_in_first_use_order():
    matches = [INVENTORY.match(f"{HOST}/apps/web:latest"), INVENTORY.match("nginx"),
               INVENTORY.match(f"{HOST}/apps/web:1.0"), INVENTORY.match(f"{HOST}/apps/web")]
    assert tags_used(matches) == [LATEST, WEB]


@pytest.mark.parametrize(
    ("image", "expected"),
    [(f"{HOST}/apps/web:1.0@{digest('a')}", digest("a")), ("nginx:1", ""), ("Bad!", "")],
)
def test_pinned_digest(image, expected):
    assert pinned_digest(image) == expected
