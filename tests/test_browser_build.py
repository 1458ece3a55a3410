"""A build in Debian's chromium: create a recipe, click Build, watch the per-platform lanes
and the log, land on the result. buildx is replaced by tests/bin/buildx-replay (real
buildx output for the one expected argv); the pushed image is real (the engine pushed it)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from swarm.models import Job, Registry
from tests.conftest import login, make_accounts
from tests.engine_images import build_and_push, manifest_merge_with_cli
from tests.live_server import LiveServer
from tests.shared_fixtures import FIXTURES
from tests.test_build_job import STAND_IN

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def build_server(django_db_setup, django_db_blocker, swarm_engine, tmp_path_factory
                 ) -> Iterator[tuple[LiveServer, dict[str, object]]]:
    from django.db import connection

    folder = tmp_path_factory.mktemp("build-browser")
    context = folder / "builds" / "web"
    context.mkdir(parents=True)
    (context / "Dockerfile").write_text("FROM scratch\n")
    paths = {"folder": folder, "context": context.resolve(), "plan": folder / "plan.json",
             "data": folder / "data"}
    server = LiveServer(
        database=str(connection.settings_dict["NAME"]),
        extra_env={
            # A queue of its own: the session's `served` worker must not take these jobs.
            "DJANGO_SETTINGS_MODULE": "tests.live_settings_own_queue",
            "DOCKER_HOST": swarm_engine.host,
            "SWARMDECK_DATA_DIR": str(paths["data"]),
            "SWARMDECK_DOCKER_CLI": str(STAND_IN),
            "SWARMDECK_BUILD_ROOTS": str(folder / "builds"),
            "SWARMDECK_TEST_BUILDX_PLAN": str(paths["plan"]),
        },
    )
    server.start()
    yield server, paths
    server.stop()


def test_create_a_recipe_build_it_and_land_on_the_result(page, build_server, swarm_engine,
                                                         registry):
    server, paths = build_server
    base = f"{registry.host}/web/site"
    build_and_push(swarm_engine, f"{base}:2.0-amd64", "linux/amd64")
    build_and_push(swarm_engine, f"{base}:2.0-arm64", "linux/arm64")
    manifest_merge_with_cli(swarm_engine, f"{base}:2.0", f"{base}:2.0-amd64", f"{base}:2.0-arm64")
    Registry.objects.create(name="lan", base_url=registry.url)
    context = str(paths["context"])
    paths["plan"].write_text(json.dumps({
        "argv": ["buildx", "build", "--builder", "multiarch",
                 "--platform", "linux/amd64,linux/arm64", "-t", f"{base}:2.0", "--push",
                 "--progress=rawjson", "--metadata-file",
                 r"re:.*/jobs/\d+/metadata\.json", "--file", f"{context}/Dockerfile",
                 "--build-arg", "GREETING=hello world", "--provenance=false", context],
        "fixtures": str(FIXTURES), "stderr_fixture":
        "buildx/build_rawjson_push_2platform_v0.36.1.txt", "digest": "sha256:" + "e" * 64,
        "delay": 0.08,  # slow enough to watch the lanes move
    }))
    make_accounts()
    login(page, server.url, "operator")

    page.click("nav.mainnav >> text=Builds")
    page.click("#add-recipe")
    page.fill("#id_name", "site")
    page.fill("#id_context_path", context)
    page.select_option("#id_registry", label="lan")
    page.fill("#id_repository", "web/site")
    page.fill("#id_tags", "2.0")
    page.check("input[name=platforms][value='linux/amd64']")
    page.check("input[name=platforms][value='linux/arm64']")
    page.fill("#id_build_args", "GREETING=hello world")
    page.click("#save-recipe")
    page.click("#build-now")

    page.wait_for_selector("#build-lanes .lane[data-platform='linux/arm64']", timeout=20_000)
    # Readable per-platform steps stream in (not raw JSON), while the build still runs.
    page.wait_for_function("document.getElementById('job-log').textContent.includes('[linux/')")
    assert '{"vertexes"' not in page.locator("#job-log").inner_text()
    page.wait_for_selector("#job-status:text('succeeded')", timeout=30_000)
    page.wait_for_selector(".lane[data-platform='linux/arm64'] .badge-lane-done")
    assert page.locator(".lane[data-platform='linux/amd64'] .badge-lane-done").count() == 1

    page.click("#job-result")
    rows = page.locator("#platforms-table tr[data-platform]")
    assert [r.get_attribute("data-platform") for r in rows.all()] == ["linux/amd64",
                                                                      "linux/arm64"]
    assert Job.objects.get(kind="build").status == "succeeded"
