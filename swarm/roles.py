"""Two roles: viewers look, operators also run jobs. Both are Django groups."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

VIEWERS = "viewers"
OPERATORS = "operators"
OPERATE_PERMISSION = "swarm.operate"
VIEW_JOB_PERMISSION = "swarm.view_job"


def is_operator(user: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(user.is_authenticated and user.has_perm(OPERATE_PERMISSION))


def can_view_jobs(user: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(user.is_authenticated and user.has_perm(VIEW_JOB_PERMISSION))


def ensure_roles() -> None:
    """Create both groups: viewers may read job logs, operators may also run jobs."""
    swarm_perms = Permission.objects.filter(content_type__app_label="swarm")
    view_job = swarm_perms.get(codename="view_job")
    viewers, _ = Group.objects.get_or_create(name=VIEWERS)
    viewers.permissions.add(view_job)
    operators, _ = Group.objects.get_or_create(name=OPERATORS)
    operators.permissions.add(view_job, swarm_perms.get(codename="operate"))


def operator_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """403 for signed-in users without the operator role (anonymous ones never get here:
    the login middleware redirects them first)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_operator(request.user):
            raise PermissionDenied("Only operators can do this.")
        return view(request, *args, **kwargs)

    return wrapper
