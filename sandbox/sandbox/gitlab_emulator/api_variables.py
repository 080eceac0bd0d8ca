"""REST endpoints: project CI/CD variables (https://docs.gitlab.com/api/project_level_variables/).

Maintainer; masked values must match GitLab's rule (``app/models/concerns/ci/maskable.rb``); a key shared by
several environment scopes needs ``filter[environment_scope]`` (409 otherwise).
"""

from __future__ import annotations

import re

from werkzeug.wrappers import Response

from .errors import bad_request, invalid
from .routing import (
    Ctx,
    as_bool,
    delete_project_setting,
    json_response,
    paginated,
    project_record_route,
    route,
)
from .state import MAINTAINER, Project, Variable
from .views import variable_json

# ---- CI/CD variables -------------------------------------------------------------------------------------
# app/models/concerns/ci/maskable.rb: masked values are one line of ≥ 8 characters from this set.
_MASKABLE = re.compile(r"\A[a-zA-Z0-9_+=/@:.~-]{8,}\Z")
_MASKABLE_RAW = re.compile(r"\A\S{8,}\Z")
_KEY = re.compile(r"\A[a-zA-Z0-9_]+\Z")


def _variable_from_params(ctx: Ctx, existing: Variable | None) -> Variable:
    base = existing or Variable(key=str(ctx.require("key")), value="")
    if existing is None and "value" not in ctx.params:
        raise bad_request("value is missing")
    variable_type = ctx.str_param("variable_type", base.variable_type)
    if variable_type not in ("env_var", "file"):
        raise bad_request("variable_type does not have a valid value")
    hidden = base.hidden or as_bool(ctx.params.get("masked_and_hidden", False))
    variable = Variable(
        key=base.key,
        value=ctx.str_param("value", base.value),
        variable_type=variable_type,
        protected=as_bool(ctx.params.get("protected", base.protected)),
        masked=hidden or as_bool(ctx.params.get("masked", base.masked)),
        hidden=hidden,
        raw=as_bool(ctx.params.get("raw", base.raw)),
        environment_scope=ctx.str_param("environment_scope", base.environment_scope) or "*",
        description=ctx.params.get("description", base.description),
    )
    errors: dict[str, list[str]] = {}
    if not _KEY.match(variable.key) or len(variable.key) > 255:
        errors["key"] = ["can contain only letters, digits and '_'."]
    if variable.masked:
        pattern = _MASKABLE_RAW if variable.raw else _MASKABLE
        if not pattern.match(variable.value):
            errors["value"] = ["is invalid"]
    if len(variable.value) > 10000:
        errors.setdefault("value", []).append("is too long (maximum is 10000 characters)")
    if errors:
        raise invalid(errors)
    return variable


@route("GET", "/projects/:id/variables")
def list_variables(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"], MAINTAINER)
    return paginated(ctx, [variable_json(v) for v in project.variables])


def _scope_filter(ctx: Ctx) -> str | None:
    nested = ctx.params.get("filter")
    if isinstance(nested, dict) and nested.get("environment_scope"):
        return str(nested["environment_scope"])
    return None


def _variable(ctx: Ctx, project: Project) -> Variable:
    """The variable the path's ``key`` (and ``filter[environment_scope]``) names."""
    return ctx.state.find_variable(project, ctx.args["key"], _scope_filter(ctx))


get_variable = project_record_route(
    "/projects/:id/variables/:key", _variable, lambda _ctx, variable: variable_json(variable), MAINTAINER
)


@route("POST", "/projects/:id/variables")
def create_variable(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"], MAINTAINER)
    with ctx.state.lock:
        variable = _variable_from_params(ctx, None)
        if any(
            v.key == variable.key and v.environment_scope == variable.environment_scope
            for v in project.variables
        ):
            raise invalid({"key": [f"({variable.key}) has already been taken"]})
        project.variables.append(variable)
    return json_response(201, variable_json(variable))


@route("PUT", "/projects/:id/variables/:key")
def update_variable(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"], MAINTAINER)
    with ctx.state.lock:
        existing = _variable(ctx, project)
        if existing.hidden and "masked" in ctx.params and not as_bool(ctx.params["masked"]):
            raise invalid({"masked": ["cannot be unset for hidden variables"]})
        variable = _variable_from_params(ctx, existing)
        clash = [
            v
            for v in project.variables
            if v is not existing
            and v.key == variable.key
            and v.environment_scope == variable.environment_scope
        ]
        if clash:
            raise invalid({"key": [f"({variable.key}) has already been taken"]})
        project.variables[project.variables.index(existing)] = variable
    return json_response(200, variable_json(variable))


@route("DELETE", "/projects/:id/variables/:key")
def delete_variable(ctx: Ctx) -> Response:
    return delete_project_setting(ctx, lambda project: project.variables, _variable)
