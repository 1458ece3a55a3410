"""The merge job against the real registry, checked with the real docker CLI, skopeo and
the real engine pulling and running the result under QEMU."""

from __future__ import annotations

import json
import subprocess

import pytest

from swarm.models import Job, Registry, Tag
from tests.components import need_executable
from tests.engine_images import build_and_push
from tests.registry_images import Pusher, push_oci_index, push_single
from tests.run_jobs import log_of, run
from tests.token_issuer import TokenIssuer

pytestmark = pytest.mark.django_db


def merge(registry: Registry, target: str, *sources: str, **params: object) -> Job:
    return run("merge", registry=registry.pk, target=target, sources=list(sources), **params)


def skopeo_raw(server, ref: str) -> dict:
    skopeo = need_executable("skopeo", "/usr/bin/skopeo", package="skopeo")
    out = subprocess.run([skopeo, "inspect", "--raw", "--tls-verify=false",
                          f"docker://{server.host}/{ref}"], capture_output=True, check=True)
    return json.loads(out.stdout)


def platforms_of(index: dict) -> list[str]:
    return sorted("/".join(filter(None, [m["platform"]["os"], m["platform"]["architecture"],
                                         m["platform"].get("variant")]))
                  for m in index["manifests"] if m["platform"]["architecture"] != "unknown")


def test_the_classic_merge_of_engine_built_per_arch_tags_pulls_and_runs_on_both(
    swarm_engine, registry, qemu_arm64, busybox_arm64
):
    base = f"{registry.host}/classic/nginx"
    build_and_push(swarm_engine, f"{base}:1.29.0-amd64", "linux/amd64")
    build_and_push(swarm_engine, f"{base}:1.29.0-arm64", "linux/arm64", busybox=busybox_arm64)
    reg = Registry.objects.create(name="lan", base_url=registry.url)

    job = merge(reg, "classic/nginx:1.29.0", "classic/nginx:1.29.0-amd64",
                f"{base}:1.29.0-arm64")

    assert job.status == "succeeded", log_of(job)
    assert "is now a Docker manifest list of linux/amd64, linux/arm64" in job.outcome
    assert job.result_url == f"/registries/{reg.pk}/tags/classic/nginx:1.29.0/"
    tag = Tag.objects.get(repository__name="classic/nginx", name="1.29.0")
    assert tag.platforms == ["linux/amd64", "linux/arm64"] and tag.kind == "docker_list"
    # Independent checks of what was pushed.
    inspected = json.loads(swarm_engine.docker("manifest", "inspect", "--insecure",
                                               f"{base}:1.29.0").stdout)
    assert platforms_of(inspected) == ["linux/amd64", "linux/arm64"]
    assert platforms_of(skopeo_raw(registry, "classic/nginx:1.29.0")) == [
        "linux/amd64", "linux/arm64"]
    # The engine pulls the right child for each platform and runs it (arm64 under QEMU).
    for platform, machine in (("linux/amd64", "x86_64"), ("linux/arm64", "aarch64")):
        run = swarm_engine.docker("run", "--rm", "--pull", "always", "--platform", platform,
                                  f"{base}:1.29.0", "uname", "-m")
        assert run.stdout.strip() == machine


def test_merging_twice_gives_the_same_digest_and_no_error(registry_factory):
    server = registry_factory()
    pusher = Pusher(server.url)
    push_single(pusher, "app", "1-amd64", "linux/amd64")
    push_single(pusher, "app", "1-arm64", "linux/arm64")
    reg = Registry.objects.create(name="r", base_url=server.url)

    first = merge(reg, "app:1", "app:1-amd64", "app:1-arm64")
    second = merge(reg, "app:1", "app:1-arm64", "app:1-amd64")  # order does not matter

    assert first.status == second.status == "succeeded"
    assert first.outcome.rsplit("(", 1)[1] == second.outcome.rsplit("(", 1)[1]


def test_sources_in_other_repositories_are_copied_into_the_target(registry_factory):
    server = registry_factory()
    pusher = Pusher(server.url)
    push_single(pusher, "builds/amd", "v2", "linux/amd64")
    push_single(pusher, "builds/arm", "v2", "linux/arm/v7")
    reg = Registry.objects.create(name="r", base_url=server.url)

    job = merge(reg, "release/app:v2", "builds/amd:v2", "builds/arm:v2")

    assert job.status == "succeeded", log_of(job)
    text = log_of(job)
    assert "mounting 4 blob(s) into release/app" in text
    assert text.count("copied child manifest") == 2
    assert platforms_of(skopeo_raw(server, "release/app:v2")) == ["linux/amd64", "linux/arm/v7"]


def test_buildx_indexes_are_flattened_with_their_attestations(registry_factory):
    server = registry_factory()
    pusher = Pusher(server.url)
    push_oci_index(pusher, "web", "amd", ("linux/amd64",))
    push_oci_index(pusher, "web", "arm", ("linux/arm64",))
    reg = Registry.objects.create(name="r", base_url=server.url)

    kept = merge(reg, "web:all", "web:amd", "web:arm")
    dropped = merge(reg, "web:slim", "web:amd", "web:arm", keep_attestations=False)

    assert kept.status == dropped.status == "succeeded"
    assert "OCI index of linux/amd64, linux/arm64" in kept.outcome
    full = skopeo_raw(server, "web:all")
    assert len(full["manifests"]) == 4 and platforms_of(full) == ["linux/amd64", "linux/arm64"]
    assert Tag.objects.get(name="all").attestation_count == 2
    assert len(skopeo_raw(server, "web:slim")["manifests"]) == 2


def test_a_three_platform_merge(registry_factory):
    server = registry_factory()
    pusher = Pusher(server.url)
    for platform in ("linux/amd64", "linux/arm64", "linux/arm/v7"):
        push_single(pusher, "tri", platform.replace("/", "-"), platform)
    reg = Registry.objects.create(name="r", base_url=server.url)

    job = merge(reg, "tri:1", "tri:linux-amd64", "tri:linux-arm64", "tri:linux-arm-v7")

    assert job.status == "succeeded"
    assert Tag.objects.get(name="1").platforms == ["linux/amd64", "linux/arm/v7", "linux/arm64"]


def test_a_platform_conflict_names_both_sources_unless_one_is_preferred(registry_factory):
    server = registry_factory()
    pusher = Pusher(server.url)
    push_single(pusher, "app", "a", "linux/amd64", salt="a")
    push_single(pusher, "app", "b", "linux/amd64", salt="b")
    push_single(pusher, "app", "c", "linux/arm64")
    reg = Registry.objects.create(name="r", base_url=server.url)

    conflict = merge(reg, "app:x", "app:a", "app:b", "app:c")
    assert conflict.status == "failed"
    assert "linux/amd64" in conflict.outcome and "'app:a'" in conflict.outcome
    assert "'app:b'" in conflict.outcome
    assert not Tag.objects.filter(name="x").exists()

    chosen = merge(reg, "app:x", "app:a", "app:b", "app:c", prefer={"linux/amd64": "app:b"})
    assert chosen.status == "succeeded", chosen.outcome


def test_a_missing_source_fails_clearly_and_pushes_nothing(registry_factory):
    server = registry_factory()
    push_single(Pusher(server.url), "app", "amd", "linux/amd64")
    reg = Registry.objects.create(name="r", base_url=server.url)

    job = merge(reg, "app:1", "app:amd", "app:nope")

    assert job.status == "failed"
    assert "source 'app:nope' not found" in job.outcome
    assert "does not exist" in job.diagnosis


def test_sources_on_another_registry_are_refused(registry_factory):
    server = registry_factory()
    reg = Registry.objects.create(name="r", base_url=server.url)
    job = merge(reg, "app:1", "app:amd", "docker.io/library/nginx:1.29.0")
    assert job.status == "failed"
    assert "is on registry 'docker.io'" in job.outcome and "push it there first" in job.outcome


def test_an_unauthorised_push_is_explained(registry_factory):
    issuer = TokenIssuer({"alice": "pw-alice", "reader": "pw-reader"},
                         grants={"reader": {"pull"}})
    issuer.start()
    try:
        server = registry_factory(token_auth=issuer.registry_config())
        pusher = Pusher(server.url, "alice", "pw-alice")
        push_single(pusher, "app", "amd", "linux/amd64")
        push_single(pusher, "app", "arm", "linux/arm64")
        reg = Registry.objects.create(name="r", base_url=server.url, username="reader",
                                      password="pw-reader")

        job = merge(reg, "app:1", "app:amd", "app:arm")
    finally:
        issuer.stop()

    assert job.status == "failed"
    assert "merge failed" in job.outcome
    assert "push on the target" in job.diagnosis
    assert "pw-reader" not in log_of(job) + job.outcome


def test_a_dry_run_plans_without_pushing(registry_factory):
    server = registry_factory()
    pusher = Pusher(server.url)
    push_single(pusher, "app", "amd", "linux/amd64")
    push_single(pusher, "app", "arm", "linux/arm64")
    reg = Registry.objects.create(name="r", base_url=server.url)

    job = merge(reg, "app:1", "app:amd", "app:arm", dry_run=True)

    assert job.status == "succeeded" and "would be a Docker manifest list" in job.outcome
    result = subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false",
                             f"docker://{server.host}/app:1"], capture_output=True)
    assert result.returncode != 0  # nothing was pushed


def test_a_merge_never_drops_a_platform_the_target_already_has(registry_factory):
    from tests.registry_images import push_docker_list

    server = registry_factory()
    pusher = Pusher(server.url)
    push_docker_list(pusher, "app", "1.0", ("linux/amd64", "linux/s390x"))
    push_single(pusher, "app", "1.0-amd64", "linux/amd64")
    push_single(pusher, "app", "1.0-arm64", "linux/arm64")
    reg = Registry.objects.create(name="r", base_url=server.url)

    job = merge(reg, "app:1.0", "app:1.0-amd64", "app:1.0-arm64")

    assert job.status == "failed"
    assert "would drop" in job.outcome and "linux/s390x" in job.outcome
    assert platforms_of(skopeo_raw(server, "app:1.0")) == ["linux/amd64", "linux/s390x"]


def test_the_target_cannot_be_one_of_its_sources(registry_factory):
    server = registry_factory()
    reg = Registry.objects.create(name="r", base_url=server.url)
    job = merge(reg, "app:1.0-amd64", "app:1.0-amd64", "app:1.0-arm64")
    assert job.status == "failed" and "is also a source" in job.outcome
