"""The Bootstrap job, step by step, against the stand-in docker that replays the buildx and
binfmt fixtures (tests/bin/replay-docker), and against the real Debian CLI and engine
where they can run a step for real."""

from __future__ import annotations

import pytest

from swarm.bootstrap_plan import RECREATE_ADVICE
from swarm.buildx_failures import BUILDX_MISSING
from swarm.jobs import run_job
from swarm.models import EmulatorState, Job, JobLogLine, Registry
from tests.engine import DEBIAN_DOCKER
from tests.replay_docker import REPLAY_DOCKER, ReplayDocker
from tests.shared_fixtures import fixture_text

pytestmark = pytest.mark.django_db

VERSION = ["buildx", "version"]
STATUS = ["run", "--rm", "--privileged", "tonistiigi/binfmt"]
INSTALL_ALL = [*STATUS, "--install", "all"]
STEPS = ["==> Check buildx", "==> Check emulation on the build host",
         "==> Write buildkitd.toml", "==> Create the builder", "==> Bootstrap the builder",
         "==> Summary"]


@pytest.fixture
def replay(settings, monkeypatch, tmp_path, use_engine):
    """The stand-in docker, a data folder of this test's own, the real engine's platform."""
    settings.DATA_DIR = tmp_path / "data"

    def make(**options: object) -> ReplayDocker:
        stand_in = ReplayDocker(tmp_path / "replay", config_dir=settings.DATA_DIR / "buildkitd",
                                **options).write()  # type: ignore[arg-type]
        settings.DOCKER_CLI = str(REPLAY_DOCKER)
        monkeypatch.setenv("REPLAY_DOCKER_STATE", str(stand_in.folder))
        return stand_in

    return make


@pytest.fixture
def local_registry(db):
    return Registry.objects.create(name="local", base_url="http://127.0.0.1:5000")


def bootstrap(**params: object) -> Job:
    job = Job.objects.create(kind="bootstrap", params=params)
    run_job(job.pk)
    job.refresh_from_db()
    return job


def log(job: Job) -> list[str]:
    return list(JobLogLine.objects.filter(job=job).values_list("text", flat=True))


def config_path(settings, name: str = "multiarch") -> str:
    return str(settings.DATA_DIR / "buildkitd" / f"{name}.toml")


def test_a_fresh_host_gets_emulators_config_and_a_started_builder(
    replay, local_registry, settings
):
    stand_in = replay()
    job = bootstrap()

    assert job.status == "succeeded", job.outcome
    assert stand_in.calls() == [
        VERSION, STATUS, INSTALL_ALL,
        ["buildx", "inspect", "multiarch"],
        ["buildx", "create", "--name", "multiarch", "--driver", "docker-container",
         "--config", config_path(settings), "--use"],
        ["buildx", "inspect", "--bootstrap", "multiarch"],
    ]
    assert job.outcome == (
        "builder multiarch ready: native amd64, amd64/v2, amd64/v3, amd64/v4, 386; "
        "emulated arm64, arm/v7, arm/v6 (installed emulators for arm64, arm/v7, arm/v6, "
        "s390x, ppc64le, riscv64, mips64le, mips64, loong64; wrote buildkitd.toml; "
        "created builder multiarch)")
    assert job.result_url == "/builders/"
    lines = log(job)
    assert [line for line in lines if line.startswith("==> ")][:6] == STEPS
    assert "multiarch0 (unix:///var/run/docker.sock, linux/amd64): native linux/amd64, " \
           "linux/amd64/v2, linux/amd64/v3, linux/amd64/v4, linux/386; emulated linux/arm64 " \
           "via qemu-aarch64, linux/arm/v7 via qemu-arm, linux/arm/v6 via qemu-arm" in lines
    with open(config_path(settings)) as config:
        assert config.read() == '[registry."127.0.0.1:5000"]\n  http = true\n  insecure = true\n'
    assert set(EmulatorState.objects.filter(registered=True).values_list("name", flat=True)) \
        >= {"qemu-aarch64", "qemu-arm"}


def test_a_second_run_changes_nothing_and_says_so(replay, local_registry, settings):
    stand_in = replay()
    assert bootstrap().status == "succeeded"
    written = (settings.DATA_DIR / "buildkitd" / "multiarch.toml").stat().st_mtime_ns
    stand_in.clear_calls()

    job = bootstrap()

    assert job.status == "succeeded"
    assert job.outcome.startswith("nothing changed: builder multiarch was already set up; "
                                  "native amd64, amd64/v2")
    assert stand_in.calls() == [VERSION, STATUS, ["buildx", "inspect", "multiarch"],
                                ["buildx", "inspect", "--bootstrap", "multiarch"]]
    assert (settings.DATA_DIR / "buildkitd" / "multiarch.toml").stat().st_mtime_ns == written
    lines = log(job)
    assert any("nothing to install" in line for line in lines)
    assert any(line.endswith("multiarch.toml is up to date: unchanged") for line in lines)
    assert "builder multiarch already exists with this config: kept" in lines


def test_an_engine_that_refuses_privileged_containers_is_explained(replay, local_registry):
    stand_in = replay(faults=["binfmt-unprivileged"])
    job = bootstrap()

    assert (job.status, job.exit_code) == ("failed", 125)
    assert job.outcome == "the binfmt installer needs a privileged container"
    assert "docker run --privileged" in job.diagnosis
    assert "privileged mode is incompatible with user namespaces" in job.diagnosis
    assert stand_in.calls() == [VERSION, STATUS, INSTALL_ALL]


def test_install_errors_are_caught_though_binfmt_exits_zero(replay, local_registry):
    stand_in = replay(faults=["binfmt-install-errors"])
    job = bootstrap(platforms="arm64,arm")

    assert job.status == "failed"
    assert stand_in.calls()[-1] == [*STATUS, "--install", "arm64,arm"]
    assert job.outcome.startswith("emulator install failed (binfmt_misc refused it): arm: "
                                  'cannot register "/usr/bin/qemu-arm"')
    assert "sparc64: unsupported architecture" in job.outcome
    assert "privileged container" in job.diagnosis


def test_a_builder_made_elsewhere_is_only_recreated_when_confirmed(replay, local_registry):
    stand_in = replay(builders=["default", "multiarch"], old_builders=["multiarch"],
                      emulators=True)
    job = bootstrap()

    assert job.status == "failed"
    assert job.outcome == ("builder multiarch exists but buildkitd.toml changed since the "
                           "builder was created")
    assert job.diagnosis == RECREATE_ADVICE
    assert ["buildx", "rm", "multiarch"] not in stand_in.calls()


def test_a_confirmed_recreate_removes_and_creates_the_builder(replay, local_registry, settings):
    stand_in = replay(builders=["default", "multiarch"], old_builders=["multiarch"],
                      emulators=True)
    job = bootstrap(recreate=True, use=False)

    assert job.status == "succeeded", job.outcome
    assert stand_in.calls()[2:] == [
        ["buildx", "inspect", "multiarch"],
        ["buildx", "rm", "multiarch"],
        ["buildx", "create", "--name", "multiarch", "--driver", "docker-container",
         "--config", config_path(settings)],
        ["buildx", "inspect", "--bootstrap", "multiarch"],
    ]
    assert "recreated builder multiarch" in job.outcome


@pytest.fixture
def lan_registry(db):
    return Registry.objects.create(name="lan", base_url="http://192.168.1.10:5000")


def test_a_pi_node_is_appended_for_native_arm_builds(replay, lan_registry, settings):
    stand_in = replay(world="homelab", emulators=True)
    job = bootstrap(builder="homelab", append_endpoint="ssh://pi@192.168.1.20")

    assert job.status == "succeeded", job.outcome
    assert stand_in.calls()[2:] == [
        ["buildx", "inspect", "homelab"],
        ["buildx", "create", "--name", "homelab", "--driver", "docker-container",
         "--config", config_path(settings, "homelab"), "--use"],
        ["buildx", "create", "--append", "--name", "homelab", "--node", "homelab1",
         "ssh://pi@192.168.1.20"],
        ["buildx", "inspect", "--bootstrap", "homelab"],
    ]
    assert job.outcome.startswith("builder homelab ready: native amd64, amd64/v2, amd64/v3, "
                                  "386, arm64, arm/v7, arm/v6; emulated none")
    assert "appended node homelab1 (ssh://pi@192.168.1.20)" in job.outcome

    stand_in.clear_calls()
    again = bootstrap(builder="homelab", append_endpoint="ssh://pi@192.168.1.20")
    assert again.outcome.startswith("nothing changed")
    assert stand_in.calls()[-1] == ["buildx", "inspect", "--bootstrap", "homelab"]
    assert not any("--append" in call for call in stand_in.calls())


def test_an_unreachable_pi_fails_the_job_with_what_to_do(replay, lan_registry):
    stand_in = replay(world="homelab", emulators=True, builders=["default", "homelab"],
                      appended=["homelab1"], faults=["pi-unreachable"])
    stand_in.config_dir.mkdir(parents=True)  # the config the builder was created with
    (stand_in.config_dir / "homelab.toml").write_text(fixture_text("generated/buildkitd.toml"))
    job = bootstrap(builder="homelab", append_endpoint="ssh://pi@192.168.1.20")

    assert job.status == "failed"
    assert job.outcome.startswith(
        "builder homelab: node homelab1 (ssh://pi@192.168.1.20) is unreachable: error during "
        "connect")
    assert "ssh pi@192.168.1.20 docker version" in job.diagnosis
    assert "Buildable now: nothing changed" in job.diagnosis
    assert "==> Summary" in log(job)


def test_a_builder_that_cannot_pull_buildkit_says_so(replay, local_registry):
    replay(emulators=True, faults=["buildkit-pull-fails"])
    job = bootstrap()

    assert (job.status, job.exit_code) == ("failed", 1)
    assert job.outcome.startswith("could not start builder multiarch: ERROR: failed to "
                                  "initialize builder multiarch")
    assert "could not pull moby/buildkit" in job.diagnosis


def test_bad_parameters_fail_before_any_command(replay):
    stand_in = replay()
    job = bootstrap(builder="--rm")

    assert job.status == "failed"
    assert job.outcome.startswith("invalid parameters: invalid builder name '--rm'")
    assert stand_in.calls() == []


def test_without_buildx_the_real_cli_fails_the_first_step_clearly(use_engine, settings):
    settings.DOCKER_CLI = DEBIAN_DOCKER
    job = bootstrap()

    assert (job.status, job.exit_code) == ("failed", 1)
    assert job.outcome == BUILDX_MISSING
    assert "docker-buildx-plugin" in job.diagnosis
    assert "'buildx' is not a docker command." in " ".join(log(job))


def test_without_a_docker_cli_the_job_says_which_was_missing(settings):
    settings.DOCKER_CLI = "/nonexistent/docker"
    job = bootstrap()

    assert (job.status, job.exit_code, job.outcome) == (
        "failed", 127, "docker CLI not found (/nonexistent/docker)")
