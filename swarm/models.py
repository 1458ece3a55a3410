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
