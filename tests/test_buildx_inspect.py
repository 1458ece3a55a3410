"""``docker buildx inspect`` text, every version in the fixtures (swarm/buildx_inspect.py)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from swarm.buildx_inspect import (
    Builder,
    BuilderPlatform,
    parse_duration,
    parse_go_time,
    parse_inspect,
    parse_size,
)
from tests.shared_fixtures import FIXTURES, fixture_text

AMD64_HOST = [
    "linux/amd64",
    "linux/amd64/v2",
    "linux/amd64/v3",
    "linux/amd64/v4",
    "linux/arm64",
    "linux/386",
    "linux/arm/v7",
    "linux/arm/v6",
]
LEGACY_ALL = [
    "linux/amd64",
    "linux/amd64/v2",
    "linux/amd64/v3",
    "linux/arm64",
    "linux/riscv64",
    "linux/ppc64le",
    "linux/s390x",
    "linux/386",
    "linux/mips64le",
    "linux/mips64",
    "linux/arm/v7",
    "linux/arm/v6",
]
INSECURE_127 = "[registry]\n[registry.'127.0.0.1:5000']\nhttp = true\ninsecure = true\n"
INSECURE_LAN = "[registry]\n[registry.'192.168.1.10:5000']\nhttp = true\ninsecure = true\n"
PI_ERROR_END = "stderr=ssh: connect to host 192.168.1.20 port 22: No route to host"
WORKER_LABELS = {
    "org.mobyproject.buildkit.worker.executor",
    "org.mobyproject.buildkit.worker.hostname",
    "org.mobyproject.buildkit.worker.network",
    "org.mobyproject.buildkit.worker.oci.process-mode",
    "org.mobyproject.buildkit.worker.selinux.enabled",
    "org.mobyproject.buildkit.worker.snapshotter",
}


@dataclass(frozen=True)
class Node:
    name: str
    endpoint: str
    status: str
    version: str | None
    platforms: list[str]
    user_set: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    driver_options: dict[str, str] = field(default_factory=dict)
    gc_rules: int = 0
    files: dict[str, str] = field(default_factory=dict)
    hostname: str | None = None  # the worker hostname label, when labels are printed


@dataclass(frozen=True)
class Expected:
    name: str
    driver: str
    last_activity: datetime | None
    nodes: list[Node]


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


HOMELAB0 = Node(
    "homelab0",
    "unix:///var/run/docker.sock",
    "running",
    "v0.32.2",
    ["linux/amd64", "linux/amd64/v2", "linux/amd64/v3", "linux/386"],
    user_set=["linux/amd64"],
    flags=["--allow-insecure-entitlement=network.host"],
    gc_rules=4,
    files={"buildkitd.toml": INSECURE_LAN},
    hostname="4c1d7e0a9b2f",
)

INSPECT = {
    "buildx/inspect_default_docker_driver_v0.36.1.txt": Expected(
        "default",
        "docker",
        None,
        [
            Node(
                "default",
                "default",
                "running",
                "v0.8+unknown",
                ["linux/amd64", "linux/386", "linux/arm64", "linux/arm/v7", "linux/arm/v6"],
            )
        ],
    ),
    "buildx/inspect_remote_driver_v0.36.1.txt": Expected(
        "multiarch-remote",
        "remote",
        at(2026, 11, 28, 12, 49, 45),
        [
            Node(
                "multiarch-remote0",
                "tcp://127.0.0.1:1234",
                "running",
                "v0.32.2",
                AMD64_HOST,
                gc_rules=4,
                hostname="vm",
            )
        ],
    ),
    "buildx/inspect_running_v0.36.1.txt": Expected(
        "multiarch",
        "docker-container",
        at(2026, 11, 28, 12, 50, 28),
        [
            Node(
                "multiarch0",
                "unix:///var/run/docker.sock",
                "running",
                "v0.32.2",
                AMD64_HOST,
                flags=["--allow-insecure-entitlement=network.host"],
                driver_options={"image": "local/buildkit:acc", "network": "host"},
                gc_rules=4,
                files={"buildkitd.toml": INSECURE_127},
                hostname="vm",
            )
        ],
    ),
    "buildx/inspect_seed_buildx-v0.13-to-v0.17_buildkit-v0.22_arm64-host.txt": Expected(
        "multiarch",
        "docker-container",
        at(2025, 7, 8, 4, 24, 18),
        [
            Node(
                "multiarch0",
                "unix:///var/run/docker.sock",
                "running",
                "v0.22.0",
                ["linux/arm64", "linux/arm/v7", "linux/arm/v6"],
                flags=["--allow-insecure-entitlement=network.host"],
                gc_rules=4,
                hostname="9929657bf10d",
            )
        ],
    ),
    "generated/inspect_docker-container_2nodes_laptop-amd64_pi-arm64-ssh_buildx-v0.36.txt": (
        Expected(
            "homelab",
            "docker-container",
            at(2026, 8, 18, 9, 12, 3),
            [
                HOMELAB0,
                Node(
                    "homelab1",
                    "ssh://pi@192.168.1.20",
                    "running",
                    "v0.32.2",
                    ["linux/arm64", "linux/arm/v7", "linux/arm/v6"],
                    user_set=["linux/arm64"],
                    flags=["--allow-insecure-entitlement=network.host"],
                    gc_rules=4,
                    files={"buildkitd.toml": INSECURE_LAN},
                    hostname="e81f05b6c3a4",
                ),
            ],
        )
    ),
    "generated/inspect_docker-container_2nodes_pi-node-error_buildx-v0.36.txt": Expected(
        "homelab",
        "docker-container",
        at(2026, 8, 18, 9, 12, 3),
        [HOMELAB0, Node("homelab1", "ssh://pi@192.168.1.20", "error", None, [])],
    ),
    "generated/inspect_docker-container_running_1node_old-format_buildx-v0.10.txt": Expected(
        "multiarch",
        "docker-container",
        at(2023, 2, 3, 14, 7, 55),
        [
            Node(
                "multiarch0",
                "unix:///var/run/docker.sock",
                "running",
                "v0.11.2",
                LEGACY_ALL,
                flags=["--allow-insecure-entitlement", "network.host"],
                driver_options={"network": "host"},
            )
        ],
    ),
    "generated/inspect_docker-container_inactive_old-format_buildx-v0.10.txt": Expected(
        "multiarch",
        "docker-container",
        at(2023, 2, 3, 14, 7, 55),
        [
            Node(
                "multiarch0",
                "unix:///var/run/docker.sock",
                "inactive",
                None,
                [],
                flags=["--allow-insecure-entitlement", "network.host"],
                driver_options={"network": "host"},
            )
        ],
    ),
}
FIXTURE_NAMES = sorted(INSPECT)


def parsed(name: str) -> Builder:
    return parse_inspect(fixture_text(name))


def test_every_inspect_fixture_is_covered() -> None:
    on_disk = {
        str(path.relative_to(FIXTURES))
        for directory in ("buildx", "generated")
        for path in (FIXTURES / directory).glob("inspect_*")
    }
    assert on_disk == set(INSPECT)


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_it_reads_the_builder_header(name: str) -> None:
    builder, expected = parsed(name), INSPECT[name]
    assert (builder.name, builder.driver) == (expected.name, expected.driver)
    assert builder.last_activity == expected.last_activity
    assert builder.error is None


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_it_reads_every_node(name: str) -> None:
    builder, expected = parsed(name), INSPECT[name]
    assert [n.name for n in builder.nodes] == [n.name for n in expected.nodes]
    for node, want in zip(builder.nodes, expected.nodes, strict=True):
        assert node.endpoint == want.endpoint
        assert node.status == want.status
        assert node.buildkit_version == want.version
        assert node.platform_names == want.platforms
        assert node.user_set_platforms == want.user_set
        assert node.daemon_flags == want.flags
        assert node.driver_options == want.driver_options
        assert len(node.gc_policy) == want.gc_rules
        assert node.files == want.files
        assert node.devices == []


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_it_leaves_nothing_unrecognised_in_real_output(name: str) -> None:
    builder = parsed(name)
    assert builder.unparsed == []
    assert builder.extra == {}
    assert all(node.extra == {} for node in builder.nodes)


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_it_reads_worker_labels(name: str) -> None:
    for node, want in zip(parsed(name).nodes, INSPECT[name].nodes, strict=True):
        if want.hostname is None:
            assert node.labels == {}
        else:
            assert set(node.labels) == WORKER_LABELS
            assert node.labels["org.mobyproject.buildkit.worker.hostname"] == want.hostname
            assert node.labels["org.mobyproject.buildkit.worker.selinux.enabled"] == "false"


def test_it_reads_the_0_10_flags_and_buildkit_labels() -> None:
    node = parsed(
        "generated/inspect_docker-container_running_1node_old-format_buildx-v0.10.txt"
    ).nodes[0]
    assert node.buildkit_version == "v0.11.2"
    assert node.daemon_flags == ["--allow-insecure-entitlement", "network.host"]
    assert node.labels == {} and node.gc_policy == []


def test_an_inactive_node_has_no_platforms_despite_trailing_spaces() -> None:
    node = parsed("generated/inspect_docker-container_inactive_old-format_buildx-v0.10.txt").nodes[
        0
    ]
    assert node.status == "inactive"
    assert node.platforms == []
    assert node.buildkit_version is None


def test_a_node_in_error_has_the_error_instead_of_status_and_buildkit_fields() -> None:
    builder = parsed("generated/inspect_docker-container_2nodes_pi-node-error_buildx-v0.36.txt")
    healthy, broken = builder.nodes
    assert healthy.status == "running" and healthy.error is None
    assert broken.status == "error"
    assert broken.error is not None
    assert broken.error.startswith('error during connect: Get "http://docker.example.com/v1.55/')
    assert broken.error.endswith(PI_ERROR_END)  # the stray \r is gone
    assert "\r" not in broken.error
    assert broken.buildkit_version is None and broken.daemon_flags == []
    assert broken.labels == {} and broken.gc_policy == [] and broken.files == {}


def test_it_marks_platforms_the_user_set_with_a_star() -> None:
    builder = parsed(
        "generated/inspect_docker-container_2nodes_laptop-amd64_pi-arm64-ssh_buildx-v0.36.txt"
    )
    laptop, pi = builder.nodes
    assert laptop.platforms[0] == BuilderPlatform("linux/amd64", user_set=True)
    assert laptop.platforms[1] == BuilderPlatform("linux/amd64/v2", user_set=False)
    assert pi.platforms == [
        BuilderPlatform("linux/arm64", True),
        BuilderPlatform("linux/arm/v7", False),
        BuilderPlatform("linux/arm/v6", False),
    ]


def test_it_reads_keep_bytes_rules_of_the_0_13_to_0_17_client() -> None:
    rules = (
        parsed("buildx/inspect_seed_buildx-v0.13-to-v0.17_buildkit-v0.22_arm64-host.txt")
        .nodes[0]
        .gc_policy
    )
    assert [r.all for r in rules] == [False, False, False, True]
    # That BuildKit sent the three default filters as one comma-joined filter.
    assert rules[0].filters == [
        "type==source.local,type==exec.cachemount,type==source.git.checkout"
    ]
    assert (rules[0].keep_duration_text, rules[0].keep_duration) == ("48h0m0s", 172800.0)
    assert rules[0].keep_bytes is None
    assert (rules[1].keep_duration_text, rules[1].keep_duration) == ("1440h0m0s", 5_184_000.0)
    for rule in rules[1:]:
        assert rule.keep_bytes_text == "9.313GiB"
        assert rule.keep_bytes == pytest.approx(10_000_000_000, rel=1e-3)
        assert rule.reserved_space is None and rule.max_used_space is None
    assert rules[2].keep_duration is None


def test_it_reads_the_0_18_space_fields() -> None:
    rules = parsed("buildx/inspect_running_v0.36.1.txt").nodes[0].gc_policy
    first, second, third, last = rules
    assert first.filters == [
        "type==source.local",
        "type==exec.cachemount",
        "type==source.git.checkout",
    ]
    assert first.max_used_space_text == "488.3MiB"
    assert first.max_used_space == pytest.approx(512_000_000, rel=1e-3)
    assert first.reserved_space is None and first.min_free_space is None
    assert first.keep_bytes is None
    assert second.keep_duration == 1440 * 3600
    for rule in (second, third, last):
        assert (rule.reserved_space_text, rule.max_used_space_text) == ("9.313GiB", "93.13GiB")
        assert rule.min_free_space_text == "47.5GiB"
        assert rule.reserved_space == pytest.approx(10_000_000_000, rel=1e-3)
        assert rule.max_used_space == pytest.approx(100_000_000_000, rel=1e-3)
        assert rule.min_free_space == pytest.approx(51_000_000_000, rel=1e-3)
        assert rule.filters == []
    assert last.all is True and third.keep_duration is None


def test_it_reassembles_a_file_block_into_the_stored_file() -> None:
    builder = parsed(
        "generated/inspect_docker-container_2nodes_laptop-amd64_pi-arm64-ssh_buildx-v0.36.txt"
    )
    stored = fixture_text("generated/buildkitd.toml.as-stored_go-toml-v2_buildx-v0.32-plus.txt")
    assert [node.files for node in builder.nodes] == [{"buildkitd.toml": stored}] * 2


def render_file_block(name: str, content: str) -> str:
    """What inspect.go prints for a file: ``File#NAME:`` then ``\\t> line`` per line."""
    return f"File#{name}:\n" + "".join(f" > {line}\n" for line in content.split("\n"))


def test_it_keeps_the_indentation_of_a_go_toml_v1_file() -> None:
    stored = fixture_text("generated/buildkitd.toml.as-stored_go-toml-v1_buildx-up-to-v0.31.txt")
    text = "Name: b\nDriver: docker-container\n\nNodes:\nName: b0\nStatus: running\n"
    builder = parse_inspect(text + render_file_block("buildkitd.toml", stored))
    assert builder.nodes[0].files["buildkitd.toml"] == stored
    assert "    http = true\n" in builder.nodes[0].files["buildkitd.toml"]


printable = st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"))


@given(st.lists(st.text(printable, max_size=30), max_size=6))
def test_it_reads_back_any_file_content_without_control_characters(lines: list[str]) -> None:
    content = "\n".join(lines)
    text = "Name: b\nDriver: docker-container\n\nNodes:\nName: b0\n"
    builder = parse_inspect(text + render_file_block("f.toml", content))
    assert builder.nodes[0].files == {"f.toml": content}


def test_it_keeps_unknown_labels_as_raw_text() -> None:
    text = fixture_text("buildx/inspect_running_v0.36.1.txt")
    text = text.replace("Nodes:\n", "Context Hash:  abc123\n\nNodes:\n")
    text = text.replace(
        "Labels:\n",
        "Features:\n Cache export:      true\n Multi-platform build: true\nLabels:\n",
    )
    text += "Some Future Field: a: b, c\n"
    builder = parse_inspect(text)
    node = builder.nodes[0]
    assert builder.extra == {"Context Hash": "abc123"}
    assert node.extra == {
        "Features": "Cache export:      true\nMulti-platform build: true",
        "Some Future Field": "a: b, c",
    }
    assert set(node.labels) == WORKER_LABELS  # the unknown block did not swallow Labels


def test_it_reads_the_0_21_devices_block() -> None:
    text = (
        "Name:   gpu\nDriver: docker-container\n\nNodes:\nName:   gpu0\nStatus: running\n"
        "Devices:\n"
        " Name:                  nvidia.com/gpu=all\n"
        " Automatically allowed: false\n"
        " Annotations:\n"
        "  org.mobyproject.buildkit.device.autoallow: false\n"
        "  vendor.example/class:                      gpu\n"
        " Name:      vendor1.com/device=foo\n"
        " On-Demand: true\n"
        "GC Policy rule#0:\n All: true\n"
    )
    node = parse_inspect(text).nodes[0]
    first, second = node.devices
    assert first.name == "nvidia.com/gpu=all"
    assert (first.auto_allow, first.on_demand) == (False, None)
    assert first.annotations == {
        "org.mobyproject.buildkit.device.autoallow": "false",
        "vendor.example/class": "gpu",
    }
    assert (second.name, second.on_demand, second.annotations) == (
        "vendor1.com/device=foo",
        True,
        {},
    )
    assert [rule.all for rule in node.gc_policy] == [True]


def test_it_reads_a_builder_that_could_not_be_loaded() -> None:
    text = "Name:   broken\nDriver: docker-container\nError:  context deadline exceeded\n"
    builder = parse_inspect(text)
    assert (builder.name, builder.error, builder.nodes) == (
        "broken",
        "context deadline exceeded",
        [],
    )


def test_it_starts_the_node_list_at_a_second_name_when_nodes_is_missing() -> None:
    builder = parse_inspect("Name: b\nDriver: remote\nName: b0\nEndpoint: tcp://x:1234\n")
    assert [(n.name, n.endpoint) for n in builder.nodes] == [("b0", "tcp://x:1234")]


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_crlf_line_endings_change_nothing(name: str) -> None:
    text = fixture_text(name)
    assert parse_inspect(text.replace("\n", "\r\n")) == parse_inspect(text)


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_extra_blank_lines_change_nothing(name: str) -> None:
    text = fixture_text(name)
    assert parse_inspect("\n\n" + text.replace("\n", "\n\n") + "\n\n") == parse_inspect(text)


@pytest.mark.parametrize(
    "text", ["", "   \n", "hello world\n", '{"Name": "x"}', "NAME/NODE DRIVER/ENDPOINT\n"]
)
def test_it_rejects_text_that_is_not_inspect_output(text: str) -> None:
    with pytest.raises(ValueError, match="not `docker buildx inspect` output"):
        parse_inspect(text)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("0B", 0),
        ("512B", 512),
        ("488.3MiB", round(488.3 * 1024**2)),
        ("9.313GiB", round(9.313 * 1024**3)),
        ("93.13GiB", round(93.13 * 1024**3)),
        ("1KiB", 1024),
        ("1.5TiB", round(1.5 * 1024**4)),
        ("2kB", 2000),
        ("1.5GB", 1_500_000_000),
        ("512000000", 512_000_000),
        (" 47.5GiB ", round(47.5 * 1024**3)),
    ],
)
def test_parse_size_reads_go_units_text(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "GiB", "-1B", "1.2.3MiB", "12 parsecs", "1XiB", "abc"])
def test_parse_size_gives_none_for_what_is_not_a_size(text: str) -> None:
    assert parse_size(text) is None


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("48h0m0s", 172_800.0),
        ("1440h0m0s", 5_184_000.0),
        ("0s", 0.0),
        ("0", 0.0),
        ("1m30s", 90.0),
        ("1.5s", 1.5),
        ("300ms", 0.3),
        ("2h45m", 9900.0),
        ("1µs", 1e-6),
        ("-1h", -3600.0),
    ],
)
def test_parse_duration_reads_go_durations_as_seconds(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "48", "h", "1d", "forever", "1h 2m"])
def test_parse_duration_gives_none_for_what_is_not_a_duration(text: str) -> None:
    assert parse_duration(text) is None


@given(st.text(max_size=30))
def test_parse_size_and_parse_duration_never_raise(text: str) -> None:
    size, seconds = parse_size(text), parse_duration(text)
    assert size is None or size >= 0
    assert seconds is None or isinstance(seconds, float)


@pytest.mark.parametrize("text", ["1e999GiB", "9" * 400 + "h"])
def test_absurdly_large_values_are_not_sizes_or_durations(text: str) -> None:
    assert parse_size(text) is None and parse_duration(text) is None


def test_last_activity_in_another_zone_is_converted_to_utc() -> None:
    assert parse_go_time("2026-08-18 11:12:03.123456789 +0200 CEST") == datetime(
        2026, 8, 18, 9, 12, 3, 123456, tzinfo=UTC
    )
    assert parse_go_time("yesterday") is None
    assert parse_go_time("2026-13-01 00:00:00 +0000 UTC") is None
    assert parse_go_time("0001-01-01 00:00:00 +0100 CET") is None  # before year 1 in UTC


def test_an_unreadable_last_activity_is_kept_as_raw_text() -> None:
    builder = parse_inspect("Name: b\nDriver: docker\nLast Activity: a while ago\n")
    assert builder.last_activity is None
    assert builder.extra == {"Last Activity": "a while ago"}


# ---------------------------------------------------------------- properties

KNOWN_LABELS = {
    "name",
    "driver",
    "last activity",
    "error",
    "nodes",
    "endpoint",
    "driver options",
    "status",
    "buildkit daemon flags",
    "flags",
    "buildkit version",
    "buildkit",
    "platforms",
    "labels",
    "devices",
}
LABEL_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_#./"
unknown_labels = (
    st.text(LABEL_CHARS, min_size=1, max_size=24)
    .map(str.strip)
    .filter(lambda s: s != "" and s[0].isalpha())
    .filter(lambda s: s.lower() not in KNOWN_LABELS)
    .filter(lambda s: not s.lower().startswith(("gc policy rule", "file#")))
)
values = st.text(printable, max_size=40).map(str.strip)
junk_text = (
    st.text(
        st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters=":"),
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(lambda s: s != "" and not s.startswith(">"))
)
junk_lines = st.tuples(st.sampled_from(["", " ", "  ", "\t"]), junk_text).map("".join)


def top_level_positions(lines: list[str]) -> list[int]:
    """Where a new top-level label can go without splitting a block from its lines."""
    return [i for i, line in enumerate(lines) if line.strip() and line[0] not in " \t"] + [
        len(lines)
    ]


def known_fields(builder: Builder) -> Builder:
    """The builder without what it keeps raw, to compare what it understood."""
    nodes = [dataclasses.replace(node, extra={}) for node in builder.nodes]
    return dataclasses.replace(builder, nodes=nodes, extra={}, unparsed=[])


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(FIXTURE_NAMES),
    inserts=st.lists(st.tuples(unknown_labels, values), max_size=5, unique_by=lambda t: t[0]),
    data=st.data(),
)
def test_inserted_unknown_labels_never_change_the_known_fields(
    name: str, inserts: list[tuple[str, str]], data: st.DataObject
) -> None:
    lines = fixture_text(name).split("\n")
    for label, value in inserts:
        position = data.draw(st.sampled_from(top_level_positions(lines)))
        lines.insert(position, f"{label}:   {value}".rstrip())
    builder = parse_inspect("\n".join(lines))
    assert known_fields(builder) == known_fields(parsed(name))
    extras = [builder.extra, *(node.extra for node in builder.nodes)]
    for label, value in inserts:
        assert [extra[label] for extra in extras if label in extra] == [value]


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(FIXTURE_NAMES),
    junk=st.lists(junk_lines | st.just(""), min_size=1, max_size=6),
    data=st.data(),
)
def test_junk_lines_anywhere_never_change_the_known_fields(
    name: str, junk: list[str], data: st.DataObject
) -> None:
    lines = fixture_text(name).split("\n")
    for line in junk:
        lines.insert(data.draw(st.integers(0, len(lines))), line)
    builder = parse_inspect("\n".join(lines))
    assert dataclasses.replace(builder, unparsed=[]) == parsed(name)
    assert sorted(builder.unparsed) == sorted(line.strip() for line in junk if line.strip())


@settings(max_examples=200)
@given(st.text(max_size=300) | st.lists(junk_lines | unknown_labels, max_size=12).map("\n".join))
def test_arbitrary_text_gives_a_builder_or_a_value_error(text: str) -> None:
    try:
        builder = parse_inspect(text)
    except ValueError:
        return
    assert builder.name is not None or builder.driver is not None or builder.nodes


@given(st.text(printable, max_size=40))
def test_any_last_activity_text_never_raises(value: str) -> None:
    builder = parse_inspect(f"Name: b\nLast Activity: {value}\n")
    assert builder.last_activity is None or builder.last_activity.tzinfo is UTC
