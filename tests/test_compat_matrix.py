"""The image x node matrix assembled from plain data: cells, the Swarm trap, the summary,
which rows show by default, filtering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from swarm.compat import Level
from swarm.compat_matrix import (
    MatrixBuilder,
    RowStatus,
    classify,
    default_tags,
    filter_tags,
    predicted_service_platforms,
)
from swarm.compat_nodes import VerdictCache, node_columns
from swarm.image_lookup import InventoryTag
from swarm.node_info import NodeInfo
from swarm.platforms import Platform

NOW = datetime(2026, 5, 1, tzinfo=UTC)


def node(hostname: str, machine: str) -> NodeInfo:
    return NodeInfo(node_id=hostname, hostname=hostname, role="worker", is_leader=False,
                    state="ready", availability="active", address="", engine_version="",
                    os="linux", architecture=machine, platform="", cpus=1, memory_bytes=1)


COLUMNS = node_columns([node("laptop", "x86_64"), node("pi", "aarch64"), node("pi32", "armv7l"),
                        node("desk", "x86_64")])


def tag(name: str, *platforms: str, kind: str = "oci_index", age: int = 0,
        repository: str = "apps/web") -> InventoryTag:
    return InventoryTag(1, "reg:5000", repository, name, "sha256:" + "0" * 64,
                        tuple(Platform.parse(p) for p in platforms),
                        kind in ("oci_index", "docker_list"), kind, NOW - timedelta(days=age))


def levels(row) -> list[Level]:  # noqa: ANN001 - test helper
    return [cell.level for cell in row.cells]


@pytest.mark.parametrize(
    ("image", "expected_levels", "status", "traps"),
    [
        (tag("all", "linux/amd64", "linux/arm64", "linux/arm/v7"),
         [Level.NATIVE, Level.NATIVE, Level.NATIVE, Level.NATIVE], RowStatus.EVERYWHERE, []),
        (tag("pi", "linux/arm64", "linux/arm/v7"),
         [Level.CANNOT, Level.NATIVE, Level.NATIVE, Level.CANNOT], RowStatus.MISSING,
         ["laptop", "desk"]),  # the blanked arm entry lets Swarm send it to amd64 nodes
        (tag("v7", "linux/arm/v7", kind="docker_manifest"),
         [Level.CANNOT, Level.COMPAT32, Level.NATIVE, Level.CANNOT], RowStatus.MISSING,
         ["laptop", "desk"]),
        (tag("amd", "linux/amd64", kind="docker_manifest"),
         [Level.NATIVE, Level.CANNOT, Level.CANNOT, Level.NATIVE], RowStatus.MISSING, []),
        (tag("oci", "linux/arm64", kind="oci_manifest"),
         [Level.CANNOT, Level.NATIVE, Level.CANNOT, Level.CANNOT], RowStatus.MISSING,
         ["laptop", "pi32", "desk"]),  # no platform list at all: Swarm allows every node
        (tag("unknown", kind="docker_manifest"),
         [Level.UNKNOWN] * 4, RowStatus.UNKNOWN, []),
    ],
)
def test_cells_say_what_each_node_can_run_and_where_swarm_would_still_send_it(
    image, expected_levels, status, traps
):
    row = MatrixBuilder(COLUMNS, VerdictCache()).row(image)

    assert levels(row) == expected_levels
    assert row.status is status
    assert [c.name for c, cell in zip(COLUMNS, row.cells, strict=True) if cell.trap] == traps
    assert all(cell.symbol.endswith("⚠") == cell.trap for cell in row.cells)


def test_a_cell_tooltip_says_why():
    builder = MatrixBuilder(COLUMNS, VerdictCache())
    row = builder.row(tag("arm", "linux/arm64", kind="docker_manifest"))

    assert builder.reasons[row.cells[1].why] == (
        "native: image has linux/arm64; node is aarch64 -> linux/arm64"
    )
    assert builder.reasons[row.cells[0].why].startswith(
        "cannot run: image has only linux/arm64; node is x86_64 -> linux/amd64"
    )


def test_identical_cells_are_computed_once_and_reasons_sent_once():
    builder = MatrixBuilder(COLUMNS, VerdictCache())
    rows = [builder.row(tag(f"t{i}", "linux/amd64", "linux/arm64")) for i in range(20)]

    assert rows[0].cells[0] is rows[19].cells[3]  # laptop and desk: same klass, same image
    assert len(builder.reasons) == 3  # amd64 native, arm64 native, arm/v7 cannot


def test_a_row_that_misses_nodes_names_them_and_looks_for_a_fix():
    siblings = [tag("1.0-amd64", "linux/amd64", kind="docker_manifest"),
                tag("1.0-arm64", "linux/arm64", kind="docker_manifest")]
    row = MatrixBuilder(COLUMNS, VerdictCache()).row(siblings[0], ("web",), siblings)

    assert row.missing == ("pi (arm64)", "pi32 (arm/v7)")
    assert [str(p) for p in row.missing_platforms] == ["linux/arm64", "linux/arm/v7"]
    assert row.used_by == ("web",)
    assert row.hints.merge is not None and row.hints.merge.target == "1.0"
    # One build for everything the swarm needs, the merged arm64 included.
    assert [str(p) for p in row.hints.rebuild] == ["linux/amd64", "linux/arm64", "linux/arm/v7"]


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (tag("a", "linux/arm64", "linux/arm/v7", "linux/arm/v6"),
         [("linux", "arm64"), ("linux", ""), ("linux", "")]),
        (tag("b", "linux/amd64", kind="docker_manifest"), [("linux", "amd64")]),
        (tag("c", "linux/amd64", kind="oci_manifest"), []),
        (tag("d", kind="docker_manifest"), None),
    ],
)
def test_it_predicts_the_platforms_docker_service_create_records(image, expected):
    assert predicted_service_platforms(image) == expected


def test_the_summary_counts_images_and_the_node_platforms_they_miss():
    tags = [tag("all", "linux/amd64", "linux/arm64", "linux/arm/v7"),
            tag("multi", "linux/amd64", "linux/arm64"),
            tag("amd", "linux/amd64", kind="docker_manifest"),
            tag("unknown", kind="docker_manifest")]

    summary, statuses = classify(tags, COLUMNS, VerdictCache())

    assert (summary.images, summary.everywhere, summary.missing, summary.unknown) == (4, 1, 2, 1)
    assert summary.missing_by_platform == [("linux/arm/v7", 2), ("linux/arm64", 1)]
    assert statuses[(1, "apps/web", "amd")] is RowStatus.MISSING


def test_by_default_it_shows_the_tags_services_use_then_the_newest():
    tags = [tag(f"t{i}", "linux/amd64", age=i) for i in range(10)] + [tag("undated", "linux/amd64")]
    tags[-1] = InventoryTag(1, "reg:5000", "apps/web", "undated", "x", tags[0].platforms, False)
    used = [tags[7]]

    shown = default_tags(tags, used, newest=3)

    assert [t.name for t in shown] == ["t7", "t0", "t1", "t2"]


def test_filtering_by_text_and_status():
    tags = [tag("1.0", "linux/amd64", repository="apps/web"),
            tag("2.0", "linux/amd64", "linux/arm64", "linux/arm/v7", repository="apps/web"),
            tag("1.0", "linux/amd64", repository="tools/db")]
    _, statuses = classify(tags, COLUMNS, VerdictCache())

    assert [t.short_reference for t in filter_tags(tags, "WEB:")] == ["apps/web:1.0",
                                                                     "apps/web:2.0"]
    assert [t.short_reference for t in filter_tags(tags, "", RowStatus.EVERYWHERE, statuses)] \
        == ["apps/web:2.0"]
    assert filter_tags(tags, "web", RowStatus.MISSING, statuses) == [tags[0]]
