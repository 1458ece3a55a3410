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


def is_operator(user: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(user.is_authenticated and user.has_perm(OPERATE_PERMISSION))


def ensure_roles() -> None:
    """Create both groups; operators get the operate permission."""
    Group.objects.get_or_create(name=VIEWERS)
    operators, _ = Group.objects.get_or_create(name=OPERATORS)
    operate = Permission.objects.get(content_type__app_label="swarm", codename="operate")
    operators.permissions.add(operate)


def operator_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """403 for signed-in users without the operator role (anonymous ones never get here:
    the login middleware redirects them first)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_operator(request.user):
            raise PermissionDenied("Only operators can do this.")
        return view(request, *args, **kwargs)

    return wrapper
