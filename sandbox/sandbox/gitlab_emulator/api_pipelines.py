"""REST endpoints: pipeline triggers, pipelines (create, trigger, list, read, variables, jobs) and jobs
(read, play, trace).

Triggers need Maintainer (https://docs.gitlab.com/api/pipeline_triggers/); ``POST /projects/:id/trigger/pipeline``
is authenticated by the trigger token alone and acts as the trigger's owner; pipeline variables are
refused to users below ``ci_pipeline_variables_minimum_override_role`` (``pipeline_variables.py``); a ``ref``
may be a branch or a tag (a tag pipeline). Playing a job needs Developer and a ``manual`` job.
"""

from __future__ import annotations

import secrets
from typing import Any

from werkzeug.wrappers import Response

from . import gitrepo, pipeline_variables
from .errors import ApiError, bad_request, forbidden, invalid, not_found
from .pipeline_start import ci_config_path, workflow_allows
from .routing import Ctx, delete_project_setting, json_response, paginated, project_record_route, route
from .state import DEVELOPER, MAINTAINER, Job, Pipeline, Project, Trigger, now
from .views import job_json, pipeline_json, trigger_json


# ---- pipeline triggers -----------------------------------------------------------------------------------
def _trigger(ctx: Ctx, project: Project) -> Trigger:
    trigger_id = ctx.args["trigger_id"]
    for trigger in project.triggers:
        if str(trigger.id) == trigger_id:
            return trigger
    raise not_found("Trigger")


@route("GET", "/projects/:id/triggers")
def list_triggers(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"], MAINTAINER)
    return paginated(ctx, [trigger_json(ctx.state, t, ctx.user) for t in project.triggers])


get_trigger = project_record_route(
    "/projects/:id/triggers/:trigger_id",
    _trigger,
    lambda ctx, trigger: trigger_json(ctx.state, trigger, ctx.user),
    MAINTAINER,
)


@route("POST", "/projects/:id/triggers")
def create_trigger(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"], MAINTAINER)
    description = str(ctx.require("description"))
    ts = now()
    trigger = Trigger(
        id=ctx.state.next_id("trigger"),
        token="glptt-" + secrets.token_hex(20),
        description=description,
        owner_id=ctx.current_user().id,
        created_at=ts,
        updated_at=ts,
    )
    with ctx.state.lock:
        project.triggers.append(trigger)
    return json_response(201, trigger_json(ctx.state, trigger, ctx.user))


@route("PUT", "/projects/:id/triggers/:trigger_id")
def update_trigger(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"], MAINTAINER)
    trigger = _trigger(ctx, project)
    if "description" in ctx.params:
        trigger.description = ctx.str_param("description")
        trigger.updated_at = now()
    return json_response(200, trigger_json(ctx.state, trigger, ctx.user))


@route("DELETE", "/projects/:id/triggers/:trigger_id")
def delete_trigger(ctx: Ctx) -> Response:
    return delete_project_setting(ctx, lambda project: project.triggers, _trigger)


# ---- pipelines -------------------------------------------------------------------------------------------
def _pipeline_variables(raw: Any, as_list: bool) -> list[dict[str, str]]:
    result: list[dict[str, str]] = []
    if raw is None or raw == "":
        return result
    if as_list:
        if not isinstance(raw, list):
            raise bad_request("variables is invalid")
        for item in raw:
            if not isinstance(item, dict) or "key" not in item:
                raise bad_request("variables is invalid")
            result.append(
                {
                    "variable_type": str(item.get("variable_type", "env_var")),
                    "key": str(item["key"]),
                    "value": str(item.get("value", "")),
                }
            )
        return result
    if not isinstance(raw, dict):
        raise bad_request("variables is invalid")
    return [{"variable_type": "env_var", "key": str(k), "value": str(v)} for k, v in raw.items()]


def _start_pipeline(ctx: Ctx, project: Project, source: str, variables: list[dict[str, str]]) -> Pipeline:
    """``ref`` names a branch or a tag (a tag pipeline then); both at once is GitLab's "Ref is ambiguous"
    (Gitlab::Ci::Pipeline::Chain::Validate::Repository)."""
    ref = str(ctx.require("ref"))
    branch_sha = gitrepo.resolve(project.repo, f"refs/heads/{ref}")
    tag_sha = gitrepo.resolve(project.repo, f"refs/tags/{ref}")
    if branch_sha and tag_sha:
        raise invalid({"base": ["Ref is ambiguous"]})
    sha = branch_sha or tag_sha
    tag = tag_sha is not None
    if sha is None:
        raise invalid({"base": ["Reference not found"]})
    if gitrepo.blob_at(project.repo, sha, ci_config_path(project)) is None:
        raise invalid({"base": ["Missing CI config file"]})
    if not workflow_allows(ctx.state, project, ref, sha, source, variables, ctx.user, tag=tag):
        raise invalid({"base": ["Pipeline filtered out by workflow rules."]})
    return ctx.state.create_pipeline(
        project, ref=ref, sha=sha, source=source, variables=variables, user=ctx.user, tag=tag
    )


@route("POST", "/projects/:id/pipeline")
def create_pipeline(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"], DEVELOPER)
    if project.archived:
        raise forbidden()
    variables = _pipeline_variables(ctx.params.get("variables"), as_list=True)
    if variables:
        pipeline_variables.refuse_unless_allowed(project, ctx.user_level(project))
    pipeline = _start_pipeline(ctx, project, "api", variables)
    return json_response(201, pipeline_json(ctx.state, pipeline))


@route("POST", "/projects/:id/trigger/pipeline", auth=False)
def trigger_pipeline(ctx: Ctx) -> Response:
    """Authenticated by the trigger ``token`` only (GitLab answers 404 for a bad token or project)."""
    token = ctx.str_param("token")
    if not token:
        raise bad_request("token is missing")
    project = ctx.state.find_project(ctx.args["id"])
    if project is None:
        raise not_found("")
    trigger = next((t for t in project.triggers if secrets.compare_digest(t.token, token)), None)
    if trigger is None:
        raise not_found("")
    ctx.project = project
    owner = ctx.state.users.get(trigger.owner_id)
    if owner is None or ctx.state.access_level(owner, ctx.state.groups[project.namespace_id]) < DEVELOPER:
        # The trigger acts as its owner; an owner who lost access makes the trigger useless.
        raise forbidden()
    if project.archived:
        raise forbidden()
    ctx.user = owner
    variables = _pipeline_variables(ctx.params.get("variables"), as_list=False)
    # Every trigger carries TRIGGER_PAYLOAD, a pipeline variable, so the owner's role decides even without
    # `variables` (pipeline_variables.py, gitlab issue 557381).
    pipeline_variables.refuse_unless_allowed(project, ctx.user_level(project))
    trigger.last_used = now()
    pipeline = _start_pipeline(ctx, project, "trigger", variables)
    return json_response(201, pipeline_json(ctx.state, pipeline))


def _project_record[R: (Pipeline, Job)](ctx: Ctx, project: Project, records: dict[int, R], arg: str) -> R:
    """The pipeline or job the path's ``arg`` names; another project's is 404, as GitLab hides it."""
    raw = ctx.args[arg]
    record = records.get(int(raw)) if raw.isdigit() else None
    if record is None or record.project_id != project.id:
        raise not_found("")
    return record


def _pipeline(ctx: Ctx, project: Project) -> Pipeline:
    return _project_record(ctx, project, ctx.state.pipelines, "pipeline_id")


@route("GET", "/projects/:id/pipelines")
def list_pipelines(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"])
    pipelines = [p for p in list(ctx.state.pipelines.values()) if p.project_id == project.id]
    for name in ("ref", "source", "status", "sha"):
        if ctx.str_param(name):
            pipelines = [p for p in pipelines if getattr(p, name) == ctx.str_param(name)]
    scope = ctx.str_param("scope")
    if scope == "finished":
        pipelines = [p for p in pipelines if p.status in ("success", "failed", "canceled", "skipped")]
    elif scope in ("running", "pending"):
        pipelines = [p for p in pipelines if p.status == scope]
    pipelines.sort(key=lambda p: p.id, reverse=ctx.str_param("sort", "desc") != "asc")
    return paginated(ctx, [pipeline_json(ctx.state, p, detailed=False) for p in pipelines])


get_pipeline = project_record_route(
    "/projects/:id/pipelines/:pipeline_id",
    _pipeline,
    lambda ctx, pipeline: pipeline_json(ctx.state, pipeline),
)


@route("GET", "/projects/:id/pipelines/:pipeline_id/variables")
def get_pipeline_variables(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"], DEVELOPER)
    return json_response(200, list(_pipeline(ctx, project).variables))


@route("GET", "/projects/:id/pipelines/:pipeline_id/jobs")
def list_pipeline_jobs(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"])
    pipeline = _pipeline(ctx, project)
    jobs = [ctx.state.jobs[j] for j in pipeline.job_ids if j in ctx.state.jobs]
    scope = ctx.params.get("scope")
    if scope:
        wanted = set(scope) if isinstance(scope, list) else {str(scope)}
        jobs = [j for j in jobs if j.status in wanted]
    return paginated(ctx, [job_json(ctx.state, j) for j in sorted(jobs, key=lambda j: j.id, reverse=True)])


# ---- jobs ------------------------------------------------------------------------------------------------
def _job(ctx: Ctx, project: Project) -> Job:
    return _project_record(ctx, project, ctx.state.jobs, "job_id")


get_job = project_record_route("/projects/:id/jobs/:job_id", _job, lambda ctx, job: job_json(ctx.state, job))


@route("GET", "/projects/:id/jobs/:job_id/trace")
def get_job_trace(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"])
    job = _job(ctx, project)
    return Response(bytes(job.trace), status=200, content_type="text/plain; charset=utf-8")


@route("POST", "/projects/:id/jobs/:job_id/play")
def play_job(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"], DEVELOPER)
    job = _job(ctx, project)
    with ctx.state.lock:
        if job.status != "manual":
            raise ApiError(400, {"message": "400 Bad request - Unplayable Job"})
        job.status = "pending"
        job.user_id = ctx.current_user().id
    pipeline = ctx.state.pipelines[job.pipeline_id]
    ctx.state.runner.play(project, pipeline, job)
    return json_response(200, job_json(ctx.state, job))
