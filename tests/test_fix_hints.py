"""What would fix an image that lacks a node's platform: an existing tag, a merge of
per-arch tags (checked against their real platforms), or a rebuild."""

from __future__ import annotations

import pytest

from swarm.fix_hints import FixHints, TagFacts, fix_hints, merge_commands, read_arch_tag
from swarm.platforms import Platform

P = Platform.parse
AMD64, ARM64, ARMV7 = P("linux/amd64"), P("linux/arm64"), P("linux/arm/v7")


def tag(name: str, *platforms: str, index: bool = False) -> TagFacts:
    return TagFacts(name, tuple(P(p) for p in platforms), index)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("1.29.0-amd64", ("1.29.0", AMD64)),
        ("1.29.0-arm64", ("1.29.0", ARM64)),
        ("1.29.0-armv7", ("1.29.0", ARMV7)),
        ("v2_arm64", ("v2", ARM64)),
        ("1.0-linux-arm64", ("1.0", ARM64)),
        ("latest-aarch64", ("latest", ARM64)),
        ("1.29.0", None),
        ("arm64", None),
    ],
)
def test_it_reads_per_arch_tag_names(name, expected):
    assert read_arch_tag(name) == expected


@pytest.mark.parametrize(
    ("case", "current", "needed", "siblings", "target", "sources", "adds", "rebuild"),
    [
        ("the classic pair", tag("1.29.0-amd64", "linux/amd64"), [ARM64],
         [tag("1.29.0-arm64", "linux/arm64"), tag("1.30.0-arm64", "linux/arm64")],
         "1.29.0", ("1.29.0-amd64", "1.29.0-arm64"), (ARM64,), ()),
        ("underscore names", tag("v2_amd64", "linux/amd64"), [ARM64],
         [tag("v2_arm64", "linux/arm64")], "v2", ("v2_amd64", "v2_arm64"), (ARM64,), ()),
        ("an un-suffixed tag in use is merged into itself", tag("1.0", "linux/amd64"), [ARM64],
         [tag("1.0-linux-arm64", "linux/arm64")], "1.0", ("1.0", "1.0-linux-arm64"),
         (ARM64,), ()),
        ("arm64 prefers its own arch over arm/v7", tag("1.0-amd64", "linux/amd64"), [ARM64],
         [tag("1.0-armv7", "linux/arm/v7"), tag("1.0-arm64", "linux/arm64")],
         "1.0", ("1.0-amd64", "1.0-arm64"), (ARM64,), ()),
        ("arm64 takes arm/v7 in 32-bit compat when that is all there is",
         tag("1.0-amd64", "linux/amd64"), [ARM64], [tag("1.0-armv7", "linux/arm/v7")],
         "1.0", ("1.0-amd64", "1.0-armv7"), (ARMV7,), ()),
        ("an armv7 node cannot use the arm64 tag: rebuild for it", tag("1.0-amd64", "linux/amd64"),
         [ARM64, ARMV7], [tag("1.0-arm64", "linux/arm64")], "1.0", ("1.0-amd64", "1.0-arm64"),
         (ARM64,), (AMD64, ARM64, ARMV7)),
    ],
)
def test_it_suggests_merging_per_arch_tags(case, current, needed, siblings, target, sources,
                                           adds, rebuild):
    hints = fix_hints(current, needed, siblings)

    assert hints.merge is not None, case
    assert hints.merge.target == target, case
    assert hints.merge.source_names == sources, case
    assert hints.merge.adds == adds, case
    assert hints.merge.renames is (target != current.name), case
    assert hints.rebuild == rebuild, case


def test_an_existing_multi_arch_tag_beats_a_merge():
    hints = fix_hints(tag("1.29.0-amd64", "linux/amd64"), [ARM64],
                      [tag("1.29.0", "linux/amd64", "linux/arm64", index=True),
                       tag("1.29.0-arm64", "linux/arm64")])

    assert hints.use_instead == tag("1.29.0", "linux/amd64", "linux/arm64", index=True)
    assert hints.merge is None and hints.rebuild == ()


def test_a_tag_whose_name_lies_is_reported_not_suggested():
    hints = fix_hints(tag("1.0-amd64", "linux/amd64"), [ARM64], [tag("1.0-arm64", "linux/amd64")])

    assert hints.merge is None
    assert hints.mislabelled == ("1.0-arm64 is named for linux/arm64 but holds linux/amd64",)
    assert hints.rebuild == (AMD64, ARM64)


def test_a_sibling_of_unknown_platform_is_neither_suggested_nor_accused():
    hints = fix_hints(tag("1.0-amd64", "linux/amd64"), [ARM64], [tag("1.0-arm64")])

    assert hints == FixHints(rebuild=(AMD64, ARM64))


def test_without_per_arch_tags_it_says_rebuild_with_the_missing_platforms():
    hints = fix_hints(tag("2.0", "linux/arm64", "linux/arm/v7", index=True), [AMD64],
                      [tag("latest", "linux/amd64"), tag("1.9-amd64", "linux/amd64")])

    assert hints.merge is None
    assert hints.rebuild == (ARM64, ARMV7, AMD64)


def test_nothing_needed_means_no_hints():
    assert not fix_hints(tag("1.0", "linux/amd64"), [], [tag("1.0-arm64", "linux/arm64")]).any


def test_merge_commands_use_docker_manifest_for_single_images_over_http():
    hints = fix_hints(tag("1.0-amd64", "linux/amd64"), [ARM64], [tag("1.0-arm64", "linux/arm64")])
    assert hints.merge is not None

    assert merge_commands("192.168.31.98:5000", "nginx", hints.merge, plain_http=True) == [
        "docker manifest create --insecure 192.168.31.98:5000/nginx:1.0 "
        "--amend 192.168.31.98:5000/nginx:1.0-amd64 --amend 192.168.31.98:5000/nginx:1.0-arm64",
        "docker manifest push --insecure 192.168.31.98:5000/nginx:1.0",
    ]
    assert "--insecure" not in merge_commands("reg.lan", "nginx", hints.merge, plain_http=False)[0]


def test_merge_commands_use_imagetools_when_a_source_is_an_index():
    hints = fix_hints(tag("1.0", "linux/amd64", "linux/arm64", index=True), [ARMV7],
                      [tag("1.0-armv7", "linux/arm/v7")])
    assert hints.merge is not None

    assert merge_commands("reg.lan", "web", hints.merge, plain_http=False) == [
        "docker buildx imagetools create -t reg.lan/web:1.0 reg.lan/web:1.0 reg.lan/web:1.0-armv7"
    ]
