"""``docker buildx ls`` (JSON and table) and ``docker buildx version`` (swarm/buildx_ls.py)."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from swarm.buildx_inspect import BuilderPlatform
from swarm.buildx_ls import (
    BuilderSummary,
    BuildxVersion,
    PlatformGroup,
    parse_ls_json,
    parse_ls_table,
    parse_version,
)
from tests.shared_fixtures import FIXTURES, fixture_text

JSON_V0361 = "buildx/ls_format_json_v0.36.1.jsonl"
JSON_NODE_ERROR = "generated/ls_json_buildx-v0.36.stdout.jsonl"
TABLE_V0361 = "buildx/ls_v0.36.1.txt"
TABLE_TREE = "generated/ls_table_buildx-v0.36.stdout.txt"
TABLE_LEGACY = "generated/ls_table_legacy_buildx-v0.10.stdout.txt"
STDERR = {
    TABLE_V0361: None,
    TABLE_TREE: "generated/ls_table_buildx-v0.36.stderr.txt",
    TABLE_LEGACY: "generated/ls_table_legacy_buildx-v0.10.stderr.txt",
}
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
PI_ERROR_END = "stderr=ssh: connect to host 192.168.1.20 port 22: No route to host"
INSECURE_127 = "[registry]\n[registry.'127.0.0.1:5000']\nhttp = true\ninsecure = true\n"
INSECURE_LAN = "[registry]\n[registry.'192.168.1.10:5000']\nhttp = true\ninsecure = true\n"

# builder -> (driver, current, [(node, endpoint, status, buildkit)])
Rows = dict[str, tuple[str, bool, list[tuple[str, str, str, str | None]]]]
EXPECTED_ROWS: dict[str, Rows] = {
    JSON_V0361: {
        "multiarch": (
            "docker-container",
            True,
            [("multiarch0", "unix:///var/run/docker.sock", "running", "v0.32.2")],
        ),
        "multiarch-remote": (
            "remote",
            False,
            [("multiarch-remote0", "tcp://127.0.0.1:1234", "running", "v0.32.2")],
        ),
        "default": ("docker", False, [("default", "default", "running", "v0.8+unknown")]),
    },
    JSON_NODE_ERROR: {
        "homelab": (
            "docker-container",
            False,
            [
                ("homelab0", "unix:///var/run/docker.sock", "running", "v0.32.2"),
                ("homelab1", "ssh://pi@192.168.1.20", "error", None),
            ],
        ),
        "multiarch": (
            "docker-container",
            True,
            [("multiarch0", "unix:///var/run/docker.sock", "running", "v0.32.2")],
        ),
        "default": ("docker", False, [("default", "default", "running", "v0.25.1")]),
    },
}
EXPECTED_ROWS[TABLE_V0361] = EXPECTED_ROWS[JSON_V0361]
EXPECTED_ROWS[TABLE_TREE] = EXPECTED_ROWS[JSON_NODE_ERROR]
EXPECTED_ROWS[TABLE_LEGACY] = {
    "homelab": (
        "docker-container",
        False,
        [
            ("homelab0", "unix:///var/run/docker.sock", "running", "v0.11.2"),
            ("homelab1", "ssh://pi@192.168.1.20", "error", None),
        ],
    ),
    "multiarch": (
        "docker-container",
        True,
        [("multiarch0", "unix:///var/run/docker.sock", "running", "v0.11.2")],
    ),
    "default": ("docker", False, [("default", "default", "running", "20.10.23")]),
}
JSON_FIXTURES = [JSON_V0361, JSON_NODE_ERROR]
TABLE_FIXTURES = [TABLE_V0361, TABLE_TREE, TABLE_LEGACY]


def table(name: str) -> list[BuilderSummary]:
    stderr = STDERR[name]
    return parse_ls_table(fixture_text(name), fixture_text(stderr) if stderr else "")


def parse_any(name: str) -> list[BuilderSummary]:
    return parse_ls_json(fixture_text(name)) if name in JSON_FIXTURES else table(name)


def rows(builders: list[BuilderSummary]) -> Rows:
    return {
        b.name: (
            b.driver or "",
            bool(b.current),
            [(n.name, n.endpoint or "", n.status or "", n.buildkit_version) for n in b.nodes],
        )
        for b in builders
    }


def test_every_ls_fixture_is_covered() -> None:
    on_disk = {
        str(path.relative_to(FIXTURES))
        for directory in ("buildx", "generated")
        for path in (FIXTURES / directory).glob("ls_*")
        if "stderr" not in path.name
    }
    assert on_disk == set(EXPECTED_ROWS)


@pytest.mark.parametrize("name", sorted(EXPECTED_ROWS))
def test_it_reads_builders_and_nodes_in_order(name: str) -> None:
    builders = parse_any(name)
    assert [b.name for b in builders] == list(EXPECTED_ROWS[name])
    assert rows(builders) == EXPECTED_ROWS[name]
    assert all(b.error is None for b in builders)


@pytest.mark.parametrize("name", [JSON_NODE_ERROR, TABLE_TREE, TABLE_LEGACY])
def test_the_unreachable_node_carries_its_error_message(name: str) -> None:
    homelab = parse_any(name)[0]
    healthy, broken = homelab.nodes
    assert healthy.error is None
    assert broken.status == "error"
    assert broken.error is not None
    assert broken.error.startswith("error during connect: Get ")
    assert broken.error.endswith(PI_ERROR_END)


def test_a_table_error_row_without_stderr_still_says_error() -> None:
    broken = parse_ls_table(fixture_text(TABLE_TREE))[0].nodes[1]
    assert (broken.status, broken.error) == ("error", None)


# ---------------------------------------------------------------- JSON


def test_json_reads_every_node_field() -> None:
    multiarch = parse_ls_json(fixture_text(JSON_V0361))[0]
    assert multiarch.last_activity == datetime(2026, 11, 28, 12, 50, 28, tzinfo=UTC)
    assert (multiarch.dynamic, multiarch.extra) == (False, {})
    node = multiarch.nodes[0]
    assert node.platform_names == AMD64_HOST
    assert node.platforms_complete and node.platform_count == 8
    assert node.driver_options == {"image": "local/buildkit:acc", "network": "host"}
    assert node.daemon_flags == ["--allow-insecure-entitlement=network.host"]
    assert node.files == {"buildkitd.toml": INSECURE_127}
    assert node.ids == ["ixax92x7esbmx8by1cyuakii9"]
    assert node.labels["org.mobyproject.buildkit.worker.hostname"] == "vm"
    assert len(node.labels) == 6
    assert node.extra == {}


def test_json_reads_gc_rules_as_numbers_with_zero_meaning_unset() -> None:
    first, second, third, last = parse_ls_json(fixture_text(JSON_V0361))[0].nodes[0].gc_policy
    assert first.filters == [
        "type==source.local",
        "type==exec.cachemount",
        "type==source.git.checkout",
    ]
    assert (first.keep_duration, first.max_used_space) == (172_800.0, 512_000_000)
    assert (first.reserved_space, first.min_free_space) == (None, None)
    assert second.keep_duration == 5_184_000.0
    for rule in (second, third, last):
        assert rule.reserved_space == 10_000_000_000
        assert rule.max_used_space == 100_000_000_000
        assert rule.min_free_space == 51_000_000_000
        assert rule.filters == []
    assert third.keep_duration is None
    assert [r.all for r in (first, second, third, last)] == [False, False, False, True]
    assert first.max_used_space_text is None  # JSON has numbers, not inspect's text


def test_json_decodes_the_base64_files_of_every_node() -> None:
    homelab = parse_ls_json(fixture_text(JSON_NODE_ERROR))[0]
    assert [n.files for n in homelab.nodes] == [{"buildkitd.toml": INSECURE_LAN}] * 2


def test_json_keeps_the_platforms_of_a_node_in_error() -> None:
    broken = parse_ls_json(fixture_text(JSON_NODE_ERROR))[0].nodes[1]
    assert broken.platforms == [BuilderPlatform("linux/arm64")]
    assert broken.gc_policy == [] and broken.labels == {} and broken.ids == []


def test_json_treats_go_zero_time_as_no_last_activity() -> None:
    default = parse_ls_json(fixture_text(JSON_NODE_ERROR))[2]
    assert default.name == "default" and default.last_activity is None


def test_json_with_one_line_per_node_is_deduplicated() -> None:
    # 0.13-0.20 print the whole builder once per node and have no "Current".
    lines = [json.loads(line) for line in fixture_text(JSON_NODE_ERROR).splitlines()]
    for obj in lines:
        del obj["Current"]
    repeated = [obj for obj in lines for _ in obj["Nodes"]]
    builders = parse_ls_json("\n".join(json.dumps(obj) for obj in repeated))
    assert [b.name for b in builders] == ["homelab", "multiarch", "default"]
    assert [n.name for n in builders[0].nodes] == ["homelab0", "homelab1"]
    assert all(b.current is None for b in builders)


def test_json_merges_nodes_spread_over_repeated_builder_lines() -> None:
    obj = json.loads(fixture_text(JSON_NODE_ERROR).splitlines()[0])
    first, second = dict(obj, Nodes=obj["Nodes"][:1]), dict(obj, Nodes=obj["Nodes"][1:])
    (homelab,) = parse_ls_json(f"{json.dumps(first)}\n{json.dumps(second)}\n")
    assert [n.name for n in homelab.nodes] == ["homelab0", "homelab1"]


def test_json_keeps_unknown_keys_as_raw_json_text() -> None:
    line = json.dumps(
        {
            "Name": "b",
            "Driver": "remote",
            "Future": {"x": 1},
            "Nodes": [{"Name": "b0", "CDIDevices": [{"Name": "gpu"}], "Status": "running"}],
        }
    )
    (builder,) = parse_ls_json(line)
    assert builder.extra == {"Future": '{"x": 1}'}
    assert builder.nodes[0].extra == {"CDIDevices": '[{"Name": "gpu"}]'}
    assert builder.current is None and builder.last_activity is None


def test_json_reads_keep_bytes_of_older_buildkit() -> None:
    line = json.dumps(
        {
            "Name": "b",
            "Nodes": [
                {
                    "Name": "b0",
                    "GCPolicy": [{"all": True, "keepDuration": 0, "keepBytes": 10_000_000_000}],
                }
            ],
        }
    )
    (rule,) = parse_ls_json(line)[0].nodes[0].gc_policy
    assert (rule.all, rule.keep_bytes, rule.keep_duration) == (True, 10_000_000_000, None)


def test_json_reads_absurd_gc_numbers_as_unset() -> None:
    line = '{"Name":"b","Nodes":[{"Name":"b0","GCPolicy":[{"maxUsedSpace":1e999,"all":"yes"}]}]}'
    (rule,) = parse_ls_json(line)[0].nodes[0].gc_policy
    assert (rule.max_used_space, rule.all) == (None, None)


def test_json_reads_a_builder_that_could_not_be_loaded() -> None:
    line = '{"Name":"gone","Driver":"","Dynamic":false,"Nodes":null,"Err":"no such context"}'
    (builder,) = parse_ls_json(line)
    assert (builder.error, builder.nodes, builder.driver) == ("no such context", [], None)


def test_json_tolerates_missing_fields_and_wrong_types() -> None:
    line = json.dumps({"Name": "b", "Nodes": [{"Platforms": "linux/amd64", "Files": {"f": "!"}}]})
    node = parse_ls_json(line)[0].nodes[0]
    assert (node.name, node.endpoint, node.status, node.platforms) == ("", None, None, [])
    assert node.files == {"f": "!"}  # not base64: kept as it came


@settings(max_examples=100)
@given(
    name=st.sampled_from(JSON_FIXTURES),
    junk=st.lists(
        st.text(st.characters(blacklist_categories=("Cs",)), max_size=40).filter(
            lambda s: "{" not in s
        )
        | st.sampled_from(["", "   ", "null", "[1, 2]", '{"no": "name"}', "{broken", "\r"]),
        max_size=6,
    ),
    data=st.data(),
)
def test_json_ignores_blank_and_garbage_lines(
    name: str, junk: list[str], data: st.DataObject
) -> None:
    lines = fixture_text(name).split("\n")
    for line in junk:
        for part in line.split("\n"):
            lines.insert(data.draw(st.integers(0, len(lines))), part)
    assert parse_ls_json("\n".join(lines)) == parse_ls_json(fixture_text(name))


def test_json_reads_crlf_and_a_prefix_before_the_object() -> None:
    text = fixture_text(JSON_V0361)
    noisy = "WARNING: something\r\n" + "\r\n".join("> " + line for line in text.splitlines())
    assert parse_ls_json(noisy) == parse_ls_json(text)


@pytest.mark.parametrize("text", ["hello\nworld\n", "NAME/NODE DRIVER/ENDPOINT\n", "[1, 2]"])
def test_json_rejects_text_that_is_not_ls_json(text: str) -> None:
    with pytest.raises(ValueError, match="not `docker buildx ls --format json` output"):
        parse_ls_json(text)


def test_json_of_nothing_is_no_builders() -> None:
    assert parse_ls_json("") == [] and parse_ls_json("\n \n") == []


# ---------------------------------------------------------------- table


def test_the_tree_table_folds_platform_variants_into_groups() -> None:
    multiarch = table(TABLE_V0361)[0]
    node = multiarch.nodes[0]
    assert node.platform_names == ["linux/arm64", "linux/386"]
    assert node.platform_groups == [PlatformGroup("linux/amd64", 4), PlatformGroup("linux/arm", 2)]
    assert node.platform_count == 8  # what inspect and JSON list for the same node
    assert not node.platforms_complete


def test_the_tree_table_counts_platforms_hidden_behind_n_more() -> None:
    multiarch = table(TABLE_TREE)[1]
    node = multiarch.nodes[0]
    assert node.platform_names == ["linux/arm64", "linux/ppc64le"]
    assert node.platform_groups == [PlatformGroup("linux/amd64", 3), PlatformGroup("linux/arm", 2)]
    assert node.hidden_platforms == 6
    assert node.platform_count == 13  # as many as the JSON lists for it


def test_the_tree_table_keeps_the_user_set_star_on_groups_and_platforms() -> None:
    homelab = table(TABLE_TREE)[0]
    laptop, pi = homelab.nodes
    assert laptop.platform_groups == [PlatformGroup("linux/amd64", 3, user_set=True)]
    assert laptop.platforms == [BuilderPlatform("linux/386")]
    assert pi.platforms == [BuilderPlatform("linux/arm64", user_set=True)]


def test_the_legacy_table_lists_every_platform() -> None:
    homelab, multiarch, default = table(TABLE_LEGACY)
    assert homelab.nodes[0].platforms[0] == BuilderPlatform("linux/amd64", user_set=True)
    assert homelab.nodes[0].platform_names == [
        "linux/amd64",
        "linux/amd64/v2",
        "linux/amd64/v3",
        "linux/386",
    ]
    assert homelab.nodes[1].platforms == []
    assert len(multiarch.nodes[0].platforms) == 12 and multiarch.nodes[0].platforms_complete
    assert default.nodes[0].platform_names == ["linux/amd64", "linux/386"]


@pytest.mark.parametrize("name", TABLE_FIXTURES)
def test_the_table_marks_exactly_one_current_builder(name: str) -> None:
    assert [b.name for b in table(name) if b.current] == ["multiarch"]


def aligned(name: str, driver: str, status: str, buildkit: str, platforms: str) -> str:
    """One row as tabwriter pads it: each cell to its column's width plus one space."""
    return f"{name:<16}{driver:<32}{status:<8}{buildkit:<9}{platforms}\n"


def test_the_table_reads_a_builder_that_could_not_be_loaded() -> None:
    stdout = (
        aligned("NAME/NODE", "DRIVER/ENDPOINT", "STATUS", "BUILDKIT", "PLATFORMS")
        + aligned("good*", "docker", "", "", "")
        + aligned(" \\_ good", " \\_ good", "running", "v0.12.0", "linux/amd64")
        + aligned("gone", "docker-container", "error", "", "")
    )
    builders = parse_ls_table(stdout, "\nCannot load builder gone: no such context\n")
    assert [(b.name, b.current, b.error) for b in builders] == [
        ("good", True, None),
        ("gone", False, "no such context"),
    ]
    assert builders[0].nodes[0].platform_names == ["linux/amd64"]


def test_the_table_reads_crlf_output() -> None:
    text = fixture_text(TABLE_TREE)
    stderr = fixture_text("generated/ls_table_buildx-v0.36.stderr.txt")
    assert parse_ls_table(text.replace("\n", "\r\n"), stderr.replace("\n", "\r\n")) == table(
        TABLE_TREE
    )


@pytest.mark.parametrize("text", ["", "hello\n", '{"Name": "x"}\n'])
def test_the_table_rejects_text_that_is_not_an_ls_table(text: str) -> None:
    with pytest.raises(ValueError, match="not `docker buildx ls` table output"):
        parse_ls_table(text)


# ---------------------------------------------------------------- version


def test_it_reads_the_buildx_version_fixture() -> None:
    version = parse_version(fixture_text("buildx/version_v0.36.1.txt"))
    assert version == BuildxVersion(
        "github.com/docker/buildx", "v0.36.1", "1d8dde89b8aba914e05e45366770736fea1fd690"
    )
    assert version.release == (0, 36, 1)
    assert version.at_least(0, 24) and version.at_least(0, 36, 1)
    assert not version.at_least(0, 37)


@pytest.mark.parametrize(
    ("text", "version", "release"),
    [
        ("github.com/docker/buildx v0.10.4-desktop.1 c513d34\n", "v0.10.4-desktop.1", (0, 10, 4)),
        ("github.com/docker/buildx 0.11.2+azure-1 9872040b\n", "0.11.2+azure-1", (0, 11, 2)),
        ("WARNING: x\ngithub.com/docker/buildx v0.13.1\n", "v0.13.1", (0, 13, 1)),
    ],
)
def test_it_reads_vendor_builds_of_buildx(
    text: str, version: str, release: tuple[int, int, int]
) -> None:
    parsed = parse_version(text)
    assert (parsed.version, parsed.release) == (version, release)


@pytest.mark.parametrize("text", ["", "docker: 'buildx' is not a docker command.\n", "v0.36.1"])
def test_it_rejects_text_that_is_not_buildx_version_output(text: str) -> None:
    with pytest.raises(ValueError, match="not `docker buildx version` output"):
        parse_version(text)


@settings(max_examples=200)
@given(
    st.text(max_size=300)
    | st.lists(
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(
                    st.sampled_from(["Name", "Nodes", "Platforms", "GCPolicy", "Files", "x"]),
                    inner,
                    max_size=4,
                )
            ),
            max_leaves=12,
        ).map(json.dumps),
        max_size=4,
    ).map("\n".join)
)
def test_arbitrary_text_gives_builders_or_a_value_error(text: str) -> None:
    for parse in (parse_ls_json, parse_ls_table, parse_version):
        with contextlib.suppress(ValueError):
            parse(text)


@given(st.text(max_size=200))
def test_any_table_body_under_a_real_header_never_raises(body: str) -> None:
    header = fixture_text(TABLE_TREE).splitlines()[0]
    parse_ls_table(f"{header}\n{body}", body)
