"""Suggested merges from per-arch tag names, checked against the real platforms."""

from __future__ import annotations

import pytest

from swarm.merge_suggestions import TagFacts, split_arch_suffix, suggest_merges


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("1.29.0-amd64", ("1.29.0", "linux/amd64")),
        ("1.29.0-arm64", ("1.29.0", "linux/arm64")),
        ("1.29.0-armv7", ("1.29.0", "linux/arm/v7")),
        ("v2_arm64", ("v2", "linux/arm64")),
        ("3.1-linux-arm64", ("3.1", "linux/arm64")),
        ("latest-arm32v7", ("latest", "linux/arm/v7")),
        ("edge-aarch64", ("edge", "linux/arm64")),
        ("1.0-x86_64", ("1.0", "linux/amd64")),
        ("1.0-arm64v8", ("1.0", "linux/arm64")),
        ("1.29.0", None),
        ("amd64", None),
        ("1.0-amd64-debug", None),
        ("1.0-armv7x", None),
    ],
)
def test_it_reads_the_architecture_from_the_tag_name(tag, expected):
    assert split_arch_suffix(tag) == expected


def facts(name: str, *platforms: str, repo: str = "nginx") -> TagFacts:
    return TagFacts(repo, name, tuple(platforms))


def test_it_suggests_merging_per_arch_tags_into_the_base_tag():
    [suggestion] = suggest_merges([
        facts("1.29.0-amd64", "linux/amd64"), facts("1.29.0-arm64", "linux/arm64"),
        facts("1.29.0-armv7", "linux/arm/v7"), facts("1.28.0-amd64", "linux/amd64"),
    ])
    assert (suggestion.repository, suggestion.target_tag) == ("nginx", "1.29.0")
    assert [s.name for s in suggestion.sources] == ["1.29.0-amd64", "1.29.0-armv7",
                                                    "1.29.0-arm64"]
    assert suggestion.platforms == ("linux/amd64", "linux/arm/v7", "linux/arm64")
    assert not suggestion.target_exists


def test_it_ignores_a_tag_whose_real_platform_contradicts_its_name():
    assert suggest_merges([facts("1.0-amd64", "linux/amd64"),
                           facts("1.0-arm64", "linux/amd64")]) == []


def test_it_ignores_tags_that_are_already_multi_platform():
    assert suggest_merges([facts("1.0-amd64", "linux/amd64"),
                           facts("1.0-arm64", "linux/arm64", "linux/amd64")]) == []


def test_it_skips_a_target_that_already_has_every_platform():
    tags = [facts("1.0-amd64", "linux/amd64"), facts("1.0-arm64", "linux/arm64"),
            facts("1.0", "linux/amd64", "linux/arm64")]
    assert suggest_merges(tags) == []


def test_it_suggests_completing_a_target_that_lacks_a_platform():
    [suggestion] = suggest_merges([facts("1.0-amd64", "linux/amd64"),
                                   facts("1.0-arm64", "linux/arm64"),
                                   facts("1.0", "linux/amd64")])
    assert suggestion.target_exists and suggestion.adds == ("linux/arm64",)


def test_repositories_are_kept_apart():
    assert suggest_merges([facts("1-amd64", "linux/amd64", repo="a"),
                           facts("1-arm64", "linux/arm64", repo="b")]) == []


def test_it_never_suggests_a_merge_that_would_drop_a_platform_of_the_target():
    tags = [facts("1.0-amd64", "linux/amd64"), facts("1.0-arm64", "linux/arm64"),
            facts("1.0", "linux/amd64", "linux/s390x")]
    assert suggest_merges(tags) == []
