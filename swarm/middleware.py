"""Signed-in users without a role see a page that says so, not the dashboard."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from swarm.roles import can_view_jobs

# Reachable without a role: logging out, the admin site (an admin may have no group).
OPEN_PREFIXES = ("/logout/", "/login/", "/admin/", "/static/")


class RoleRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated and not can_view_jobs(user)
                and not request.path.startswith(OPEN_PREFIXES)):
            return render(request, "no_role.html", status=403)
        return self.get_response(request)
