"""Platform parsing, containerd's normalisation and matching, and Swarm's platform filter.

Rules come from DOMAIN.md sections 2-3: containerd/platforms database.go (normalizeArch) and
compare.go (platformVector), moby/swarmkit manager/scheduler/filter.go (PlatformFilter).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from swarm.platforms import (
    Platform,
    Support,
    explain_support,
    native_support,
    normalize_arch,
    platform_vector,
    swarm_filter_allows,
)

P = Platform.parse


@pytest.mark.parametrize(
    ("arch", "variant", "expected"),
    [
        ("x86_64", "", ("amd64", "")),
        ("x86-64", "", ("amd64", "")),
        ("amd64", "", ("amd64", "")),
        ("amd64", "v1", ("amd64", "")),
        ("amd64", "v2", ("amd64", "v2")),
        ("amd64", "v3", ("amd64", "v3")),
        ("aarch64", "", ("arm64", "")),
        ("arm64", "v8", ("arm64", "")),
        ("arm64", "8", ("arm64", "")),
        ("arm64", "v8.0", ("arm64", "")),
        ("arm64", "v8.2", ("arm64", "v8.2")),
        ("arm64", "9", ("arm64", "v9")),
        ("armhf", "", ("arm", "v7")),
        ("armel", "", ("arm", "v6")),
        ("arm", "", ("arm", "v7")),
        ("arm", "7", ("arm", "v7")),
        ("arm", "6", ("arm", "v6")),
        ("arm", "5", ("arm", "v5")),
        ("arm", "8", ("arm", "v8")),
        ("arm", "v6", ("arm", "v6")),
        ("i386", "", ("386", "")),
        ("armv7l", "", ("arm", "v7")),
        ("armv6l", "", ("arm", "v6")),
        ("i686", "", ("386", "")),
        ("AMD64", "V1", ("amd64", "")),
        ("riscv64", "", ("riscv64", "")),
        ("ppc64le", "", ("ppc64le", "")),
    ],
)
def test_it_normalises_architectures_like_containerd(
    arch: str, variant: str, expected: tuple[str, str]
) -> None:
    assert normalize_arch(arch, variant) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("linux/amd64", Platform("linux", "amd64")),
        ("linux/arm64/v8", Platform("linux", "arm64")),
        ("linux/arm/v7", Platform("linux", "arm", "v7")),
        ("linux/arm", Platform("linux", "arm", "v7")),
        ("linux/armhf", Platform("linux", "arm", "v7")),
        ("linux/armel", Platform("linux", "arm", "v6")),
        ("linux/x86_64/v1", Platform("linux", "amd64")),
        ("linux/aarch64/v8.0", Platform("linux", "arm64")),
        ("linux/i386", Platform("linux", "386")),
        ("linux/armv7l", Platform("linux", "arm", "v7")),
        ("Linux/AMD64", Platform("linux", "amd64")),
        ("  linux/amd64/v3\n", Platform("linux", "amd64", "v3")),
        ("macos/arm64", Platform("darwin", "arm64")),
        ("windows/amd64", Platform("windows", "amd64")),
        ("unknown/unknown", Platform("unknown", "unknown")),
    ],
)
def test_it_parses_and_normalises_platforms(text: str, expected: Platform) -> None:
    assert Platform.parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "amd64",
        "linux/",
        "/amd64",
        "linux/amd64/",
        "linux//v7",
        "linux/arm/v7/extra",
        "linux / amd64",
        "linux/amd 64",
        "windows(10.0.17763)/amd64",
        "linux/amd64\n/v7",
        "linux/ämd64",
    ],
)
def test_it_rejects_malformed_platform(text: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        Platform.parse(text)
    assert repr(text) in str(excinfo.value)


@pytest.mark.parametrize(
    ("platform", "text"),
    [
        (Platform("linux", "arm", "v7"), "linux/arm/v7"),
        (Platform("linux", "amd64"), "linux/amd64"),
        (Platform("windows", "amd64"), "windows/amd64"),
    ],
)
def test_it_formats_without_a_trailing_slash(platform: Platform, text: str) -> None:
    assert str(platform) == text


@pytest.mark.parametrize(
    ("machine", "expected"),
    [
        ("x86_64", "linux/amd64"),
        ("amd64", "linux/amd64"),
        ("aarch64", "linux/arm64"),
        ("arm64", "linux/arm64"),
        ("armv7l", "linux/arm/v7"),
        ("armv6l", "linux/arm/v6"),
        ("armv8l", "linux/arm/v8"),
        ("armhf", "linux/arm/v7"),
        ("i686", "linux/386"),
        ("i386", "linux/386"),
        ("riscv64", "linux/riscv64"),
        (" AARCH64 ", "linux/arm64"),
    ],
)
def test_it_maps_node_uname_machines(machine: str, expected: str) -> None:
    assert str(Platform.from_uname(machine)) == expected


def test_it_keeps_the_node_os_given_with_the_machine() -> None:
    assert Platform.from_uname("x86_64", "windows") == P("windows/amd64")


@pytest.mark.parametrize("machine", ["", "sparc", "armv7l-foo", "x86", "unknown"])
def test_it_rejects_unknown_uname_machines(machine: str) -> None:
    with pytest.raises(ValueError, match="unknown machine architecture"):
        Platform.from_uname(machine)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("unknown/unknown", True), ("linux/amd64", False), ("unknown/amd64", False)],
)
def test_it_recognises_attestation_platforms(text: str, expected: bool) -> None:
    assert P(text).is_attestation is expected


@pytest.mark.parametrize(
    ("oci", "expected"),
    [
        ({"architecture": "amd64", "os": "linux"}, "linux/amd64"),
        ({"architecture": "arm64", "os": "linux", "variant": "v8"}, "linux/arm64"),
        ({"architecture": "arm", "os": "linux"}, "linux/arm/v7"),
        ({"architecture": "arm", "os": "linux", "variant": "v6"}, "linux/arm/v6"),
        ({"architecture": "unknown", "os": "unknown"}, "unknown/unknown"),
        (
            {
                "architecture": "amd64",
                "os": "windows",
                "os.version": "10.0.17763.1",
                "os.features": ["win32k"],
            },
            "windows/amd64",
        ),
        ({"architecture": "amd64", "os": "linux", "variant": None}, "linux/amd64"),
    ],
)
def test_it_reads_oci_platform_objects(oci: dict[str, object], expected: str) -> None:
    assert str(Platform.from_oci(oci)) == expected


@pytest.mark.parametrize(
    "oci",
    [
        {"os": "linux"},
        {"architecture": "amd64"},
        {"architecture": "", "os": "linux"},
        {"architecture": 64, "os": "linux"},
        {"architecture": "arm", "os": "linux", "variant": 7},
        {"architecture": "amd 64", "os": "linux"},
    ],
)
def test_it_rejects_incomplete_oci_platforms(oci: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Platform.from_oci(oci)


@pytest.mark.parametrize(
    ("node", "image", "expected"),
    [
        ("linux/amd64", "linux/amd64", Support.NATIVE),
        ("linux/amd64", "linux/386", Support.COMPAT32),
        ("linux/amd64", "linux/amd64/v2", Support.NONE),
        ("linux/amd64", "linux/amd64/v3", Support.NONE),
        ("linux/amd64/v3", "linux/amd64/v2", Support.NATIVE),
        ("linux/amd64", "linux/arm64", Support.NONE),
        ("linux/arm64", "linux/arm64", Support.NATIVE),
        ("linux/arm64", "linux/arm64/v8", Support.NATIVE),
        ("linux/arm64", "linux/arm/v8", Support.COMPAT32),
        ("linux/arm64", "linux/arm/v7", Support.COMPAT32),
        ("linux/arm64", "linux/arm/v6", Support.COMPAT32),
        ("linux/arm64", "linux/arm/v5", Support.COMPAT32),
        ("linux/arm64", "linux/arm", Support.COMPAT32),
        ("linux/arm64", "linux/amd64", Support.NONE),
        ("linux/arm64", "linux/arm64/v8.2", Support.NONE),
        ("linux/arm/v7", "linux/arm/v7", Support.NATIVE),
        ("linux/arm/v7", "linux/arm/v6", Support.NATIVE),
        ("linux/arm/v7", "linux/arm/v5", Support.NATIVE),
        ("linux/arm/v7", "linux/arm64", Support.NONE),
        ("linux/arm/v7", "linux/arm/v8", Support.NONE),
        ("linux/arm/v6", "linux/arm/v6", Support.NATIVE),
        ("linux/arm/v6", "linux/arm/v5", Support.NATIVE),
        ("linux/arm/v6", "linux/arm/v7", Support.NONE),
        ("linux/amd64", "windows/amd64", Support.NONE),
        ("windows/amd64", "linux/amd64", Support.NONE),
        ("linux/amd64", "unknown/unknown", Support.NONE),
    ],
)
def test_it_says_what_a_node_runs_without_emulation(
    node: str, image: str, expected: Support
) -> None:
    assert native_support(P(node), P(image)) is expected


def test_it_normalises_platforms_built_directly_before_matching() -> None:
    node = Platform("linux", "aarch64")
    assert native_support(node, Platform("linux", "arm")) is Support.COMPAT32
    assert native_support(node, Platform("linux", "arm64", "v8")) is Support.NATIVE


def test_it_labels_compat_as_32_bit_compat() -> None:
    assert Support.COMPAT32 == "32-bit compat"


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        ("linux/amd64", ["linux/amd64", "linux/386"]),
        ("linux/amd64/v3", ["linux/amd64/v3", "linux/amd64/v2", "linux/amd64", "linux/386"]),
        (
            "linux/arm64",
            ["linux/arm64", "linux/arm/v8", "linux/arm/v7", "linux/arm/v6", "linux/arm/v5"],
        ),
        ("linux/arm/v7", ["linux/arm/v7", "linux/arm/v6", "linux/arm/v5"]),
        ("linux/arm/v6", ["linux/arm/v6", "linux/arm/v5"]),
        ("linux/riscv64", ["linux/riscv64"]),
    ],
)
def test_it_orders_what_a_node_pulls_like_containerd(node: str, expected: list[str]) -> None:
    assert [str(p) for p in platform_vector(P(node))] == expected


def test_it_explains_that_docker_never_picks_amd64_micro_architecture_levels() -> None:
    reason = explain_support(P("linux/amd64"), P("linux/amd64/v3"))
    assert "v3" in reason
    assert "never detects" in reason


def test_it_explains_an_os_mismatch() -> None:
    reason = explain_support(P("linux/amd64"), P("windows/amd64"))
    assert "windows" in reason


@pytest.mark.parametrize(
    ("node_os", "node_arch", "service", "expected"),
    [
        # No platforms (single-arch OCI manifest, API-made service): every node.
        ("linux", "x86_64", [], True),
        ("linux", "armv7l", [], True),
        ("linux", "x86_64", [("linux", "amd64")], True),
        ("linux", "amd64", [("linux", "x86_64")], True),
        ("linux", "aarch64", [("linux", "arm64")], True),
        ("linux", "arm64", [("linux", "aarch64")], True),
        ("linux", "x86_64", [("linux", "arm64")], False),
        ("linux", "aarch64", [("linux", "amd64")], False),
        # The CLI blanks the architecture of every arm entry: it matches every node.
        ("linux", "x86_64", [("linux", "arm64"), ("linux", "")], True),
        ("linux", "armv7l", [("linux", "")], True),
        # Swarm does not normalise armv7l: a raw "arm" entry does not match a 32-bit Pi.
        ("linux", "armv7l", [("linux", "arm")], False),
        ("linux", "armv7l", [("linux", "arm64")], False),
        ("linux", "armv7l", [("linux", "armv7l")], True),
        ("linux", "x86_64", [("", "amd64")], True),
        ("linux", "x86_64", [("", "")], True),
        ("windows", "x86_64", [("linux", "amd64")], False),
        ("linux", "x86_64", [("windows", "amd64")], False),
        # Comparison is exact: no lowercasing, no attestation filtering.
        ("linux", "x86_64", [("linux", "AMD64")], False),
        ("linux", "x86_64", [("unknown", "unknown")], False),
        ("linux", "x86_64", [("unknown", "unknown"), ("linux", "amd64")], True),
    ],
)
def test_it_filters_nodes_exactly_like_swarmkit(
    node_os: str, node_arch: str, service: list[tuple[str, str]], expected: bool
) -> None:
    assert swarm_filter_allows(node_os, node_arch, service) is expected


def _parse_or_none(text: str) -> Platform | None:
    try:
        return Platform.parse(text)
    except ValueError:
        return None


@given(st.text())
def test_it_raises_only_value_error_on_random_text(text: str) -> None:
    platform = _parse_or_none(text)
    assert platform is None or Platform.parse(str(platform)) == platform


@given(st.text(alphabet="/ \tlinuxamd64rv7_.-LÄ\n", max_size=30))
def test_it_raises_only_value_error_on_platform_like_text(text: str) -> None:
    platform = _parse_or_none(text)
    assert platform is None or Platform.parse(str(platform)) == platform


_components = st.from_regex(r"[A-Za-z0-9_.-]{1,12}", fullmatch=True)
_known_arches = st.sampled_from(
    ["amd64", "x86_64", "arm64", "aarch64", "arm", "armhf", "armel", "i386", "i686", "armv7l"]
)


@given(
    os=_components,
    arch=st.one_of(_components, _known_arches),
    variant=st.one_of(st.just(""), _components, st.sampled_from(["v1", "v7", "7", "8", "v8.0"])),
)
def test_it_round_trips_valid_platforms(os: str, arch: str, variant: str) -> None:
    text = f"{os}/{arch}/{variant}" if variant else f"{os}/{arch}"
    platform = Platform.parse(text)
    assert Platform.parse(str(platform)) == platform
    assert not str(platform).endswith("/")
