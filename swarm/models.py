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

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status"], name="job_status_idx")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

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
