"""The build job end to end: a stand-in replays buildx's real output for the one argv it
expects; everything after it is real (the image was pushed by the real engine first, and
the job's registry refresh and result page read it from the real registry)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from swarm.jobs import run_job
from swarm.models import BuildRecipe, Job, Registry, Tag
from tests.engine_images import build_and_push, manifest_merge_with_cli
from tests.run_jobs import log_of
from tests.shared_fixtures import FIXTURES

pytestmark = pytest.mark.django_db
STAND_IN = Path(__file__).resolve().parent / "bin" / "buildx-replay"


@pytest.fixture
def build_setup(tmp_path, settings, monkeypatch, registry):
    root = tmp_path / "builds"
    context = root / "app"
    context.mkdir(parents=True)
    (context / "Dockerfile").write_text("FROM scratch\nCOPY . /\n")
    settings.BUILD_ROOTS = [root]
    settings.DOCKER_CLI = str(STAND_IN)
    plan = tmp_path / "plan.json"
    monkeypatch.setenv("SWARMDECK_TEST_BUILDX_PLAN", str(plan))
    reg = Registry.objects.create(name="lan", base_url=registry.url)
    recipe = BuildRecipe.objects.create(
        name="app", context_path=str(context), registry=reg, repository="build/app",
        tags=["1.0"], platforms=["linux/amd64", "linux/arm64"], builder="multiarch")
    return recipe, context, plan


def expected_argv(job: Job, recipe: BuildRecipe, context: Path, host: str) -> list[str]:
    """Written out by hand: what `docker buildx build` must be called with."""
    return [
        "buildx", "build", "--builder", "multiarch", "--platform", "linux/amd64,linux/arm64",
        "-t", f"{host}/build/app:1.0", "--push", "--progress=rawjson",
        "--metadata-file", f"{settings.DATA_DIR}/jobs/{job.pk}/metadata.json",
        "--file", f"{context.resolve()}/Dockerfile", "--provenance=false",
        str(context.resolve()),
    ]


def write_plan(plan: Path, argv: list[str], fixture: str, exit_code: int = 0,
               digest: str = "") -> None:
    plan.write_text(json.dumps({"argv": argv, "fixtures": str(FIXTURES),
                                "stderr_fixture": fixture, "exit": exit_code,
                                "digest": digest, "delay": 0}))


def test_a_build_pushes_reads_back_and_shows_lanes(build_setup, swarm_engine, registry):
    recipe, context, plan = build_setup
    # What buildx would have pushed, pushed for real by the real engine and CLI.
    base = f"{registry.host}/build/app"
    build_and_push(swarm_engine, f"{base}:1.0-amd64", "linux/amd64")
    build_and_push(swarm_engine, f"{base}:1.0-arm64", "linux/arm64")
    manifest_merge_with_cli(swarm_engine, f"{base}:1.0", f"{base}:1.0-amd64",
                            f"{base}:1.0-arm64")
    job = Job.objects.create(kind="build", params={"recipe": recipe.pk})
    write_plan(plan, expected_argv(job, recipe, context, registry.host),
               "buildx/build_rawjson_push_2platform_v0.36.1.txt", digest="sha256:" + "d" * 64)

    run_job(job.pk)

    job.refresh_from_db()
    assert job.status == "succeeded", log_of(job)
    assert f"pushed {registry.host}/build/app:1.0 for linux/amd64, linux/arm64" in job.outcome
    tag = Tag.objects.get(repository__name="build/app", name="1.0")
    assert tag.platforms == ["linux/amd64", "linux/arm64"]
    assert job.result_url == reverse("swarm:tag", args=[recipe.registry.pk, "build/app", "1.0"])
    lanes = {lane["platform"]: lane for lane in job.progress["lanes"]}
    assert lanes["linux/amd64"]["state"] == lanes["linux/arm64"]["state"] == "done"
    log = log_of(job)
    assert '{"vertexes"' not in log  # progress JSON became readable lines
    assert "[linux/arm64" in log and "DONE" in log


def test_exec_format_error_is_diagnosed_with_the_fix(build_setup, registry):
    recipe, context, plan = build_setup
    job = Job.objects.create(kind="build", params={"recipe": recipe.pk})
    write_plan(plan, expected_argv(job, recipe, context, registry.host),
               "buildx/build_rawjson_fail_exec_format_error_v0.36.1.txt", exit_code=1)

    run_job(job.pk)

    job.refresh_from_db()
    assert job.status == "failed" and job.exit_code == 1
    assert "exec format error" in (job.outcome + job.diagnosis).lower()
    assert "Bootstrap" in job.diagnosis and "linux/s390x" in job.outcome + job.diagnosis
    lanes = {lane["platform"]: lane["state"] for lane in job.progress["lanes"]}
    assert lanes.get("linux/s390x") == "error"


def test_the_stand_in_refuses_any_other_argv(build_setup, registry):
    recipe, context, plan = build_setup
    job = Job.objects.create(kind="build", params={"recipe": recipe.pk})
    argv = expected_argv(job, recipe, context, registry.host)
    write_plan(plan, [a.replace("1.0", "9.9") for a in argv],
               "buildx/build_rawjson_push_2platform_v0.36.1.txt")
    run_job(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and job.exit_code == 99
    assert "UNEXPECTED ARGV" in log_of(job)


def test_an_invalid_recipe_never_starts_a_process(build_setup, tmp_path):
    recipe, _, plan = build_setup
    recipe.context_path = str(tmp_path / "elsewhere")
    recipe.save()
    job = Job.objects.create(kind="build", params={"recipe": recipe.pk})
    run_job(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and "outside the allowed build folders" in job.outcome
    assert "$ " not in log_of(job)  # no command line was ever logged: nothing ran


def test_a_second_build_of_the_same_recipe_is_blocked(client, accounts, build_setup):
    recipe, _, _ = build_setup
    running = Job.objects.create(kind="build", params={"recipe": recipe.pk}, status="running")
    client.force_login(accounts.operator)
    response = client.post(reverse("swarm:recipe-build", args=[recipe.pk]))
    assert response["Location"] == reverse("swarm:job", args=[running.pk])
    assert Job.objects.filter(kind="build").count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("context_path", "/etc", "outside the allowed build folders"),
        ("context_path", "../../etc", ".."),
        ("tags", "--push", "option"),
        ("platforms", "linux/mips", "Select a valid choice"),
        ("extra_platforms", "linux/mips", "unknown platform"),
        ("repository", "Build/App", "uppercase"),
        ("dockerfile", "../Dockerfile", ".."),
        ("builder", "--driver=x", "option"),
        ("build_args", "no-equals", "KEY=VALUE"),
        ("git_url", "--upload-pack=x", "option"),
    ],
)
def test_the_form_rejects_bad_input_next_to_the_field(client, accounts, build_setup, field,
                                                      value, message):
    recipe, context, _ = build_setup
    data = {"name": "new", "context_kind": "local", "context_path": str(context),
            "dockerfile": "Dockerfile", "registry": recipe.registry.pk,
            "repository": "build/new", "tags": "1.0", "platforms": ["linux/amd64"]}
    data[field] = value
    if field == "git_url":
        data["context_kind"] = "git"
    client.force_login(accounts.operator)
    body = client.post(reverse("swarm:recipe-add"), data).content.decode()
    error_field = "platforms" if field == "extra_platforms" else field
    assert message in body.split(f'id="error-{error_field}"', 1)[1].split("</div>", 1)[0]
    assert not BuildRecipe.objects.filter(name="new").exists()
    assert not Job.objects.exists()


def test_the_form_saves_a_good_recipe_with_exact_build_args(client, accounts, build_setup):
    recipe, context, _ = build_setup
    client.force_login(accounts.operator)
    response = client.post(reverse("swarm:recipe-add"), {
        "name": "web", "context_kind": "local", "context_path": str(context),
        "dockerfile": "Dockerfile", "registry": recipe.registry.pk, "repository": "home/web",
        "tags": "1.0, latest", "platforms": ["linux/amd64"], "extra_platforms": "linux/arm/v7",
        "build_args": "GREETING=hello world\nEQ=a=b", "builder": ""})
    saved = BuildRecipe.objects.get(name="web")
    assert response["Location"] == reverse("swarm:recipe", args=[saved.pk])
    assert saved.tags == ["1.0", "latest"]
    assert saved.platforms == ["linux/amd64", "linux/arm/v7"]
    assert saved.build_args == {"GREETING": "hello world", "EQ": "a=b"}
