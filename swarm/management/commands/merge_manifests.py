"""Merge per-arch images into one multi-platform tag from the command line: the same job
the dashboard runs, its log printed as it goes.

    python manage.py merge_manifests 192.168.31.98:5000/nginx:1.29.0 \\
        192.168.31.98:5000/nginx:1.29.0-amd64 192.168.31.98:5000/nginx:1.29.0-arm64
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from swarm.jobs import run_job
from swarm.models import Job, Registry
from swarm.references import parse_reference


class Command(BaseCommand):
    help = "Merge images into one multi-platform tag (through the registry API) and verify it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("target", help="[registry/]repository:tag to create or update")
        parser.add_argument("sources", nargs="+", help="[registry/]repository:tag or @digest")
        parser.add_argument("--registry", help="the registry's name in swarmdeck (default: "
                            "the one the references name, or the only one known)")
        parser.add_argument("--drop-attestations", action="store_true")
        parser.add_argument("--dry-run", action="store_true", help="plan and print, push nothing")
        parser.add_argument("--prefer", action="append", default=[], metavar="PLATFORM=SOURCE",
                            help="which source wins a platform both provide")

    def handle(self, *args: Any, **options: Any) -> None:
        if len(options["sources"]) < 2:
            raise CommandError("give at least two sources")
        registry = self._registry(options["registry"], options["target"])
        prefer = {}
        for item in options["prefer"]:
            platform, _, source = item.partition("=")
            if not source:
                raise CommandError(f"--prefer takes PLATFORM=SOURCE, got '{item}'")
            prefer[platform] = source
        job = Job.objects.create(kind="merge", params={
            "registry": registry.pk, "target": options["target"],
            "sources": options["sources"], "keep_attestations": not options["drop_attestations"],
            "dry_run": options["dry_run"], "prefer": prefer,
        })

        def echo(stream: str, text: str) -> None:
            (self.stderr if stream == "stderr" else self.stdout).write(text)

        run_job(job.pk, echo=echo)
        job.refresh_from_db()
        if job.status != Job.Status.SUCCEEDED:
            if job.diagnosis:
                self.stderr.write(job.diagnosis)
            sys.exit(1)

    def _registry(self, name: str | None, target: str) -> Registry:
        if name:
            try:
                return Registry.objects.get(name=name)
            except Registry.DoesNotExist:
                raise CommandError(f"no registry named '{name}' (add it in the dashboard, or "
                                   "scan it once with scan_registry URL)") from None
        try:
            host = parse_reference(target).registry
        except ValueError as error:
            raise CommandError(f"target: {error}") from None
        for registry in Registry.objects.all():
            if host and registry.host.lower() == host.lower():
                return registry
        known = list(Registry.objects.all()[:2])
        if not host and len(known) == 1:
            return known[0]
        raise CommandError(
            f"which registry? '{host or target}' is not a known registry: name it with "
            "--registry, or add it first (manage.py scan_registry URL)"
        )
