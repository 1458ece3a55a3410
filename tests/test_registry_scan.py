"""Registry scans against the real registry (Debian docker-registry, distribution 2.8)."""

from __future__ import annotations

import json
import subprocess

import pytest
from django.core.management import call_command

from swarm.models import Job, JobLogLine, Registry, Repository, Tag, TagImage
from tests.components import need_executable
from tests.registry_images import (
    Pusher,
    delete_manifest,
    push_docker_list,
    push_oci_index,
    push_single,
    push_three_platform_index,
)
from tests.run_jobs import scan

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def filled(registry_factory):
    """A registry holding one tag of every kind swarmdeck must read."""
    server = registry_factory()
    pusher = Pusher(server.url)
    pushed = {
        "single": push_single(pusher, "apps/web", "1.0-amd64", "linux/amd64"),
        "single_arm": push_single(pusher, "apps/web", "1.0-arm64", "linux/arm64/v8", oci=True),
        "list": push_docker_list(pusher, "apps/web", "1.0"),
        "buildx": push_oci_index(pusher, "apps/api", "2.3"),
        "three": push_three_platform_index(pusher, "apps/api", "3.0"),
    }
    fallback = pushed["buildx"].digest.replace("sha256:", "sha256-") + ".sig"
    # A signature-style fallback tag pointing at the buildx index (as cosign would push).
    sig = push_single(pusher, "apps/api", fallback, "linux/amd64", salt="sig")
    pushed["sig"] = sig
    return server, pusher, pushed


def make_registry(server, **fields) -> Registry:
    return Registry.objects.create(name=fields.pop("name", "test"), base_url=server.url,
                                   **fields)


def test_it_records_every_kind_with_real_platforms_only(filled):
    server, _, pushed = filled
    registry = make_registry(server)
    job = scan(registry)

    assert job.status == "succeeded", job.outcome
    tags = {f"{t.repository.name}:{t.name}": t for t in Tag.objects.select_related("repository")}
    web, arm, merged = tags["apps/web:1.0-amd64"], tags["apps/web:1.0-arm64"], tags["apps/web:1.0"]
    assert (web.kind, web.platforms, web.digest) == ("docker_manifest", ["linux/amd64"],
                                                     pushed["single"].digest)
    assert (arm.kind, arm.platforms) == ("oci_manifest", ["linux/arm64"])  # v8 normalised
    assert (merged.kind, merged.platforms) == ("docker_list", ["linux/amd64", "linux/arm64"])
    buildx = tags["apps/api:2.3"]
    assert (buildx.kind, buildx.platforms, buildx.attestation_count) == (
        "oci_index", ["linux/amd64", "linux/arm64"], 2)
    assert tags["apps/api:3.0"].platforms == ["linux/amd64", "linux/arm/v7", "linux/arm64"]
    assert web.created is not None and buildx.created is not None

    attestations = TagImage.objects.filter(tag=buildx, is_attestation=True)
    images = {i.digest for i in TagImage.objects.filter(tag=buildx, is_attestation=False)}
    assert attestations.count() == 2
    assert all(a.platform == "" and a.attests in images for a in attestations)
    assert not TagImage.objects.filter(platform__contains="unknown").exists()

    sig = Tag.objects.get(name__startswith="sha256-")
    assert sig.subject_digest == buildx.digest

    registry.refresh_from_db()
    assert (registry.repository_count, registry.tag_count, registry.last_scan_ok) == (2, 6, True)


def test_what_it_records_matches_skopeo(filled):
    skopeo = need_executable("skopeo", "/usr/bin/skopeo", package="skopeo")
    server, _, _ = filled
    registry = make_registry(server)
    scan(registry)
    for tag in Tag.objects.select_related("repository").exclude(name__startswith="sha256-"):
        ref = f"docker://{server.host}/{tag.repository.name}:{tag.name}"
        raw = subprocess.run([skopeo, "inspect", "--raw", "--tls-verify=false", ref],
                             capture_output=True, check=True).stdout
        import hashlib

        assert "sha256:" + hashlib.sha256(raw).hexdigest() == tag.digest, ref
        body = json.loads(raw)
        if "manifests" in body:
            real = {
                "/".join(filter(None, [m["platform"]["os"], m["platform"]["architecture"],
                                       m["platform"].get("variant", "")]))
                for m in body["manifests"] if m["platform"]["architecture"] != "unknown"
            }
            assert {p.replace("arm64/v8", "arm64") for p in real} == set(tag.platforms), ref


def test_a_rescan_with_nothing_changed_costs_one_head_per_tag(filled):
    server, _, _ = filled
    registry = make_registry(server)
    scan(registry)
    before = {t.pk: t.digest for t in Tag.objects.all()}

    job = scan(registry)

    requests = int(job.outcome.split(" requests")[0].rsplit(" ", 1)[1])
    tags = len(before)
    # catalog + one tags/list per repository + one HEAD per tag (the auth discovery of
    # GET /v2/ was learnt by the first scan and is shared within the process)
    assert requests == 1 + 2 + tags, job.outcome
    assert "(0 new or changed)" in job.outcome
    assert {t.pk: t.digest for t in Tag.objects.all()} == before


def test_a_retagged_image_is_noticed_on_rescan(registry_factory):
    server = registry_factory()
    pusher = Pusher(server.url)
    push_single(pusher, "app", "latest", "linux/amd64")
    registry = make_registry(server)
    scan(registry)

    push_docker_list(pusher, "app", "latest")
    job = scan(registry)

    assert "(1 new or changed)" in job.outcome
    assert Tag.objects.get(name="latest").platforms == ["linux/amd64", "linux/arm64"]


def test_a_repository_whose_tags_were_all_deleted_is_kept_empty(registry_factory):
    server = registry_factory()
    pusher = Pusher(server.url)
    image = push_single(pusher, "old", "v1", "linux/amd64")
    delete_manifest(pusher, "old", image.digest)  # tags/list now answers "tags": null
    job = scan(make_registry(server))

    assert job.status == "succeeded", job.outcome
    repo = Repository.objects.get(name="old")
    assert (repo.tag_count, repo.tags.count(), repo.error) == (0, 0, "")


def test_a_failed_scan_keeps_the_previous_inventory(registry_factory):
    server = registry_factory()
    push_single(Pusher(server.url), "app", "v1", "linux/amd64")
    registry = make_registry(server)
    scan(registry)
    server.stop()

    job = scan(registry)

    assert job.status == "failed"
    assert job.outcome.startswith("scan failed: ") and server.host in job.outcome
    assert "previous inventory is kept" in job.diagnosis
    assert Tag.objects.filter(name="v1").exists()
    registry.refresh_from_db()
    assert registry.last_scan_ok is False and server.host in registry.last_error


def test_a_wrong_password_is_explained_and_never_logged(registry_factory):
    server = registry_factory(htpasswd={"deck": "s3cret-pass"})
    push_single(Pusher(server.url, "deck", "s3cret-pass"), "app", "v1", "linux/amd64")
    registry = make_registry(server, username="deck", password="wrong-Pa55word")

    job = scan(registry)

    assert job.status == "failed"
    assert "username or password" in job.outcome.lower()
    texts = " ".join(JobLogLine.objects.filter(job=job).values_list("text", flat=True))
    for secret in ("wrong-Pa55word", "s3cret-pass"):
        assert secret not in texts + job.outcome + job.diagnosis + repr(registry)

    registry.password = "s3cret-pass"
    registry.save()
    assert scan(registry).status == "succeeded"
    assert Tag.objects.get(name="v1").platforms == ["linux/amd64"]


def test_the_cli_scans_a_registry_by_url_and_prints_a_summary(registry_factory, capsys):
    server = registry_factory()
    push_docker_list(Pusher(server.url), "tools/cli", "1.0")

    call_command("scan_registry", server.host)

    out = capsys.readouterr().out
    registry = Registry.objects.get(base_url=server.url)
    assert registry.name == server.host
    assert f"{server.host}: 1 repositories, 1 tags, 2 platform images" in out
    assert "succeeded" in out and "requests" in out


def test_the_cli_rejects_what_is_neither_a_name_nor_a_url():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="neither a known registry name nor a URL"):
        call_command("scan_registry", "ftp://x")


def test_the_schedule_starts_one_scan_per_registry_and_never_a_second(
    registry_factory, django_capture_on_commit_callbacks
):
    from swarm.tasks import scan_all_registries

    server = registry_factory()
    push_single(Pusher(server.url), "app", "v1", "linux/amd64")
    registry = make_registry(server)
    Job.objects.create(kind="registry_scan", params={"registry": registry.pk},
                       status="running")
    assert scan_all_registries() == 0  # one is already running

    Job.objects.update(status="succeeded")
    with django_capture_on_commit_callbacks(execute=True):
        assert scan_all_registries() == 1
    assert Tag.objects.filter(name="v1").exists()


def test_a_tag_deleted_in_the_registry_disappears_on_rescan(registry_factory):
    server = registry_factory()
    pusher = Pusher(server.url)
    keep = push_single(pusher, "app", "keep", "linux/amd64", salt="k")
    gone = push_single(pusher, "app", "gone", "linux/arm64", salt="g")
    registry = make_registry(server)
    scan(registry)
    delete_manifest(pusher, "app", gone.digest)

    job = scan(registry)

    assert job.status == "succeeded"
    assert list(Tag.objects.values_list("name", "digest")) == [("keep", keep.digest)]
    assert Repository.objects.get(name="app").tag_count == 1
