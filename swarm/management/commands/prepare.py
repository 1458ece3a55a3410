"""Make the installation ready: database, roles, an admin account, schedules.

Safe to run at every start. The admin password is generated and printed only when no
superuser exists yet; it is never stored anywhere but in the password hash.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from swarm.roles import OPERATORS, ensure_roles
from swarm.tasks import ensure_schedules


class Command(BaseCommand):
    help = "Migrate, create roles and schedules, and make sure an admin account exists."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--username", default="admin")

    def handle(self, *args: object, username: str, **options: object) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        ensure_roles()
        ensure_schedules()
        self._ensure_admin(username)

    def _ensure_admin(self, username: str) -> None:
        users = get_user_model()
        if users.objects.filter(is_superuser=True).exists():
            self.stdout.write("Admin account exists; log in with it at "
                              f"http://{settings.HOST}:{settings.PORT}/")
            return
        password = secrets.token_urlsafe(12)
        admin = users.objects.create_superuser(username=username, email="", password=password)
        from django.contrib.auth.models import Group

        admin.groups.add(Group.objects.get(name=OPERATORS))
        bar = "=" * 64
        self.stdout.write(
            f"\n{bar}\n swarmdeck admin account created (shown only this once)\n"
            f"   URL:      http://{settings.HOST}:{settings.PORT}/\n"
            f"   username: {username}\n   password: {password}\n"
            f" Change it later with: .venv/bin/python manage.py changepassword {username}\n"
            f"{bar}\n"
        )
