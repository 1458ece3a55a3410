"""The builders page (swarm/builder_views.py): what viewers and operators see, Bootstrap,
Refresh, and the warnings (buildx missing, node unreachable, emulation gone)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from swarm.builder_snapshots import BUILDERS, save_builder_states
from swarm.builder_status import BuildxListing, HostFacts, builder_states
from swarm.buildx_failures import BUILDX_MISSING, BUILDX_MISSING_ADVICE
from swarm.buildx_ls import parse_ls_json
from swarm.models import EmulatorState, Job, Registry, Snapshot
from swarm.platforms import Platform
from swarm.templatetags.builder_format import gc_rule, span_text
from tests.replay_docker import REPLAY_DOCKER, ReplayDocker
from tests.shared_fixtures import fixture_text

pytestmark = pytest.mark.django_db

AMD64 = Platform.parse("linux/amd64")


def store(name: str) -> None:
    listing = BuildxListing(builders=parse_ls_json(fixture_text(name)))
    save_builder_states(builder_states(listing, HostFacts(engine_platform=AMD64,
                                                          emulators=("qemu-aarch64",))))
    Snapshot.of(BUILDERS).record_success()


def page(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("swarm:builders"))
    assert response.status_code == 200
    return response.content.decode()


def test_a_viewer_sees_builders_nodes_and_the_native_emulated_split(client, accounts):
    store("buildx/ls_format_json_v0.36.1.jsonl")
    html = page(client, accounts.viewer)

    assert 'data-builder="multiarch"' in html and 'id="current-builder"' in html
    assert "docker-container" in html and "v0.32.2" in html
    assert 'title="emulated through qemu-aarch64">arm64</span>' in html
    assert 'title="32-bit compat mode of the CPU">386</span>' in html
    assert "127.0.0.1:5000" in html
    assert "source.local, exec.cachemount, source.git.checkout: kept 2 days, at most 488.3 MiB" \
        in html
    assert 'id="refresh-builders"' not in html and 'id="bootstrap"' not in html
    assert f'href="{reverse("swarm:builders")}" aria-current="page">Builders</a>' in html


def test_an_unreachable_node_is_shown_with_what_to_do(client, accounts):
    store("generated/ls_json_buildx-v0.36.stdout.jsonl")
    html = page(client, accounts.viewer)

    assert ">unreachable</span>" in html
    assert "No route to host" in html and "ssh pi@192.168.1.20 docker version" in html


def test_missing_buildx_is_named_with_the_package_to_install(client, accounts):
    Snapshot.of(BUILDERS).record_failure(f"{BUILDX_MISSING}. {BUILDX_MISSING_ADVICE}")
    html = page(client, accounts.viewer)
    assert "buildx plugin not found: install docker-buildx-plugin" in html
    assert "No builders yet" not in html


def test_a_builder_without_config_for_a_known_http_registry_is_flagged(client, accounts):
    store("buildx/ls_format_json_v0.36.1.jsonl")
    Registry.objects.create(name="lan", base_url="http://192.168.1.10:5000")
    Registry.objects.create(name="hub", base_url="https://registry.example.com")
    html = page(client, accounts.viewer)
    assert "not for 192.168.1.10:5000" in html
    assert "registry.example.com" not in html
    assert html.count("missing-registries") == 1  # only the docker-container builder


def test_gone_emulators_warn_and_operators_get_bootstrap_again(client, accounts):
    EmulatorState.objects.create(name="qemu-aarch64", platforms=["linux/arm64"],
                                 registered=False,
                                 missing_since=timezone.now() - timedelta(minutes=5))
    EmulatorState.objects.create(name="qemu-arm", platforms=["linux/arm/v7"], registered=True)
    viewer_html = page(client, accounts.viewer)
    assert 'id="emulation-warning"' in viewer_html
    assert "qemu-aarch64</span> (linux/arm64, gone 5 min ago)" in viewer_html
    assert "Ask an operator" in viewer_html and 'id="bootstrap-again"' not in viewer_html

    operator_html = page(client, accounts.operator)
    assert '<button class="primary" type="submit" form="bootstrap-form" id="bootstrap-again">' \
        in operator_html
    assert 'id="bootstrap-form"' in operator_html


def test_no_warning_while_every_emulator_seen_is_still_there(client, accounts):
    EmulatorState.objects.create(name="qemu-arm", platforms=["linux/arm/v7"], registered=True)
    assert 'id="emulation-warning"' not in page(client, accounts.viewer)


def test_one_click_starts_bootstrap_with_the_defaults(client, accounts,
                                                      django_capture_on_commit_callbacks):
    client.force_login(accounts.operator)
    response = client.post(reverse("swarm:bootstrap"), {"use": "on"})

    job = Job.objects.get()
    assert response["Location"] == reverse("swarm:job", args=[job.pk])
    assert (job.kind, job.created_by) == ("bootstrap", accounts.operator)
    assert job.params == {"builder": "multiarch", "image": "tonistiigi/binfmt",
                          "platforms": "all", "use": True, "recreate": False,
                          "append_endpoint": "", "append_node": ""}


def test_options_reach_the_job(client, accounts):
    client.force_login(accounts.operator)
    client.post(reverse("swarm:bootstrap"), {
        "builder": "homelab", "platforms": "arm64", "recreate": "on",
        "append_endpoint": "ssh://pi@192.168.1.20", "append_node": "pi"})
    params = Job.objects.get().params
    assert (params["builder"], params["platforms"], params["use"], params["recreate"]) == (
        "homelab", "arm64", False, True)
    assert (params["append_endpoint"], params["append_node"]) == ("ssh://pi@192.168.1.20", "pi")


def test_bad_options_show_the_form_again_with_the_reason(client, accounts):
    client.force_login(accounts.operator)
    response = client.post(reverse("swarm:bootstrap"), {"builder": "--rm", "use": "on"})
    assert response.status_code == 400
    assert "invalid builder name &#x27;--rm&#x27;" in response.content.decode()
    assert not Job.objects.exists()


def test_a_running_bootstrap_is_not_started_twice(client, accounts):
    running = Job.objects.create(kind="bootstrap", status="running")
    client.force_login(accounts.operator)
    response = client.post(reverse("swarm:bootstrap"), {"use": "on"})
    assert response["Location"] == reverse("swarm:job", args=[running.pk])
    assert Job.objects.count() == 1


def test_viewers_cannot_bootstrap_or_refresh(client, accounts):
    client.force_login(accounts.viewer)
    assert client.post(reverse("swarm:bootstrap")).status_code == 403
    assert client.post(reverse("swarm:builders-refresh")).status_code == 403
    assert not Job.objects.exists()


@pytest.mark.parametrize("name", ["swarm:builders", "swarm:builders-panel"])
def test_anonymous_visitors_are_sent_to_log_in(client, name):
    assert client.get(reverse(name))["Location"].startswith("/login/")


def test_refresh_runs_the_refresh_task_and_the_panel_waits_for_it(
    client, accounts, settings, monkeypatch, tmp_path, django_capture_on_commit_callbacks
):
    stand_in = ReplayDocker(tmp_path / "replay", builders=["default", "multiarch"]).write()
    settings.DOCKER_CLI = str(REPLAY_DOCKER)
    settings.BINFMT_MISC_DIR = tmp_path / "no-binfmt"
    monkeypatch.setenv("REPLAY_DOCKER_STATE", str(stand_in.folder))
    client.force_login(accounts.operator)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("swarm:builders-refresh"), HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert "refresh requested" in html and "load delay:1s" in html
    assert stand_in.calls() == [["buildx", "ls", "--format", "json"]]
    panel = client.get(reverse("swarm:builders-panel")).content.decode()
    assert 'data-builder="multiarch"' in panel and "As of" in panel


@pytest.mark.parametrize("seconds, text", [
    (172800, "2 days"), (86400, "1 day"), (5184000, "60 days"), (90000, "25 h"),
    (5400, "90 min"), (45, "45 s"), (1_000_000, "12 days")])
def test_keep_durations_read_as_days_hours_or_minutes(seconds, text):
    assert span_text(seconds) == text


def test_gc_rules_read_as_a_sentence():
    assert gc_rule({"all": True, "filters": [], "reserved_space": 10_000_000_000,
                    "max_used_space": 100_000_000_000, "min_free_space": 51_000_000_000}) == (
        "everything: reserves 9.3 GiB, at most 93.1 GiB, leaves 47.5 GiB free")
    assert gc_rule({"all": False, "filters": [
        "type==source.local,type==exec.cachemount"], "keep_bytes": 10_000_000_000}) == (
        "source.local,exec.cachemount: keeps 9.3 GiB")
    assert gc_rule({"all": False}) == "unused build cache: no limit"
