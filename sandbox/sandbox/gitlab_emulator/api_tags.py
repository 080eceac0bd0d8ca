"""The tags and protected tags REST endpoints.

Sources (GitLab's docs and its public source, gitlabhq/gitlabhq):
- protected tags, https://docs.gitlab.com/api/protected_tags/ and ``lib/api/protected_tags.rb``: every
  route needs Maintainer (``authorize_admin_project``, else 403); ``name`` may be a wildcard;
  ``create_access_level`` is 0, 30, 40 (default) or 60 (others: Grape's 400 ``{"error":
  "create_access_level does not have a valid value"}``); a second protection of the same name is 422
  ``{"message": ["Name has already been taken"]}``; an unknown name 404 ``{"message": "404 Not found"}``;
  DELETE answers 204;
- tags, https://docs.gitlab.com/api/tags/ and ``lib/api/tags.rb`` + ``app/services/tags/create_service.rb``:
  reading needs Reporter (read_code); creating needs Developer (``authorize_admin_tag``) and then passes
  GitLab's tag access check (``Gitlab::Checks::TagCheck``): a name matching a protected tag whose create
  access level the caller does not reach fails with "You are not allowed to create this tag as it is
  protected." — Tags::CreateService turns that PreReceiveError into an error the API renders as **400**
  (``render_api_error!(result[:message], 400)``), as it does "Tag name invalid", "Target <ref> is invalid" and
  "Tag <name> already exists"; deleting needs Developer, and Maintainer for a protected tag
  ("Users with at least the Maintainer role can remove protected tags",
  https://docs.gitlab.com/user/project/protected_tags/), else 403; an unknown tag is 404
  ``{"message": "404 Tag Not Found"}``;
- a created tag starts a tag pipeline (``pipeline_start.start_push_pipeline`` with ``tag=True``), as GitLab's post-receive
  does for any new tag (https://docs.gitlab.com/ci/pipelines/#types-of-pipelines).
Not emulated: releases, tag signatures, keyset pagination, ``allowed_to_create`` users/groups/deploy keys.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from . import gitrepo, gittags
from .errors import ApiError, bad_request, forbidden, not_found
from .pipeline_start import start_push_pipeline
from .protected_refs import PROTECTED_TAG_LEVELS, is_protected_tag, may_create_tag
from .routing import Ctx, delete_project_setting, json_response, paginated, project_record_route, route
from .state import DEVELOPER, MAINTAINER, REPORTER, Project, ProtectedTag
from .views import commit_json

CREATE_PROTECTED = "You are not allowed to create this tag as it is protected."


# ---- protected tags ---------------------------------------------------------------------------------------
def protected_tag_json(rule: ProtectedTag) -> dict[str, Any]:
    return {
        "name": rule.name,
        "create_access_levels": [
            {
                "id": rule.access_id,
                "access_level": rule.create_access_level,
                "access_level_description": PROTECTED_TAG_LEVELS[rule.create_access_level],
                "deploy_key_id": None,
                "user_id": None,
                "group_id": None,
            }
        ],
    }


def _protected_tag(ctx: Ctx, project: Project) -> ProtectedTag:
    for rule in project.protected_tags:
        if rule.name == ctx.args["name"]:
            return rule
    raise ApiError(404, {"message": "404 Not found"})


@route("GET", "/projects/:id/protected_tags")
def list_protected_tags(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"], MAINTAINER)
    return paginated(ctx, [protected_tag_json(r) for r in project.protected_tags])


get_protected_tag = project_record_route(
    "/projects/:id/protected_tags/:name",
    _protected_tag,
    lambda _ctx, rule: protected_tag_json(rule),
    MAINTAINER,
)


@route("POST", "/projects/:id/protected_tags")
def create_protected_tag(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"], MAINTAINER)
    name = str(ctx.require("name"))
    raw_level = ctx.params.get("create_access_level", MAINTAINER)
    try:
        level = int(raw_level)
    except (TypeError, ValueError):
        raise bad_request("create_access_level is invalid") from None
    if level not in PROTECTED_TAG_LEVELS:
        raise bad_request("create_access_level does not have a valid value")
    with ctx.state.lock:
        if any(r.name == name for r in project.protected_tags):
            raise ApiError(422, {"message": ["Name has already been taken"]})
        rule = ProtectedTag(
            id=ctx.state.next_id("protected_tag"),
            name=name,
            create_access_level=level,
            access_id=ctx.state.next_id("protected_tag_access"),
        )
        project.protected_tags.append(rule)
    return json_response(201, protected_tag_json(rule))


@route("DELETE", "/projects/:id/protected_tags/:name")
def delete_protected_tag(ctx: Ctx) -> Response:
    return delete_project_setting(ctx, lambda project: project.protected_tags, _protected_tag)


# ---- tags ---------------------------------------------------------------------------------------------------
def tag_json(ctx: Ctx, project: Project, tag: gittags.TagInfo) -> dict[str, Any]:
    return {
        "name": tag.name,
        "message": tag.message or None,
        "target": tag.target,
        "commit": commit_json(ctx.state, project, gitrepo.commit_info(project.repo, tag.commit)),
        "release": None,
        "protected": is_protected_tag(project, tag.name),
        "created_at": tag.created_at,
    }


@route("GET", "/projects/:id/repository/tags")
def list_tags(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"], REPORTER)
    found = gittags.tags(project.repo)
    search = ctx.str_param("search")
    if search:
        found = [t for t in found if search.lower() in t.name.lower()]
    if ctx.str_param("order_by") == "name":
        found.sort(key=lambda t: t.name)
        if ctx.str_param("sort", "desc") != "asc":
            found.reverse()
    elif ctx.str_param("sort") == "asc":
        found.reverse()
    return paginated(ctx, [tag_json(ctx, project, t) for t in found])


@route("GET", "/projects/:id/repository/tags/:tag_name")
def get_tag(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"], REPORTER)
    tag = gittags.find(project.repo, ctx.args["tag_name"])
    if tag is None:
        raise not_found("Tag")
    return json_response(200, tag_json(ctx, project, tag))


@route("POST", "/projects/:id/repository/tags")
def create_tag(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"], DEVELOPER)
    if project.archived:
        raise forbidden()
    name = str(ctx.require("tag_name"))
    ref = str(ctx.require("ref"))
    user = ctx.current_user()
    if not gittags.valid_name(name):
        raise ApiError(400, {"message": "Tag name invalid"})
    sha = gitrepo.resolve(project.repo, f"refs/heads/{ref}") or gitrepo.resolve(project.repo, ref)
    if sha is None:
        raise ApiError(400, {"message": f"Target {ref} is invalid"})
    with project.lock:
        if gittags.find(project.repo, name) is not None:
            raise ApiError(400, {"message": f"Tag {name} already exists"})
        if not may_create_tag(project, name, ctx.user_level(project)):
            raise ApiError(400, {"message": CREATE_PROTECTED})
        try:
            gittags.create(project.repo, name, sha, ctx.str_param("message"), (user.name, user.email))
        except gitrepo.GitError as exc:
            raise ApiError(400, {"message": exc.message}) from exc
        tag = gittags.find(project.repo, name)
    assert tag is not None
    start_push_pipeline(ctx.state, project, user, name, sha, tag=True)
    return json_response(201, tag_json(ctx, project, tag))


@route("DELETE", "/projects/:id/repository/tags/:tag_name")
def delete_tag(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"], DEVELOPER)
    name = ctx.args["tag_name"]
    with project.lock:
        if gittags.find(project.repo, name) is None:
            raise not_found("Tag")
        if is_protected_tag(project, name) and ctx.user_level(project) < MAINTAINER:
            raise forbidden()
        gittags.delete(project.repo, name)
    return Response(status=204)
