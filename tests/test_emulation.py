"""QEMU emulation on the build host: wanted, missing, vanished (swarm/emulation.py) and
reading a binfmt_misc folder (swarm/binfmt_misc.py)."""

from __future__ import annotations

import pytest

from swarm.binfmt_misc import read_binfmt_misc, registered_emulators
from swarm.binfmt_output import parse_binfmt
from swarm.emulation import (
    compare_emulators,
    missing_platforms,
    parse_binfmt_entry,
    wanted_platforms,
)
from tests.shared_fixtures import fixture_text

NO_EMULATORS = "generated/binfmt_status-only_amd64-host-no-emulators.stdout.json"
AFTER_INSTALL = "generated/binfmt_status-only_amd64-host-after-install.stdout.json"
QEMU_AARCH64 = """enabled
interpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P
flags: POCF
offset 0
magic 7f454c460201010000000000000000000200b700
mask ffffffffffffff00fffffffffffffffffeffffff
"""


def test_all_wants_every_platform_binfmt_can_emulate():
    wanted = wanted_platforms("all")
    for platform in ("linux/arm64", "linux/arm/v7", "linux/arm/v6", "linux/amd64",
                     "linux/riscv64", "linux/s390x", "linux/loong64", "linux/386"):
        assert platform in wanted
    assert len(wanted) == len(set(wanted))


def test_arm_wants_both_arm_variants_qemu_arm_runs():
    assert wanted_platforms("arm64,arm") == ["linux/arm64", "linux/arm/v7", "linux/arm/v6"]


def test_a_fresh_amd64_host_misses_every_foreign_platform():
    status = parse_binfmt(fixture_text(NO_EMULATORS))
    missing = missing_platforms(status.supported, wanted_platforms("all"))
    assert "linux/arm64" in missing and "linux/arm/v7" in missing
    assert "linux/amd64" not in missing and "linux/386" not in missing


def test_after_the_install_nothing_is_missing():
    status = parse_binfmt(fixture_text(AFTER_INSTALL))
    assert missing_platforms(status.supported, wanted_platforms("all")) == []


def test_the_arm64_seed_host_misses_only_what_its_install_could_not_add():
    status = parse_binfmt(fixture_text("binfmt/install_all.json"))
    assert missing_platforms(status.supported, wanted_platforms("arm64,amd64,riscv64")) == []


def test_platform_spellings_are_normalised_before_comparing():
    assert missing_platforms(["linux/arm64/v8", "linux/arm"], ["linux/arm64", "linux/arm/v7"]) \
        == []


def test_comparing_observations_finds_new_still_and_vanished_emulators():
    known = {"qemu-aarch64": True, "qemu-arm": True, "qemu-riscv64": False}
    changes = compare_emulators(known, ["qemu-aarch64", "qemu-s390x", "WSLInterop"])
    assert changes.still == ["qemu-aarch64"]
    assert changes.appeared == ["qemu-s390x"]
    assert changes.vanished == ["qemu-arm"]  # riscv64 was already gone: not vanished again


def test_entries_that_are_not_qemu_emulators_are_ignored():
    changes = compare_emulators({}, ["python3.11", "llvm-14-runtime.binfmt", "status"])
    assert changes.appeared == changes.vanished == changes.still == []


def test_it_reads_a_binfmt_misc_entry():
    entry = parse_binfmt_entry("qemu-aarch64", QEMU_AARCH64)
    assert entry.enabled and entry.flags == "POCF"
    assert entry.interpreter == "/usr/libexec/qemu-binfmt/aarch64-binfmt-P"
    assert not parse_binfmt_entry("qemu-arm", "disabled\ninterpreter /x\n").enabled
    assert not parse_binfmt_entry("qemu-arm", "").enabled


@pytest.fixture
def binfmt_dir(tmp_path):
    (tmp_path / "register").write_text("")
    (tmp_path / "status").write_text("enabled\n")
    (tmp_path / "qemu-aarch64").write_text(QEMU_AARCH64)
    (tmp_path / "qemu-arm").write_text("disabled\ninterpreter /usr/bin/qemu-arm\n")
    (tmp_path / "python3.11").write_text("enabled\ninterpreter /usr/bin/python3.11\n")
    return tmp_path


def test_only_enabled_qemu_handlers_count_as_registered(binfmt_dir):
    assert [e.name for e in read_binfmt_misc(binfmt_dir)] == [
        "python3.11", "qemu-aarch64", "qemu-arm"]
    assert registered_emulators(binfmt_dir) == ["qemu-aarch64"]


def test_an_unmounted_binfmt_misc_says_nothing_rather_than_none(tmp_path):
    assert read_binfmt_misc(tmp_path) is None
    assert registered_emulators(tmp_path / "missing") is None
