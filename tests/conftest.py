"""Shared fixtures: real components (isolated dockerd in swarm mode, registry, browser,
live server) and users with each role. See tests/README.md for how to use them."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.components import (
    MISSING,
    REQUIRE_ALL,
    component_missing,
    need_executable,
    need_root,
)
from tests.engine import DEBIAN_DOCKER, EngineStartError, IsolatedEngine
from tests.live_server import LiveServer
from tests.registry_server import RegistryServer, RegistryStartError

pytest_plugins = ["tests.qemu"]  # qemu_arm64, busybox_arm64

# Playwright's sync API keeps an event loop in the test thread; Django would then refuse
# ORM calls made by the test itself between browser steps.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
PASSWORD = "correct-horse-battery"
SLOW_DOCKER = Path(__file__).resolve().parent / "bin" / "slow-docker"


def _start_engine(swarm: bool) -> IsolatedEngine:
    need_root("dockerd")
    dockerd = need_executable("dockerd", "/usr/sbin/dockerd", "dockerd", package="docker.io")
    need_executable("docker CLI (Debian 20.10)", DEBIAN_DOCKER, package="docker.io")
    engine = IsolatedEngine(dockerd)
    try:
        engine.start()
        if swarm:
            engine.init_swarm()
    except (EngineStartError, AssertionError) as error:
        engine.stop()
        component_missing("dockerd", f"isolated engine did not start: {error}")
    return engine


@pytest.fixture(scope="session")
def swarm_engine() -> Iterator[IsolatedEngine]:
    """An isolated engine in swarm mode (single manager node), for the whole session."""
    engine = _start_engine(swarm=True)
    yield engine
    engine.stop()


@pytest.fixture(scope="module")
def plain_engine() -> Iterator[IsolatedEngine]:
    """An isolated engine that is not part of any swarm."""
    engine = _start_engine(swarm=False)
    yield engine
    engine.stop()


@pytest.fixture(scope="session")
def registry() -> Iterator[RegistryServer]:
    """Debian's docker-registry (distribution 2.8) on a free loopback port, no auth."""
    binary = need_executable("docker-registry", "/usr/bin/docker-registry",
                             package="docker-registry")
    server = RegistryServer(binary)
    try:
        server.start()
    except RegistryStartError as error:
        component_missing("docker-registry", str(error))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def registry_factory() -> Iterator[Callable[..., RegistryServer]]:
    """Start extra registries (fresh storage, optional ``htpasswd={user: password}``) that
    stop when the module's tests are done."""
    binary = need_executable("docker-registry", "/usr/bin/docker-registry",
                             package="docker-registry")
    started: list[RegistryServer] = []

    def start(**options: object) -> RegistryServer:
        server = RegistryServer(binary, **options)  # type: ignore[arg-type]
        try:
            server.start()
        except RegistryStartError as error:
            component_missing("docker-registry", str(error))
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def use_engine(settings: pytest.FixtureRequest, swarm_engine: IsolatedEngine) -> IsolatedEngine:
    """Point swarmdeck's engine adapter at the isolated swarm engine for this test."""
    settings.DOCKER_HOST = swarm_engine.host  # type: ignore[attr-defined]
    return swarm_engine


@dataclass
class Accounts:
    viewer: object
    operator: object
    password: str = PASSWORD


def make_accounts() -> Accounts:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from swarm.roles import OPERATORS, VIEWERS, ensure_roles

    ensure_roles()
    users = get_user_model()
    viewer = users.objects.create_user("viewer", password=PASSWORD)
    viewer.groups.add(Group.objects.get(name=VIEWERS))
    operator = users.objects.create_user("operator", password=PASSWORD)
    operator.groups.add(Group.objects.get(name=OPERATORS))
    return Accounts(viewer=viewer, operator=operator)


@pytest.fixture
def accounts(db: None) -> Accounts:
    return make_accounts()


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """Debian's chromium driven by Playwright (never a downloaded browser)."""
    executable = need_executable("chromium", "/usr/bin/chromium", package="chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        component_missing("playwright", "the Python package is missing (pip install -e .[dev])")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: object) -> Iterator[object]:
    context = chromium.new_context(viewport={"width": 1400, "height": 900})  # type: ignore[attr-defined]
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def served(
    django_db_setup: None, django_db_blocker: object, swarm_engine: IsolatedEngine
) -> Iterator[LiveServer]:
    """``manage.py serve`` (daphne + worker) on the test database, engine = swarm_engine.

    Tests that use it must write with ``transactional_db`` so the server sees their rows.
    """
    from django.db import connection

    server = LiveServer(
        database=str(connection.settings_dict["NAME"]),
        extra_env={
            "DOCKER_HOST": swarm_engine.host,
            # Real docker output, replayed slowly enough to watch a job stream.
            "SWARMDECK_DOCKER_CLI": str(SLOW_DOCKER),
        },
    )
    server.start()
    yield server
    server.stop()


def login(page: object, server_url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{server_url}/login/")  # type: ignore[attr-defined]
    page.fill("#id_username", username)  # type: ignore[attr-defined]
    page.fill("#id_password", password)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(lambda url: "/login/" not in url)  # type: ignore[attr-defined]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not MISSING:
        return
    verdict = "FAILED (required under CI)" if REQUIRE_ALL else "SKIPPED their tests"
    terminalreporter.section(f"MISSING COMPONENTS: {verdict}", sep="!", red=True, bold=True)
    for component, why in sorted(MISSING.items()):
        terminalreporter.line(f"  {component}: {why}", red=True)
    terminalreporter.line("  Run `make test` as root to install them with apt.", red=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API keeps an event loop in the main thread
    for the rest of the session, which async (WebSocket) tests cannot share."""
    items.sort(key=lambda item: "chromium" in getattr(item, "fixturenames", ()))
