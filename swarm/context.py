from django.http import HttpRequest

from swarm.roles import is_operator


def roles(request: HttpRequest) -> dict[str, bool]:
    return {"is_operator": is_operator(request.user)} if hasattr(request, "user") else {}
