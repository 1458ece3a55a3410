"""The emulation watch against the kernel's real binfmt_misc. Only a handler of our own is
touched: Debian's qemu-riscv64 line under a name no one else uses, removed afterwards."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from django.urls import reverse

from swarm.binfmt_misc import registered_emulators
from swarm.builder_snapshots import watch_local_emulators
from swarm.models import EmulatorState
from tests.components import component_missing, need_root
from tests.qemu import BINFMT, BINFMT_CONFS, ensure_binfmt_mounted

pytestmark = pytest.mark.django_db

# Ends in the qemu binary's name, as binfmt's $QEMU_BINARY_PREFIX entries do.
NAME = f"swarmdeck-test-{os.getpid()}-qemu-riscv64"


@pytest.fixture
def own_handler(settings) -> Iterator[tuple[Callable[[], None], Callable[[], None]]]:
    need_root("binfmt_misc")
    ensure_binfmt_mounted()
    conf = BINFMT_CONFS / "qemu-riscv64.conf"
    if not conf.exists():
        component_missing("qemu-user-static", f"{conf} not found (apt-get install "
                                              "qemu-user-static)")
    fields = conf.read_text().strip().split(":")  # :name:type:offset:magic:mask:interp:flags
    fields[1] = NAME
    entry = BINFMT / NAME
    settings.BINFMT_MISC_DIR = BINFMT
    settings.DOCKER_HOST = ""  # the engine is local, so this machine's handlers are its own

    def register() -> None:
        (BINFMT / "register").write_text(":".join(fields))

    def unregister() -> None:
        if entry.exists():
            entry.write_text("-1")

    try:
        yield register, unregister
    finally:
        unregister()


def test_a_real_handler_that_vanishes_is_reported_gone(own_handler, client, accounts):
    register, unregister = own_handler

    register()
    assert NAME in (registered_emulators() or [])
    watch_local_emulators()
    state = EmulatorState.objects.get(name=NAME)
    assert (state.registered, state.platforms) == (True, ["linux/riscv64"])

    unregister()  # what a reboot does to every handler
    assert NAME not in (registered_emulators() or [])
    watch_local_emulators()
    state.refresh_from_db()
    assert not state.registered and state.missing_since is not None

    client.force_login(accounts.operator)
    html = client.get(reverse("swarm:builders")).content.decode()
    assert 'id="emulation-warning"' in html and f'data-emulator="{NAME}"' in html
    assert 'id="bootstrap-again"' in html
