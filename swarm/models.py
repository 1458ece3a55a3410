"""Snapshots of the outside world that pages read, so a page never waits on the engine."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from swarm.node_info import NodeInfo, is_32bit_machine


class Snapshot(models.Model):
    """When a kind of snapshot (nodes, services, ...) was last refreshed, and how it went."""

    kind = models.CharField(max_length=32, unique=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    attempted_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        permissions = [("operate", "Can run jobs and refreshes (operator)")]

    def __str__(self) -> str:
        return f"{self.kind} snapshot"

    @classmethod
    def of(cls, kind: str) -> Snapshot:
        return cls.objects.filter(kind=kind).first() or cls(kind=kind)

    @property
    def ok(self) -> bool:
        return self.refreshed_at is not None and not self.error

    def record_success(self) -> None:
        now = timezone.now()
        self.refreshed_at = now
        self.attempted_at = now
        self.error = ""
        self.save()

    def record_failure(self, message: str) -> None:
        self.attempted_at = timezone.now()
        self.error = message
        self.save()


class SwarmNode(models.Model):
    node_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    role = models.CharField(max_length=16)
    is_leader = models.BooleanField(default=False)
    state = models.CharField(max_length=16)
    availability = models.CharField(max_length=16)
    address = models.CharField(max_length=64, blank=True)
    engine_version = models.CharField(max_length=64, blank=True)
    os = models.CharField(max_length=32, blank=True)
    architecture = models.CharField(max_length=32, blank=True)
    platform = models.CharField(max_length=64, blank=True)
    cpus = models.FloatField(default=0)
    memory_bytes = models.BigIntegerField(default=0)
    labels = models.JSONField(default=dict, blank=True)
    engine_labels = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-role", "hostname"]

    def __str__(self) -> str:
        return self.hostname or self.node_id

    @property
    def is_32bit_os(self) -> bool:
        return is_32bit_machine(self.architecture)

    @classmethod
    def fields_from(cls, info: NodeInfo) -> dict[str, object]:
        return {
            "hostname": info.hostname,
            "role": info.role,
            "is_leader": info.is_leader,
            "state": info.state,
            "availability": info.availability,
            "address": info.address,
            "engine_version": info.engine_version,
            "os": info.os,
            "architecture": info.architecture,
            "platform": info.platform,
            "cpus": info.cpus,
            "memory_bytes": info.memory_bytes,
            "labels": info.labels,
            "engine_labels": info.engine_labels,
            "message": info.message,
        }


class Job(models.Model):
    """One background task (system check, registry scan, merge, build, bootstrap) and its
    outcome. Its output lives in JobLogLine; see swarm/jobs.py for the runner."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        CANCELLED = "cancelled"
        LOST = "lost"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    kind = models.CharField(max_length=32)
    params = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    exit_code = models.IntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=500, blank=True)
    diagnosis = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    worker_host = models.CharField(max_length=255, blank=True)
    worker_pid = models.IntegerField(null=True, blank=True)
    # The process group of the step running now, so a reaper can end what a dead worker
    # left behind (steps run in their own session and outlive a killed worker).
    step_pgid = models.IntegerField(null=True, blank=True)
    last_seq = models.IntegerField(default=0)
    log_truncated = models.BooleanField(default=False)
    # Structured progress a job kind wants to show besides its log (build lanes, ...).
    progress = models.JSONField(default=dict, blank=True)
    # Where the job's result lives, e.g. the tag page of a merge or a build.
    result_url = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status"], name="job_status_idx")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @classmethod
    def active(cls, kind: str, **params: object) -> Job | None:
        """The newest queued or running job of ``kind`` whose parameters include these,
        so a second click joins it instead of starting the same work twice."""
        lookups = {f"params__{key}": value for key, value in params.items()}
        return (cls.objects.filter(kind=kind, status__in=cls.ACTIVE, **lookups)
                .order_by("-pk").first())

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def duration_seconds(self) -> float | None:
        if not self.started_at:
            return None
        end = self.finished_at or timezone.now()
        return max(0.0, (end - self.started_at).total_seconds())


class JobLogLine(models.Model):
    class Stream(models.TextChoices):
        STDOUT = "stdout"
        STDERR = "stderr"
        SYSTEM = "system"

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="lines")
    seq = models.IntegerField()
    stream = models.CharField(max_length=8, choices=Stream.choices)
    text = models.TextField()
    time = models.DateTimeField()

    class Meta:
        ordering = ["job", "seq"]
        # Also the index for "lines of job J after seq N".
        constraints = [
            models.UniqueConstraint(fields=["job", "seq"], name="joblogline_job_seq_unique")
        ]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.seq} {self.text[:60]}"


class Registry(models.Model):
    """A registry swarmdeck reads (and merges into). The password and token are write-only:
    never rendered back, logged, or put in a job log (``__repr__`` leaves them out too)."""

    name = models.CharField(max_length=100, unique=True)
    base_url = models.CharField(
        max_length=255, unique=True, help_text="http://192.168.31.98:5000 (http:// = plain HTTP)"
    )
    username = models.CharField(max_length=150, blank=True)
    password = models.CharField(max_length=500, blank=True)
    token = models.CharField(max_length=4000, blank=True)
    verify_tls = models.BooleanField(default=True, help_text="Off for a self-signed certificate")
    created_at = models.DateTimeField(default=timezone.now)
    last_scan_at = models.DateTimeField(null=True, blank=True)
    last_scan_ok = models.BooleanField(null=True)
    last_error = models.TextField(blank=True)
    api_version = models.CharField(max_length=64, blank=True)
    repository_count = models.IntegerField(default=0)
    tag_count = models.IntegerField(default=0)
    image_count = models.IntegerField(default=0)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "registries"

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<Registry {self.name} {self.base_url}>"

    @property
    def host(self) -> str:
        """``192.168.31.98:5000``: how image references name this registry."""
        return self.base_url.split("://", 1)[-1].rstrip("/")

    @property
    def is_plain_http(self) -> bool:
        return self.base_url.startswith("http://")


class Repository(models.Model):
    registry = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="repositories")
    name = models.CharField(max_length=255)
    tag_count = models.IntegerField(default=0)
    error = models.TextField(blank=True)
    scanned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["registry", "name"], name="repository_unique")
        ]

    def __str__(self) -> str:
        return f"{self.registry.host}/{self.name}"


class Tag(models.Model):
    class Kind(models.TextChoices):
        DOCKER_MANIFEST = "docker_manifest", "Docker manifest"
        OCI_MANIFEST = "oci_manifest", "OCI manifest"
        DOCKER_LIST = "docker_list", "Docker manifest list"
        OCI_INDEX = "oci_index", "OCI index"

    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=128)
    digest = models.CharField(max_length=100)
    media_type = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    size = models.IntegerField(default=0)
    created = models.DateTimeField(null=True, blank=True)
    # Normalised platforms of the real images (attestations excluded), for chips and the
    # compatibility matrix without a query per tag.
    platforms = models.JSONField(default=list, blank=True)
    attestation_count = models.IntegerField(default=0)
    # For OCI referrers fallback tags (sha256-<hex>[.sig|.att|.sbom]): the digest they
    # describe, so they are grouped under that image instead of listed as images.
    subject_digest = models.CharField(max_length=100, blank=True)
    checked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["repository", "name"]
        constraints = [models.UniqueConstraint(fields=["repository", "name"], name="tag_unique")]
        indexes = [models.Index(fields=["digest"], name="tag_digest_idx")]

    def __str__(self) -> str:
        return f"{self.repository}:{self.name}"

    @property
    def is_index(self) -> bool:
        return self.kind in (self.Kind.DOCKER_LIST, self.Kind.OCI_INDEX)


class TagImage(models.Model):
    """One entry of a tag: each child of an index, or the single manifest itself."""

    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="images")
    position = models.IntegerField(default=0)
    digest = models.CharField(max_length=100)
    media_type = models.CharField(max_length=100)
    size = models.IntegerField(default=0)
    platform = models.CharField(max_length=64, blank=True)  # normalised; "" if unknown
    raw_platform = models.CharField(max_length=64, blank=True)  # as the index says
    is_attestation = models.BooleanField(default=False)
    attests = models.CharField(max_length=100, blank=True)  # the image it describes
    created = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["tag", "position"]

    def __str__(self) -> str:
        return f"{self.tag} {self.platform or 'attestation'} {self.digest[:19]}"


class CachedContent(models.Model):
    """Manifests and config blobs by digest: content-addressed, so valid forever."""

    registry = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="cache")
    digest = models.CharField(max_length=100)
    media_type = models.CharField(max_length=100, blank=True)
    data = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["registry", "digest"], name="cached_content_unique")
        ]


class SwarmService(models.Model):
    """A swarm service as the manager reports it (snapshot kind "services")."""

    service_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=255)
    image = models.CharField(max_length=512)  # as in the spec, often pinned: repo:tag@digest
    mode = models.CharField(max_length=32, blank=True)  # replicated, global, ...
    replicas_desired = models.IntegerField(null=True, blank=True)
    replicas_running = models.IntegerField(default=0)
    # Spec.TaskTemplate.Placement.Platforms exactly as stored: [{"OS": .., "Architecture": ..}]
    placement_platforms = models.JSONField(default=list, blank=True)
    constraints = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SwarmTask(models.Model):
    task_id = models.CharField(max_length=64, unique=True)
    service = models.ForeignKey(SwarmService, on_delete=models.CASCADE, related_name="tasks")
    node_id = models.CharField(max_length=64, blank=True)
    slot = models.IntegerField(null=True, blank=True)
    desired_state = models.CharField(max_length=32, blank=True)
    state = models.CharField(max_length=32, blank=True)
    message = models.CharField(max_length=500, blank=True)
    err = models.TextField(blank=True)  # Status.Err, e.g. "no suitable node (unsupported ...)"
    timestamp = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["service", "slot", "-timestamp"]

    def __str__(self) -> str:
        return f"{self.service.name}.{self.slot or self.node_id} {self.state}"


class BuilderRecord(models.Model):
    """A buildx builder (snapshot kind "builders"), parsed from ``buildx ls``/``inspect``."""

    name = models.CharField(max_length=255, unique=True)
    driver = models.CharField(max_length=64, blank=True)
    is_current = models.BooleanField(default=False)
    last_activity = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    # Per node: name, endpoint, status, error, buildkit_version, platforms, user-set
    # platforms, native/emulated split, gc policy, ... (see swarm/buildx_inspect.py).
    nodes = models.JSONField(default=list, blank=True)
    insecure_registries = models.JSONField(default=list, blank=True)
    inspect_text = models.TextField(blank=True)  # the raw text, for the page's details view

    class Meta:
        ordering = ["-is_current", "name"]

    def __str__(self) -> str:
        return self.name


class EmulatorState(models.Model):
    """A QEMU binfmt handler on the build host: seen registered, or gone (they vanish on
    reboot; the builders page warns and offers Bootstrap again)."""

    name = models.CharField(max_length=64, unique=True)  # qemu-aarch64
    platforms = models.JSONField(default=list, blank=True)  # ["linux/arm64"]
    registered = models.BooleanField(default=False)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(null=True, blank=True)
    missing_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BuildRecipe(models.Model):
    """How to build one image for every platform the swarm needs (issue 8)."""

    class ContextKind(models.TextChoices):
        LOCAL = "local", "Local folder"
        GIT = "git", "Git URL"

    name = models.CharField(max_length=100, unique=True)
    context_kind = models.CharField(max_length=8, choices=ContextKind.choices,
                                    default=ContextKind.LOCAL)
    context_path = models.CharField(max_length=1000, blank=True)
    git_url = models.CharField(max_length=1000, blank=True)
    git_ref = models.CharField(max_length=255, blank=True)
    git_subdir = models.CharField(max_length=500, blank=True)
    dockerfile = models.CharField(max_length=500, default="Dockerfile")
    registry = models.ForeignKey(Registry, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="recipes")
    repository = models.CharField(max_length=255)
    tags = models.JSONField(default=list)
    platforms = models.JSONField(default=list)
    builder = models.CharField(max_length=255, blank=True)
    build_args = models.JSONField(default=dict, blank=True)
    provenance = models.BooleanField(default=False)
    no_cache = models.BooleanField(default=False)
    created_by = models.ForeignKey("auth.User", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="recipes")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
