"""Scan a registry in the foreground (the same job the dashboard runs), for cron and scripts.

    python manage.py scan_registry 192.168.31.98:5000      # added if not known yet
    python manage.py scan_registry http://192.168.31.98:5000
    python manage.py scan_registry home                     # by name
"""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from swarm.jobs import run_job
from swarm.models import Job, Registry
from swarm.registry_forms import normalise_registry_url


class Command(BaseCommand):
    help = "Scan a registry's repositories, tags and manifests and print a summary."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("registry", help="a registry name, or its URL (added if unknown)")
        parser.add_argument("--username", default="", help="for a registry added here")
        parser.add_argument("--password-stdin", action="store_true",
                            help="read the password for a registry added here from stdin")
        parser.add_argument("--quiet", action="store_true", help="print only the summary")

    def handle(self, *args: Any, **options: Any) -> None:
        registry = self._registry(options)
        job = Job.objects.create(kind="registry_scan", params={"registry": registry.pk})
        started = time.monotonic()

        def echo(stream: str, text: str) -> None:
            if not options["quiet"]:
                (self.stderr if stream == "stderr" else self.stdout).write(text)

        run_job(job.pk, echo=echo)
        job.refresh_from_db()
        registry.refresh_from_db()
        self.stdout.write(
            f"{registry.name}: {registry.repository_count} repositories, {registry.tag_count} "
            f"tags, {registry.image_count} platform images; job #{job.pk} {job.status} in "
            f"{time.monotonic() - started:.2f} s: {job.outcome}"
        )
        if job.status != Job.Status.SUCCEEDED:
            sys.exit(1)

    def _registry(self, options: dict[str, Any]) -> Registry:
        given = options["registry"].strip()
        found = Registry.objects.filter(name=given).first()
        if found:
            return found
        try:
            url = normalise_registry_url(given)
        except ValueError as error:
            raise CommandError(f"'{given}' is neither a known registry name nor a URL: "
                               f"{error}") from None
        found = Registry.objects.filter(base_url=url).first()
        if found:
            return found
        password = sys.stdin.readline().rstrip("\n") if options["password_stdin"] else ""
        name = url.split("://", 1)[1]
        self.stdout.write(f"adding registry {name} ({url})")
        return Registry.objects.create(name=name, base_url=url, username=options["username"],
                                       password=password)
