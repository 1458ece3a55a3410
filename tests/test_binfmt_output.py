"""tonistiigi/binfmt stdout JSON and stderr install log (swarm/binfmt_output.py)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from swarm.binfmt_output import (
    EMULATOR_PLATFORMS,
    BinfmtStatus,
    InstallResult,
    emulated_platforms,
    parse_binfmt,
    parse_errors,
    parse_install_log,
)
from tests.shared_fixtures import FIXTURES, fixture_text

ARM64_HOST_SUPPORTED = [
    "linux/arm64",
    "linux/amd64",
    "linux/amd64/v2",
    "linux/riscv64",
    "linux/ppc64le",
    "linux/s390x",
    "linux/386",
    "linux/mips64le",
    "linux/mips64",
    "linux/loong64",
    "linux/arm/v7",
    "linux/arm/v6",
]
ARM64_HOST_EMULATORS = [
    "qemu-i386",
    "qemu-loongarch64",
    "qemu-mips64",
    "qemu-mips64el",
    "qemu-ppc64le",
    "qemu-riscv64",
    "qemu-s390x",
    "qemu-x86_64",
]
AMD64_HOST_SUPPORTED = [
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
    "linux/loong64",
    "linux/arm/v7",
    "linux/arm/v6",
]
AMD64_HOST_EMULATORS = [
    "qemu-aarch64",
    "qemu-arm",
    "qemu-loongarch64",
    "qemu-mips64",
    "qemu-mips64el",
    "qemu-ppc64le",
    "qemu-riscv64",
    "qemu-s390x",
]
STDOUT: dict[str, tuple[list[str], list[str]]] = {
    "binfmt/install_all.json": (ARM64_HOST_SUPPORTED, ARM64_HOST_EMULATORS),
    "binfmt/install_all_seed.txt": (ARM64_HOST_SUPPORTED, ARM64_HOST_EMULATORS),
    "generated/binfmt_install-all_amd64-host.stdout.json": (
        AMD64_HOST_SUPPORTED,
        AMD64_HOST_EMULATORS,
    ),
    "generated/binfmt_status-only_amd64-host-after-install.stdout.json": (
        AMD64_HOST_SUPPORTED,
        AMD64_HOST_EMULATORS,
    ),
    "generated/binfmt_status-only_amd64-host-no-emulators.stdout.json": (
        ["linux/amd64", "linux/amd64/v2", "linux/amd64/v3", "linux/386"],
        [],
    ),
}
OK_ARM64_HOST = ["mips64le", "amd64", "386", "s390x", "ppc64le", "riscv64", "mips64", "loong64"]
OK_AMD64_HOST = ["s390x", "mips64le", "arm64", "ppc64le", "loong64", "riscv64", "mips64", "arm"]
STDERR: dict[str, list[InstallResult]] = {
    "binfmt/install_all_seed.txt": [InstallResult(a, ok=True) for a in OK_ARM64_HOST],
    "generated/binfmt_install-all_amd64-host.stderr.txt": [
        InstallResult(a, ok=True) for a in OK_AMD64_HOST
    ],
    "generated/binfmt_install-explicit_error-variants.stderr.txt": [
        InstallResult("arm64", ok=False, error="qemu-aarch64 already registered"),
        InstallResult(
            "arm",
            ok=False,
            error=(
                'cannot register "/usr/bin/qemu-arm" to /proc/sys/fs/binfmt_misc/register: '
                "write /proc/sys/fs/binfmt_misc/register: no such file or directory"
            ),
        ),
        InstallResult("sparc64", ok=False, error="unsupported architecture: sparc64"),
    ],
}


def test_every_binfmt_fixture_is_covered() -> None:
    on_disk = {
        str(path.relative_to(FIXTURES))
        for pattern in ("binfmt/*", "generated/binfmt_*")
        for path in FIXTURES.glob(pattern)
    }
    assert on_disk == set(STDOUT) | set(STDERR)


@pytest.mark.parametrize("name", sorted(STDOUT))
def test_it_reads_supported_platforms_and_emulators(name: str) -> None:
    supported, emulators = STDOUT[name]
    assert parse_binfmt(fixture_text(name)) == BinfmtStatus(supported, emulators)


def test_it_finds_the_json_after_docker_pull_progress_and_install_lines() -> None:
    seed = fixture_text("binfmt/install_all_seed.txt")
    assert seed.startswith("latest: Pulling from tonistiigi/binfmt")
    assert parse_binfmt(seed) == parse_binfmt(fixture_text("binfmt/install_all.json"))


def test_null_emulators_mean_none() -> None:
    text = fixture_text("generated/binfmt_status-only_amd64-host-no-emulators.stdout.json")
    assert '"emulators": null' in text
    status = parse_binfmt(text)
    assert status.emulators == [] and status.emulated_platforms == []


def test_it_keeps_unknown_keys_and_skips_non_string_entries() -> None:
    text = json.dumps({"supported": ["linux/amd64", 7, None], "emulators": "x", "qemu": "9.2"})
    assert parse_binfmt(text) == BinfmtStatus(["linux/amd64"], [], {"qemu": '"9.2"'})


@given(
    before=st.text(st.characters(blacklist_characters="{"), max_size=80),
    after=st.text(max_size=80),
    name=st.sampled_from(sorted(STDOUT)),
)
def test_it_finds_the_status_among_any_noise(before: str, after: str, name: str) -> None:
    text = fixture_text(name)
    assert parse_binfmt(f"{before}\n{text}\n{after}") == parse_binfmt(text)


def test_stray_braces_before_the_status_are_skipped() -> None:
    text = fixture_text("generated/binfmt_install-all_amd64-host.stdout.json")
    noisy = "progress {50%}\n{broken\n[{}]\n" + text
    assert parse_binfmt(noisy) == parse_binfmt(text)


def test_it_reads_crlf_output() -> None:
    text = fixture_text("binfmt/install_all_seed.txt")
    assert parse_binfmt(text.replace("\n", "\r\n")) == parse_binfmt(text)
    assert parse_install_log(text.replace("\n", "\r\n")) == parse_install_log(text)


@pytest.mark.parametrize(
    "text", ["", "Unable to find image 'tonistiigi/binfmt:latest' locally\n", '{"a": 1}', "{"]
)
def test_it_rejects_output_without_the_status_object(text: str) -> None:
    with pytest.raises(ValueError, match="not tonistiigi/binfmt output"):
        parse_binfmt(text)


@pytest.mark.parametrize("name", sorted(STDERR))
def test_it_reads_one_result_per_install_line_in_order(name: str) -> None:
    assert parse_install_log(fixture_text(name)) == STDERR[name]


def test_install_failures_are_detected_though_binfmt_exits_zero() -> None:
    text = fixture_text("generated/binfmt_install-explicit_error-variants.stderr.txt")
    results = {r.arch: r for r in parse_install_log(text)}
    assert [r.ok for r in results.values()] == [False, False, False]
    assert results["arm64"].already_registered  # the emulator is there after all
    assert not results["arm"].already_registered
    assert (results["arm"].emulator, results["arm"].platform) == ("qemu-arm", "linux/arm")
    assert (results["sparc64"].emulator, results["sparc64"].platform) == (None, None)


def test_successful_installs_name_their_emulator_and_platform() -> None:
    text = fixture_text("generated/binfmt_install-all_amd64-host.stderr.txt")
    pairs = {(r.emulator, r.platform) for r in parse_install_log(text)}
    assert ("qemu-aarch64", "linux/arm64") in pairs
    assert ("qemu-loongarch64", "linux/loong64") in pairs
    assert ("qemu-mips64el", "linux/mips64le") in pairs


def test_every_emulator_installed_is_one_the_status_then_lists() -> None:
    log = parse_install_log(fixture_text("generated/binfmt_install-all_amd64-host.stderr.txt"))
    status = parse_binfmt(fixture_text("generated/binfmt_install-all_amd64-host.stdout.json"))
    assert sorted(r.emulator or "" for r in log) == sorted(status.emulators)


def test_it_reads_uninstall_lines_and_general_errors() -> None:
    text = (
        "uninstalling: qemu-aarch64 OK\n"
        "uninstalling: qemu-sparc not found\n"
        "error: cannot mount binfmt_misc filesystem at /proc/sys/fs/binfmt_misc: EPERM\n"
    )
    first, second = parse_install_log(text)
    assert (first.action, first.ok, first.emulator, first.platform) == (
        "uninstall",
        True,
        "qemu-aarch64",
        "linux/arm64",
    )
    assert (second.ok, second.error, second.platform) == (False, "not found", None)
    assert parse_errors(text) == [
        "cannot mount binfmt_misc filesystem at /proc/sys/fs/binfmt_misc: EPERM"
    ]


def test_the_install_log_ignores_other_lines() -> None:
    assert parse_install_log("latest: Pulling from tonistiigi/binfmt\n\n{}\n") == []
    assert parse_errors(fixture_text("binfmt/install_all_seed.txt")) == []


@pytest.mark.parametrize(
    ("emulators", "platforms"),
    [
        (["qemu-aarch64"], ["linux/arm64"]),
        (["qemu-arm"], ["linux/arm/v7", "linux/arm/v6"]),
        (["qemu-x86_64", "qemu-i386"], ["linux/amd64", "linux/386"]),
        (["qemu-mips64el", "qemu-mips64"], ["linux/mips64le", "linux/mips64"]),
        (["qemu-loongarch64", "qemu-riscv64"], ["linux/loong64", "linux/riscv64"]),
        (["qemu-s390x", "qemu-ppc64le"], ["linux/s390x", "linux/ppc64le"]),
        (["buildkit-qemu-aarch64"], ["linux/arm64"]),  # $QEMU_BINARY_PREFIX
        (["WSLInterop", "python3.11", "qemu-sparc64", "status"], []),
        (["qemu-aarch64", "qemu-aarch64"], ["linux/arm64"]),
    ],
)
def test_emulated_platforms_follow_binfmts_mapping(
    emulators: list[str], platforms: list[str]
) -> None:
    assert emulated_platforms(emulators) == platforms


@pytest.mark.parametrize(
    "name",
    [
        "generated/binfmt_install-all_amd64-host.stdout.json",
        "binfmt/install_all.json",
    ],
)
def test_every_emulated_platform_is_one_buildkit_reports_as_supported(name: str) -> None:
    status = parse_binfmt(fixture_text(name))
    assert status.emulated_platforms
    assert set(status.emulated_platforms) <= set(status.supported)
    assert len(status.emulated_platforms) >= len(status.emulators)


def test_every_emulator_binfmt_installs_has_platforms() -> None:
    assert all(platforms for platforms in EMULATOR_PLATFORMS.values())


@settings(max_examples=200)
@given(
    st.text(max_size=200)
    | st.dictionaries(
        st.sampled_from(["supported", "emulators", "x"]),
        st.none() | st.integers() | st.lists(st.none() | st.text(max_size=8), max_size=3),
    ).map(json.dumps)
)
def test_arbitrary_text_gives_a_status_or_a_value_error(text: str) -> None:
    try:
        status = parse_binfmt(text)
    except ValueError:
        return
    assert all(isinstance(p, str) for p in status.supported + status.emulators)
    emulated_platforms(status.emulators)


@given(st.text(max_size=200))
def test_any_stderr_gives_results_without_raising(text: str) -> None:
    for result in parse_install_log(text):
        assert result.ok == (result.error == "")
        _ = (result.platform, result.emulator, result.already_registered)
    parse_errors(text)
