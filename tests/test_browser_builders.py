"""Bootstrap clicked in Debian's chromium: the steps stream into the live job log, then the
builders page shows the builder. The worker's docker is the stand-in that replays the
buildx/binfmt fixtures (buildx is not installed here); the engine is the isolated one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from swarm.models import Job, JobLogLine, Registry
from tests.conftest import login, make_accounts
from tests.engine import IsolatedEngine
from tests.live_server import LiveServer
from tests.replay_docker import ReplayDocker

pytestmark = pytest.mark.django_db(transaction=True)

STEPS = ["==> Check buildx", "==> Check emulation on the build host",
         "==> Write buildkitd.toml", "==> Create the builder", "==> Bootstrap the builder",
         "==> Summary"]


@pytest.fixture(scope="module")
def replay_folder(tmp_path_factory: pytest.TempPathFactory):
    return tmp_path_factory.mktemp("replay")


@pytest.fixture(scope="module")
def builders_server(
    django_db_setup: None, django_db_blocker: object, swarm_engine: IsolatedEngine,
    replay_folder,
) -> Iterator[tuple[LiveServer, ReplayDocker]]:
    from django.db import connection

    data_dir = replay_folder / "data"
    stand_in = ReplayDocker(replay_folder / "state", config_dir=data_dir / "buildkitd")
    stand_in.write()
    server = LiveServer(
        database=str(connection.settings_dict["NAME"]),
        extra_env={
            **stand_in.env,
            "DJANGO_SETTINGS_MODULE": "tests.live_settings_own_queue",
            "DOCKER_HOST": swarm_engine.host,
            "SWARMDECK_DATA_DIR": str(data_dir),
            "SWARMDECK_TEST_LINE_DELAY": "0.03",  # long enough to watch the log stream
        },
    )
    server.start()
    yield server, stand_in
    server.stop()


def log_texts(page) -> list[str]:
    return [t.rstrip("\n") for t in page.locator("#job-log .line").all_inner_texts()]


def test_an_operator_bootstraps_and_watches_every_step_stream_in(page, builders_server):
    server, stand_in = builders_server
    stand_in.write()  # a fresh host: no emulators, no builder
    make_accounts()
    Registry.objects.create(name="local", base_url="http://127.0.0.1:5000")
    login(page, server.url, "operator")
    page.goto(f"{server.url}/builders/")
    assert "No builders yet" in page.locator("#builders-panel").inner_text()

    page.click("#bootstrap")
    page.wait_for_url("**/jobs/*/")
    job = Job.objects.get(kind="bootstrap")

    # The first step is on screen while the job still runs: the log is live.
    page.wait_for_selector("#job-log .line:text('==> Check emulation on the build host')")
    assert Job.objects.get(pk=job.pk).status == "running"
    page.wait_for_selector("#job-status:text('succeeded')", timeout=60_000)
    page.wait_for_selector("#log-connection[data-state='done']")

    shown = log_texts(page)
    assert [line for line in shown if line.startswith("==> ")][:6] == STEPS
    stored = list(JobLogLine.objects.filter(job=job).order_by("seq")
                  .values_list("text", flat=True))
    assert shown == stored
    assert "builder multiarch ready" in page.locator("#job-outcome").inner_text()
    assert ["buildx", "inspect", "--bootstrap", "multiarch"] in stand_in.calls()

    # The job asked for a builders refresh: the page shows the new builder.
    page.click("#job-result")
    page.wait_for_selector("article[data-builder='multiarch']", timeout=20_000)
    row = page.locator("article[data-builder='multiarch'] tr[data-node='multiarch0']")
    assert "arm64" in row.locator("td.emulated").inner_text()
    assert "amd64" in row.locator("td.native").inner_text()
