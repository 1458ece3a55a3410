"""What a node can run versus where Swarm will place a task (DOMAIN.md sections 2-3)."""

from __future__ import annotations

import pytest

from swarm.compat import (
    Level,
    Node,
    Placement,
    check_placement,
    placement_warnings,
    real_platforms,
    run_verdict,
    run_verdicts,
    swarm_verdict,
)
from swarm.platforms import Platform

P = Platform.parse
NO_EMULATORS: frozenset[Platform] = frozenset()


def laptop(emulated: list[str] | None = None) -> Node:
    return _node("laptop", "x86_64", emulated)


def pi(emulated: list[str] | None = None) -> Node:
    return _node("pi", "aarch64", emulated)


def pi32(emulated: list[str] | None = None) -> Node:
    return _node("pi32", "armv7l", emulated)


def _node(name: str, arch: str, emulated: list[str] | None) -> Node:
    platforms = None if emulated is None else [P(p) for p in emulated]
    return Node.from_swarm(name, "linux", arch, platforms)


def images(*texts: str) -> list[Platform]:
    return [P(t) for t in texts]


@pytest.mark.parametrize(
    ("node", "image", "is_index", "level", "chosen"),
    [
        (laptop(), images("linux/amd64", "linux/arm64"), True, Level.NATIVE, "linux/amd64"),
        (laptop(), images("linux/386"), True, Level.COMPAT32, "linux/386"),
        (laptop(), images("linux/386", "linux/amd64"), True, Level.NATIVE, "linux/amd64"),
        (pi(), images("linux/arm64", "linux/arm/v7"), True, Level.NATIVE, "linux/arm64"),
        (pi(), images("linux/amd64", "linux/arm/v7"), True, Level.COMPAT32, "linux/arm/v7"),
        # containerd's vector order decides, not the index order.
        (pi(), images("linux/arm/v6", "linux/arm/v7"), True, Level.COMPAT32, "linux/arm/v7"),
        (pi32(), images("linux/arm64"), True, Level.CANNOT, None),
        (pi32(), images("linux/arm64", "linux/arm/v6"), True, Level.NATIVE, "linux/arm/v6"),
        (laptop(), images("linux/amd64/v3"), True, Level.CANNOT, None),
        (laptop(), images("linux/amd64/v2", "linux/amd64/v3"), True, Level.CANNOT, None),
        (laptop(), images("linux/amd64/v3", "linux/amd64"), True, Level.NATIVE, "linux/amd64"),
        (laptop(), images("windows/amd64"), True, Level.CANNOT, None),
        (laptop(), images("unknown/unknown", "linux/amd64"), True, Level.NATIVE, "linux/amd64"),
        (laptop(), images("unknown/unknown"), True, Level.CANNOT, None),
        (laptop(), images(), True, Level.CANNOT, None),
        (laptop(), None, True, Level.UNKNOWN, None),
        # Emulators: a single-platform manifest is pulled whatever its platform.
        (pi(["linux/amd64"]), images("linux/amd64"), False, Level.EMULATED, "linux/amd64"),
        (pi32(["linux/arm64"]), images("linux/arm64"), False, Level.EMULATED, "linux/arm64"),
        (laptop(["linux/arm/v7"]), images("linux/arm/v6"), False, Level.EMULATED, "linux/arm/v6"),
        (pi(["linux/amd64"]), images("linux/amd64"), True, Level.CANNOT, None),
        (
            pi(["linux/amd64"]),
            images("linux/amd64", "linux/arm/v7"),
            False,
            Level.COMPAT32,
            "linux/arm/v7",
        ),
        (
            laptop(["linux/arm64"]),
            images("linux/arm64", "linux/386"),
            False,
            Level.COMPAT32,
            "linux/386",
        ),
        (laptop(["linux/amd64"]), images("linux/386"), False, Level.COMPAT32, "linux/386"),
        # An arm64 emulator has no 32-bit mode; an amd64 one does not run 386.
        (laptop(["linux/arm64"]), images("linux/arm/v7"), False, Level.CANNOT, None),
        (pi(["linux/amd64"]), images("linux/386"), False, Level.CANNOT, None),
        (pi(["linux/amd64"]), images("windows/amd64"), False, Level.CANNOT, None),
        (pi([]), images("linux/amd64"), False, Level.CANNOT, None),
        (pi(), images("linux/amd64"), False, Level.CANNOT, None),
    ],
)
def test_it_grades_what_a_node_can_run(
    node: Node, image: list[Platform] | None, is_index: bool, level: Level, chosen: str | None
) -> None:
    verdict = run_verdict(node, image, image_is_index=is_index)
    assert verdict.level is level
    assert (str(verdict.platform) if verdict.platform else None) == chosen


def test_it_normalises_image_platforms_built_directly() -> None:
    unnormalised = [Platform("linux", "aarch64", "v8"), Platform("linux", "arm")]
    assert run_verdict(pi(), unnormalised).platform == P("linux/arm64")
    assert run_verdict(laptop(), [Platform("linux", "x86_64", "v1")]).level is Level.NATIVE


def test_it_drops_attestations_and_duplicates_from_image_platforms() -> None:
    listed = [*images("linux/amd64", "unknown/unknown"), Platform("linux", "x86_64")]
    assert real_platforms(listed) == [P("linux/amd64")]


@pytest.mark.parametrize(
    ("node", "image", "reason"),
    [
        (pi(), images("linux/arm64"), "image has linux/arm64; node is aarch64 -> linux/arm64"),
        (
            Node("pi", P("linux/arm64"), "arm64", NO_EMULATORS),
            images("linux/amd64"),
            "image has only linux/amd64; node is linux/arm64 and no emulator for amd64 is "
            "registered",
        ),
        (
            pi(),
            images("linux/amd64"),
            "image has only linux/amd64; node is aarch64 -> linux/arm64 and it is unknown "
            "whether an emulator for amd64 is registered",
        ),
        (
            pi(),
            images("linux/arm/v7"),
            "image has linux/arm/v7; node is aarch64 -> linux/arm64: "
            "runs linux/arm/v7 in 32-bit compat mode",
        ),
        (
            pi(["linux/amd64"]),
            images("linux/amd64"),
            "image has linux/amd64; node is aarch64 -> linux/arm64: "
            "runs linux/amd64 under emulation (slowly)",
        ),
        (laptop(), None, "the image's platforms are unknown"),
    ],
)
def test_it_explains_the_run_verdict(node: Node, image: list[Platform] | None, reason: str) -> None:
    assert run_verdict(node, image).reason == reason


@pytest.mark.parametrize(
    ("node", "image", "is_index", "fragment"),
    [
        (laptop(), images("linux/amd64/v3"), True, "never detects"),
        (laptop(), images("windows/amd64"), True, "not windows/amd64"),
        (laptop(), images("unknown/unknown"), True, "only attestations"),
        (pi(["linux/amd64"]), images("linux/amd64"), True, "pulls only the node's own platforms"),
    ],
)
def test_it_says_why_a_node_cannot_run_an_image(
    node: Node, image: list[Platform], is_index: bool, fragment: str
) -> None:
    assert fragment in run_verdict(node, image, image_is_index=is_index).reason


def test_it_grades_every_node() -> None:
    verdicts = run_verdicts([laptop(), pi(), pi32()], images("linux/arm64", "linux/arm/v7"))
    assert {name: v.level for name, v in verdicts.items()} == {
        "laptop": Level.CANNOT,
        "pi": Level.NATIVE,
        "pi32": Level.NATIVE,
    }


def test_it_rejects_nodes_with_unknown_machines() -> None:
    with pytest.raises(ValueError):
        Node.from_swarm("odd", "linux", "sparc")


@pytest.mark.parametrize(
    ("node", "service", "allowed", "matched", "fragment"),
    [
        (laptop(), [], True, None, "no platform list"),
        (laptop(), [("linux", "amd64")], True, ("linux", "amd64"), "linux/amd64"),
        (pi(), [("linux", "amd64"), ("linux", "arm64")], True, ("linux", "arm64"), "aarch64"),
        (laptop(), [("linux", "arm64"), ("linux", "")], True, ("linux", ""), "blanked"),
        (pi32(), [("linux", "")], True, ("linux", ""), "blanked"),
        (pi(), [("linux", "amd64")], False, None, "none matching linux/aarch64"),
        (pi32(), [("linux", "arm")], False, None, "maps only x86_64 and aarch64"),
        (laptop(), [("windows", "amd64")], False, None, "windows/amd64"),
    ],
)
def test_it_explains_the_swarm_verdict(
    node: Node,
    service: list[tuple[str, str]],
    allowed: bool,
    matched: tuple[str, str] | None,
    fragment: str,
) -> None:
    verdict = swarm_verdict(node, service)
    assert verdict.allowed is allowed
    assert verdict.matched == matched
    assert fragment in verdict.reason


def test_it_gives_no_raw_arch_hint_when_the_service_lacks_the_architecture() -> None:
    assert "maps only" not in swarm_verdict(pi32(), [("linux", "arm64")]).reason


def test_it_warns_when_swarm_allows_a_node_that_cannot_pull_the_image() -> None:
    # `docker service create` blanks the arm entry of an arm64 + arm/v7 image.
    placement = check_placement(
        laptop(),
        [("linux", "arm64"), ("linux", "")],
        images("linux/arm64", "linux/arm/v7"),
        image_is_index=True,
    )
    assert placement.swarm.allowed
    assert placement.run.level is Level.CANNOT
    assert placement.warning == (
        "Swarm may place this on laptop (amd64) but the image has no linux/amd64: "
        "the task will fail at pull"
    )


@pytest.mark.parametrize(
    ("node", "failure"),
    [
        (pi([]), "the task will fail with exec format error"),
        (pi(), "the task will fail with exec format error unless an emulator is registered"),
    ],
)
def test_it_warns_that_a_single_platform_manifest_dies_at_start(node: Node, failure: str) -> None:
    # A single-arch manifest gives the service no platforms at all: every node is allowed.
    placement = check_placement(node, [], images("linux/amd64"))
    assert placement.warning == (
        f"Swarm may place this on pi (arm64) but the image has no linux/arm64: {failure}"
    )


@pytest.mark.parametrize(
    ("node", "service", "image", "fragment"),
    [
        # An API-made service listing only amd64 for a multi-arch image.
        (pi(), [("linux", "amd64")], images("linux/amd64", "linux/arm64"), "(native)"),
        # An API-made service with an unblanked arm entry: Swarm refuses the 32-bit Pi.
        (pi32(), [("linux", "arm")], images("linux/arm/v7"), "maps only x86_64 and aarch64"),
        (pi(), [("linux", "amd64")], images("linux/amd64", "linux/arm/v7"), "(32-bit compat)"),
    ],
)
def test_it_warns_when_swarm_refuses_a_node_that_could_run_the_image(
    node: Node, service: list[tuple[str, str]], image: list[Platform], fragment: str
) -> None:
    warning = check_placement(node, service, image, image_is_index=True).warning
    assert warning is not None
    assert warning.startswith(f"Swarm will not place this on {node.label}: ")
    assert fragment in warning


@pytest.mark.parametrize(
    ("node", "service", "image", "is_index"),
    [
        (laptop(), [("linux", "amd64")], images("linux/amd64"), True),
        (pi(), [("linux", "amd64")], images("linux/amd64"), True),
        (laptop(), [("linux", "")], None, True),
        (pi(["linux/amd64"]), [], images("linux/amd64"), False),
        (pi(), [], images("linux/arm/v7"), True),
    ],
)
def test_it_stays_quiet_where_swarm_and_the_node_agree(
    node: Node, service: list[tuple[str, str]], image: list[Platform] | None, is_index: bool
) -> None:
    assert check_placement(node, service, image, image_is_index=is_index).warning is None


def test_it_collects_warnings_in_node_order() -> None:
    service = [("linux", "arm64"), ("linux", "")]
    image = images("linux/arm64", "linux/arm/v7")
    placements: dict[str, Placement] = {
        n.name: check_placement(n, service, image, image_is_index=True)
        for n in (pi(), laptop(), pi32())
    }
    warnings = placement_warnings(placements)
    assert len(warnings) == 1
    assert warnings[0].startswith("Swarm may place this on laptop (amd64)")
