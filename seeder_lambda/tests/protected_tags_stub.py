"""Stand-in for the GitLab emulator's protected tags routes until they land (contract C7, helper ``gitlab``).

Registered only where the emulator has no ``/projects/:id/protected_tags`` route of its own, and the real
routes win once they exist (the emulator matches routes in registration order). Modelled on GitLab's
protected tags API (https://docs.gitlab.com/api/protected_tags/): POST ``name`` + ``create_access_level``
(default 40) answers 201 with ``create_access_levels``; a second POST of the same name answers 409
``{"message": "Protected tag 'prod-*' has already been taken"}``; GET/DELETE by name, 404 when unknown.
Only Maintainers may manage protected tags (403 below).
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from sandbox.gitlab_emulator.errors import ApiError, not_found
from sandbox.gitlab_emulator.routing import Ctx, json_response, route, route_exists
from sandbox.gitlab_emulator.state import MAINTAINER

# (id(state), project id) -> name -> protected tag JSON
TAGS: dict[tuple[int, int], dict[str, dict[str, Any]]] = {}
_DESCRIPTIONS = {0: "No one", 30: "Developers + Maintainers", 40: "Maintainers", 60: "Admins"}


def _tags(ctx: Ctx) -> dict[str, dict[str, Any]]:
    project = ctx.project_or_404(ctx.args["id"], MAINTAINER)
    return TAGS.setdefault((id(ctx.state), project.id), {})


def _protect(ctx: Ctx) -> Response:
    tags = _tags(ctx)
    name = ctx.str_param("name")
    level = int(ctx.params.get("create_access_level", 40))
    if level not in _DESCRIPTIONS:
        raise ApiError(400, {"error": "create_access_level does not have a valid value"})
    if name in tags:
        raise ApiError(409, {"message": f"Protected tag '{name}' has already been taken"})
    tags[name] = {
        "name": name,
        "create_access_levels": [
            {"id": len(tags) + 1, "access_level": level, "access_level_description": _DESCRIPTIONS[level]}
        ],
    }
    return json_response(201, tags[name])


def _get(ctx: Ctx) -> Response:
    found = _tags(ctx).get(ctx.args["name"])
    if found is None:
        raise not_found("Not found")
    return json_response(200, found)


def _unprotect(ctx: Ctx) -> Response:
    if _tags(ctx).pop(ctx.args["name"], None) is None:
        raise not_found("Not found")
    return Response(status=204)


def install() -> None:
    if route_exists("/projects/1/protected_tags"):
        return
    route("POST", "/projects/:id/protected_tags")(_protect)
    route("GET", "/projects/:id/protected_tags/:name")(_get)
    route("DELETE", "/projects/:id/protected_tags/:name")(_unprotect)
