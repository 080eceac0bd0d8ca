"""Request plumbing for the REST API: routes, parameters, authentication, permissions, pagination.

Routing works on the *raw* request path, because GitLab ids may be URL-encoded paths (``ml%2Fteam``,
``files/dir%2Ffile.txt``) and WSGI decodes ``%2F`` into ``/`` before an application sees ``PATH_INFO``.
Each route segment is matched on the encoded path and decoded on its own.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode

from werkzeug.wrappers import Request, Response

from .errors import UNAUTHORIZED, ApiError, bad_request, forbidden, not_found
from .state import GUEST, MAINTAINER, EmulatorState, Group, Project, Token, User, now

Handler = Callable[["Ctx"], Response]


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers or {}, content_type="application/json")


@dataclass
class Route:
    method: str
    template: str  # e.g. "/projects/:id/variables/:key"
    handler: Handler
    auth: bool
    regex: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        pattern = re.sub(r":(\w+)", r"(?P<\1>[^/]+)", self.template)
        self.regex = re.compile(f"^{pattern}$")


ROUTES: list[Route] = []


def route(method: str, template: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        ROUTES.append(Route(method, template, handler, auth))
        return handler

    return register


def match(method: str, raw_path: str) -> tuple[Route, dict[str, str]] | None:
    """The route for ``raw_path`` (still percent-encoded) and its decoded captures; HEAD matches GET."""
    wanted = "GET" if method == "HEAD" else method
    for candidate in ROUTES:
        if candidate.method != wanted:
            continue
        found = candidate.regex.match(raw_path)
        if found:
            return candidate, {k: unquote(v) for k, v in found.groupdict().items()}
    return None


def route_exists(raw_path: str) -> bool:
    return any(r.regex.match(raw_path) for r in ROUTES)


def _set_nested(target: dict[str, Any], key: str, value: str) -> None:
    """Rails-style form keys: ``variables[KEY]=v`` -> dict, ``scopes[]=a`` -> list."""
    found = re.fullmatch(r"([^\[\]]+)((?:\[[^\[\]]*\])+)", key)
    if not found:
        target[key] = value
        return
    name, rest = found.group(1), re.findall(r"\[([^\[\]]*)\]", found.group(2))
    if rest == [""]:
        target.setdefault(name, []).append(value)
    elif len(rest) == 1:
        target.setdefault(name, {})[rest[0]] = value
    else:
        target[key] = value


def parse_params(request: Request) -> dict[str, Any]:
    """Query string merged with the body (JSON or form), as Grape does."""
    params: dict[str, Any] = {}
    for key, value in parse_qsl(request.query_string.decode("latin-1"), keep_blank_values=True):
        _set_nested(params, key, value)
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.mimetype == "application/json":
            data = request.get_data()
            if data:
                try:
                    body = json.loads(data)
                except ValueError as exc:
                    raise bad_request(
                        "The provided content-type 'application/json' is not valid JSON"
                    ) from exc
                if isinstance(body, dict):
                    params.update(body)
        else:
            for key, value in request.form.items(multi=True):
                _set_nested(params, key, value)
    return params


def as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes", "t")


@dataclass
class Ctx:
    state: EmulatorState
    request: Request
    args: dict[str, str]
    params: dict[str, Any]
    user: User | None = None
    token: Token | None = None
    project: Project | None = None

    @property
    def api_base(self) -> str:
        return self.request.host_url.rstrip("/") + "/api/v4"

    def require(self, name: str) -> Any:
        value = self.params.get(name)
        if value is None or value == "":
            raise bad_request(f"{name} is missing")
        return value

    def str_param(self, name: str, default: str = "") -> str:
        value = self.params.get(name)
        return default if value is None else str(value)

    def current_user(self) -> User:
        assert self.user is not None
        return self.user

    def user_level(self, project: Project) -> int:
        """The caller's role in ``project`` (ADMIN_ACCESS for administrators, 0 for none)."""
        return self.state.access_level(self.current_user(), self.state.groups[project.namespace_id])

    def group_or_404(self, ref: str) -> Group:
        group = self.state.find_group(ref)
        if group is None or not self.can_see_group(group):
            raise not_found("Group")
        return group

    def can_see_group(self, group: Group) -> bool:
        if group.visibility != "private":
            return True
        return self.user is not None and self.state.access_level(self.user, group) >= GUEST

    def project_or_404(self, ref: str, level: int = GUEST) -> Project:
        """Projects the caller cannot see are 404 (GitLab hides them); too low a role is 403."""
        project = self.state.find_project(ref)
        if project is None:
            raise not_found("Project")
        self.project = project
        group = self.state.groups[project.namespace_id]
        user_level = self.state.access_level(self.user, group) if self.user else 0
        if user_level < GUEST and project.visibility == "private":
            raise not_found("Project")
        if user_level < level:
            raise forbidden()
        return project


def project_record_route[R](
    template: str, find: Callable[[Ctx, Project], R], view: Callable[[Ctx, R], Any], level: int = GUEST
) -> Handler:
    """Register ``GET template`` for one record of a project (a trigger, a pipeline, a variable, ...):
    ``level`` or above on the project, 404 when ``find`` finds none (GitLab hides what a caller may not see),
    else ``200`` with the record as ``view`` renders it."""

    def get_record(ctx: Ctx) -> Response:
        project = ctx.project_or_404(ctx.args["id"], level)
        return json_response(200, view(ctx, find(ctx, project)))

    return route("GET", template)(get_record)


def delete_project_setting(
    ctx: Ctx, records: Callable[[Project], list[Any]], find: Callable[[Ctx, Project], Any]
) -> Response:
    """``DELETE`` of one of a project's settings records (a pipeline trigger, a protected tag, a CI/CD variable):
    Maintainer or above, 404 when ``find`` finds none, ``204 No Content`` once removed, as GitLab answers
    (https://docs.gitlab.com/api/pipeline_triggers/, https://docs.gitlab.com/api/protected_tags/,
    https://docs.gitlab.com/api/project_level_variables/)."""
    project = ctx.project_or_404(ctx.args["id"], MAINTAINER)
    with ctx.state.lock:
        records(project).remove(find(ctx, project))
    return Response(status=204)


def authenticate(state: EmulatorState, request: Request) -> tuple[User, Token]:
    """The user behind ``PRIVATE-TOKEN`` / ``Authorization: Bearer`` / ``private_token``, or ApiError 401/403."""
    value = request.headers.get("PRIVATE-TOKEN", "")
    auth = request.headers.get("Authorization", "")
    if not value and auth.lower().startswith("bearer "):
        value = auth[7:].strip()
    if not value:
        value = request.args.get("private_token", "") or request.args.get("access_token", "")
    token = state.token_by_value(value) if value else None
    if token is None:
        raise ApiError(401, dict(UNAUTHORIZED))
    # GitLab's api_guard answers these two as OAuth2 bearer errors, not {"message": ...}.
    if token.revoked:
        raise ApiError(
            401,
            {
                "error": "invalid_token",
                "error_description": "Token was revoked. You have to re-authorize from the user.",
            },
            {"WWW-Authenticate": 'Bearer realm="", error="invalid_token"'},
        )
    if token.expired(state.today()):
        raise ApiError(
            401,
            {
                "error": "invalid_token",
                "error_description": "Token is expired. You can either do re-authorization or token refresh.",
            },
            {"WWW-Authenticate": 'Bearer realm="", error="invalid_token"'},
        )
    needed = {"api", "read_api"} if request.method in ("GET", "HEAD") else {"api"}
    if not needed & set(token.scopes):
        raise ApiError(
            403,
            {
                "error": "insufficient_scope",
                "error_description": "The request requires higher privileges than provided by the access token.",
                "scope": "api read_api" if request.method in ("GET", "HEAD") else "api",
            },
        )
    token.last_used_at = now()
    return state.users[token.user_id], token


def paginate(ctx: Ctx, items: list[Any]) -> tuple[list[Any], dict[str, str]]:
    """GitLab offset pagination: ``page``/``per_page`` (default 20, max 100) and its headers."""

    def number(name: str, default: int) -> int:
        try:
            value = int(ctx.params.get(name, default))
        except (TypeError, ValueError):
            return default
        return value if value > 0 else default

    per_page = min(number("per_page", 20), 100)
    page = number("page", 1)
    total = len(items)
    total_pages = max(1, math.ceil(total / per_page))
    chunk = items[(page - 1) * per_page : page * per_page]
    query = [(k, v) for k, v in parse_qsl(ctx.request.query_string.decode("latin-1"), keep_blank_values=True)]
    query = [(k, v) for k, v in query if k not in ("page", "per_page", "private_token", "access_token")]
    base = ctx.api_base + quote(ctx.request.environ.get("glemu.raw_path", ""), safe="/%:@")

    def link(target: int) -> str:
        return f"{base}?{urlencode([*query, ('page', str(target)), ('per_page', str(per_page))])}"

    links = []
    if page > 1:
        links.append(f'<{link(page - 1)}>; rel="prev"')
    if page < total_pages:
        links.append(f'<{link(page + 1)}>; rel="next"')
    links.append(f'<{link(1)}>; rel="first"')
    links.append(f'<{link(total_pages)}>; rel="last"')
    headers = {
        "X-Page": str(page),
        "X-Per-Page": str(per_page),
        "X-Total": str(total),
        "X-Total-Pages": str(total_pages),
        "X-Next-Page": str(page + 1) if page < total_pages else "",
        "X-Prev-Page": str(page - 1) if page > 1 else "",
        "Link": ", ".join(links),
    }
    return chunk, headers


def paginated(ctx: Ctx, items: list[Any]) -> Response:
    chunk, headers = paginate(ctx, items)
    return json_response(200, chunk, headers)
