"""Create, Update and Delete orchestration of the ``Custom::GitLabRepositories`` resource."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

from seeder import cfn_response, deploy_stacks, logs, names, redact, seed_archive, trigger_secret
from seeder.deadline import Deadline
from seeder.errors import SeederError
from seeder.gitlab_ops import GitLabOps, Repo, repo_outputs
from seeder.properties import DeletionPolicy, SeederProperties, parse_properties
from seeder.retry import RetryingSession
from seeder.settings import Settings
from seeder.variables import desired_variables, plan_changes

SEED_COMMIT_MESSAGE = "Initial commit: SageMaker project seed code"
# The deploy repo has nothing to deploy until a model is approved (the trigger then starts its pipeline),
# so its seed commit starts no pipeline at all, whatever its CI rules say.
DEPLOY_SEED_COMMIT_MESSAGE = SEED_COMMIT_MESSAGE + "\n\n[skip ci]"


# Bounded AWS calls, so the deadline guard is a last resort rather than the usual way a stuck call ends.
_AWS_CONFIG = Config(connect_timeout=5, read_timeout=20, retries={"mode": "standard", "max_attempts": 4})


class Aws:
    """The AWS clients of one invocation, created on first use (inside the answer-always guard)."""

    def __init__(self) -> None:
        self._clients: dict[str, Any] = {}

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(service, config=_AWS_CONFIG)  # type: ignore[call-overload]
        return self._clients[service]

    @property
    def s3(self) -> Any:
        return self._client("s3")

    @property
    def secretsmanager(self) -> Any:
        return self._client("secretsmanager")

    @property
    def cloudformation(self) -> Any:
        return self._client("cloudformation")


@dataclass
class Run:
    """State of one invocation, shared with the deadline guard."""

    event: Mapping[str, Any]
    settings: Settings
    deadline: Deadline
    aws: Aws
    stage: str = "starting"
    gitlab_calls: int = 0
    failure_physical_id: str = ""
    made: list[Repo] = field(default_factory=list)  # repos this Create made or adopted (cleanup on failure)
    made_secret: bool = False

    def at(self, stage: str) -> None:
        self.stage = stage
        logs.log("stage", stage=stage, seconds_left=round(self.deadline.remaining(), 1))


@dataclass(frozen=True)
class Outcome:
    physical_id: str
    data: Mapping[str, str]
    reason: str = ""


# ------------------------------------------------------------------------------------------------
# entry point


def handle(
    event: Mapping[str, Any], context: Any, settings: Settings | None = None, aws: Aws | None = None
) -> None:
    """Do the requested work and always answer CloudFormation, before the Lambda times out."""
    logs.setup()
    redact.forget_all()
    settings = settings or Settings()
    deadline = Deadline(context.get_remaining_time_in_millis() / 1000.0, reserve=settings.reserve_seconds)
    responder = cfn_response.Responder(event)
    request = str(event.get("RequestType", ""))
    run = Run(event, settings, deadline, aws or Aws())
    run.failure_physical_id = str(event.get("PhysicalResourceId") or names.INVALID_PHYSICAL_ID)
    logs.log(
        "request",
        type=request,
        stack=event.get("StackId"),
        logical_id=event.get("LogicalResourceId"),
        physical_id=event.get("PhysicalResourceId"),
    )

    def guard() -> None:
        # Last resort when a single call hangs: answer before Lambda kills us (cooperative checks
        # normally stop the work earlier, with cleanup).
        responder.send(
            cfn_response.FAILED,
            f"seeder ran out of time while {run.stage}; raise the seeder Lambda timeout or check GitLab, then retry",
            run.failure_physical_id,
        )

    timer = threading.Timer(max(0.0, deadline.hard_remaining() - settings.guard_seconds), guard)
    timer.daemon = True
    timer.start()
    data: Mapping[str, str] = {}
    status, reason, physical_id = cfn_response.FAILED, "", run.failure_physical_id
    try:
        outcome = _dispatch(request, run)
        status, reason, physical_id, data = (
            cfn_response.SUCCESS,
            outcome.reason,
            outcome.physical_id,
            outcome.data,
        )
    except SeederError as exc:
        logs.log("failed", level=logging.ERROR, stage=run.stage, reason=str(exc))
        reason, physical_id = str(exc), run.failure_physical_id
    except Exception as exc:
        logging.getLogger("seeder").exception("unexpected error while %s", run.stage)
        stream = getattr(context, "log_stream_name", "") or "the seeder's CloudWatch logs"
        reason = f"unexpected error while {run.stage} ({type(exc).__name__}: {str(exc)[:200]}); see {stream}"
        physical_id = run.failure_physical_id
    try:
        responder.send(status, reason, physical_id, data)
    except Exception:
        logging.getLogger("seeder").exception("could not send the response to CloudFormation")
    finally:
        timer.cancel()
    if responder.sent_status is None:
        # CloudFormation never heard from us: fail the invocation so that Lambda retries it (every
        # request is idempotent), instead of leaving the stack waiting for an hour.
        raise RuntimeError("could not deliver the response to CloudFormation")


def _dispatch(request: str, run: Run) -> Outcome:
    if request == "Create":
        return create(run)
    if request == "Update":
        return update(run)
    if request == "Delete":
        return delete(run)
    raise SeederError(f"unknown RequestType '{request[:32]}'")


def _gitlab(run: Run, props: SeederProperties) -> GitLabOps:
    run.at("reading the GitLab token")
    token = trigger_secret.read_gitlab_token(run.aws.secretsmanager, props.token_secret_arn)
    s = run.settings
    session = RetryingSession(
        run.deadline, s.gitlab_timeout_seconds, s.retry_base_seconds, s.retry_max_seconds, s.retry_attempts
    )
    # Archiving and deleting a project need Owner; a fix asking for Maintainer would fail again at Delete.
    role = "Maintainer" if props.deletion_policy is DeletionPolicy.RETAIN else "Owner"
    return GitLabOps(props.gitlab_url, token, session, props.token_secret_arn, role)


# ------------------------------------------------------------------------------------------------
# Create


def create(run: Run) -> Outcome:
    run.at("validating properties")
    props = parse_properties(run.event.get("ResourceProperties", {}))
    pid = names.physical_id(props.group_path, props.project_name, props.project_id)
    run.failure_physical_id = pid + names.FAILED_CREATE_SUFFIX
    # Seed archives first: a missing archive fails before anything exists in GitLab.
    actions = {}
    for kind in names.REPO_KINDS:
        run.deadline.check(f"reading the {kind} seed archive")
        run.at(f"reading the {kind} seed archive")
        uri = seed_archive.s3_uri(props.seed_bucket, props.seed_key(kind))
        data = seed_archive.download(run.aws.s3, props.seed_bucket, props.seed_key(kind))
        actions[kind] = seed_archive.commit_actions(seed_archive.read_files(data, uri))
    gl = _gitlab(run, props)
    try:
        outcome = _create_in_gitlab(run, props, gl, actions, pid)
    except BaseException as exc:
        leftovers = _cleanup_failed_create(run, props, gl)
        if leftovers and isinstance(exc, SeederError):
            raise SeederError(
                f"{exc}; could not remove {', '.join(leftovers)} (the rollback retries)"
            ) from None
        raise
    finally:
        run.gitlab_calls = gl.session.attempts
        logs.log("gitlab.calls", request="Create", count=gl.session.attempts)
    return outcome


def _create_in_gitlab(
    run: Run, props: SeederProperties, gl: GitLabOps, actions: Mapping[str, list[dict[str, Any]]], pid: str
) -> Outcome:
    run.at(f"resolving GitLab group '{props.group_path}'")
    group_id = gl.group_id(props.group_path)
    repos: dict[str, Repo] = {}
    fresh: dict[str, bool] = {}
    for kind in (names.DEPLOY, names.BUILD):
        full = names.repo_full_path(props.group_path, props.project_name, props.project_id, kind)
        run.at(f"creating GitLab project {full}")
        run.deadline.check(f"creating GitLab project {full}")
        repo, created = gl.create_or_adopt_repo(
            group_id,
            full,
            names.repo_description(props.project_name, props.project_id, kind),
            names.ownership_marker(props.project_id),
        )
        repos[kind], fresh[kind] = repo, created
        run.made.append(repo)
    # Variables before any commit: the first pipeline (started by the seed commit) must see them.
    for kind in (names.DEPLOY, names.BUILD):
        run.at(f"setting CI/CD variables of {repos[kind].full_path}")
        current = {} if fresh[kind] else gl.variables(repos[kind])
        desired = desired_variables(props.variables(kind))
        gl.apply_variables(repos[kind], plan_changes(current, desired, previously_managed=set()))
    deploy = repos[names.DEPLOY]
    run.at(f"creating the pipeline trigger of {deploy.full_path}")
    token = gl.ensure_trigger(
        deploy, names.trigger_description(props.project_id), None, look=not fresh[names.DEPLOY]
    )
    run.at(f"storing the trigger token in secret {props.trigger_secret_name}")
    run.deadline.check("storing the trigger token")
    run.made_secret = True
    secret_arn = trigger_secret.put_trigger_secret(
        run.aws.secretsmanager,
        props.trigger_secret_name,
        trigger_secret.TriggerSecretValue(props.gitlab_url, deploy.id, token),
        names.project_tags(props.project_name, props.project_id),
    )
    # The deploy seed first; the build seed last, because its commit starts the first build pipeline and
    # that should only happen once everything else is in place.
    for kind in (names.DEPLOY, names.BUILD):
        repo = repos[kind]
        run.deadline.check(f"committing the seed code to {repo.full_path}")
        run.at(f"committing the seed code to {repo.full_path}")
        message = DEPLOY_SEED_COMMIT_MESSAGE if kind == names.DEPLOY else SEED_COMMIT_MESSAGE
        if fresh[kind] or repo.empty or gl.branch_head(repo) is None:
            gl.commit_seed(repo, actions[kind], message)
        else:
            logs.log("seed.kept", path=repo.full_path, why="main already has commits (earlier attempt)")
    run.at("done")
    return Outcome(pid, repo_outputs(repos[names.BUILD], deploy, secret_arn))


def _cleanup_failed_create(run: Run, props: SeederProperties, gl: GitLabOps) -> list[str]:
    """Remove what this Create made or adopted, so that a failed Create leaves nothing behind.

    Returns what could not be removed (the rollback's Delete, marked ``#create-failed``, tries again).
    """
    run.deadline.release_reserve(keep=run.settings.guard_seconds + 2)
    stage = run.stage
    problems = []
    for repo in reversed(run.made):
        try:
            gl.delete(repo, permanently=True)
        except Exception as exc:
            problems.append(repo.full_path)
            logs.log("cleanup.failed", level=logging.ERROR, path=repo.full_path, error=type(exc).__name__)
    if run.made_secret:
        try:
            trigger_secret.delete_trigger_secret(run.aws.secretsmanager, props.trigger_secret_name)
        except Exception as exc:
            problems.append(f"secret {props.trigger_secret_name}")
            logs.log(
                "cleanup.failed",
                level=logging.ERROR,
                secret=props.trigger_secret_name,
                error=type(exc).__name__,
            )
    run.stage = stage
    if not problems:
        logs.log("cleanup.done", repos=[r.full_path for r in run.made])
    return problems


# ------------------------------------------------------------------------------------------------
# Update


def update(run: Run) -> Outcome:
    run.at("validating properties")
    props = parse_properties(run.event.get("ResourceProperties", {}))
    try:
        old = parse_properties(run.event.get("OldResourceProperties", {}))
    except SeederError:
        old = props  # e.g. written by an older template version: manage only what is asked for now
    pid = str(run.event.get("PhysicalResourceId", ""))
    if names.physical_id(props.group_path, props.project_name, props.project_id) != pid:
        raise SeederError(
            "ProjectName, ProjectId and GitLabGroupPath cannot change on an existing project; "
            "create a new project instead"
        )
    gl = _gitlab(run, props)
    try:
        repos: dict[str, Repo] = {}
        for kind in names.REPO_KINDS:
            full = names.repo_full_path(props.group_path, props.project_name, props.project_id, kind)
            run.at(f"reading GitLab project {full}")
            repo = gl.find_repo_or_none(full)
            if repo is None:
                raise SeederError(
                    f"GitLab project {full} not found; it was deleted or moved outside CloudFormation"
                )
            repos[kind] = repo
        for kind in names.REPO_KINDS:
            run.at(f"reconciling CI/CD variables of {repos[kind].full_path}")
            changes = plan_changes(
                gl.variables(repos[kind]), desired_variables(props.variables(kind)), set(old.variables(kind))
            )
            gl.apply_variables(repos[kind], changes)
        deploy = repos[names.DEPLOY]
        run.at(f"reconciling the pipeline trigger of {deploy.full_path}")
        sm = run.aws.secretsmanager
        stored = trigger_secret.read_trigger_secret(sm, old.trigger_secret_name)
        keep = stored.token if stored is not None and stored.project_id == deploy.id else None
        token = gl.ensure_trigger(deploy, names.trigger_description(props.project_id), keep, look=True)
        wanted = trigger_secret.TriggerSecretValue(props.gitlab_url, deploy.id, token)
        run.at(f"reconciling secret {props.trigger_secret_name}")
        tags = names.project_tags(props.project_name, props.project_id)
        if stored != wanted or props.trigger_secret_name != old.trigger_secret_name:
            secret_arn = trigger_secret.put_trigger_secret(sm, props.trigger_secret_name, wanted, tags)
        else:
            secret_arn = trigger_secret.secret_arn(sm, props.trigger_secret_name) or ""
        if props.trigger_secret_name != old.trigger_secret_name:
            trigger_secret.delete_trigger_secret(sm, old.trigger_secret_name)
        if (props.seed_build_key, props.seed_deploy_key) != (old.seed_build_key, old.seed_deploy_key):
            logs.log(
                "seed.unchanged", why="seed code is pushed only at creation; the repos belong to people now"
            )
    finally:
        logs.log("gitlab.calls", request="Update", count=gl.session.attempts)
    run.at("done")
    return Outcome(pid, repo_outputs(repos[names.BUILD], deploy, secret_arn))


# ------------------------------------------------------------------------------------------------
# Delete


def delete(run: Run) -> Outcome:
    pid = str(run.event.get("PhysicalResourceId", ""))
    run.at("validating properties")
    try:
        props = parse_properties(run.event.get("ResourceProperties", {}))
    except SeederError as exc:
        # Properties that never validated mean Create stopped before touching anything.
        logs.log("delete.nothing", why=str(exc))
        return Outcome(pid, {}, "nothing to delete: the properties were never valid")
    failed_create = pid.endswith(names.FAILED_CREATE_SUFFIX)
    run.at("starting deletion of the deploy stacks")
    deleting = deploy_stacks.start_deletion(run.aws.cloudformation, props.deploy_stack_names)
    gl = _gitlab(run, props)
    try:
        marker = names.ownership_marker(props.project_id)
        repos: dict[str, Repo] = {}
        for kind in names.REPO_KINDS:
            full = names.repo_full_path(props.group_path, props.project_name, props.project_id, kind)
            run.at(f"reading GitLab project {full}")
            repo = gl.find_repo_or_none(full)
            if repo is None:
                logs.log("repo.absent", path=full)
            elif marker not in repo.description:
                logs.log("repo.not_ours", level=logging.WARNING, path=full, why=f"description lacks {marker}")
            else:
                repos[kind] = repo
        deploy = repos.get(names.DEPLOY)
        if deploy is not None and not deploy.archived:
            run.at(f"revoking the pipeline trigger of {deploy.full_path}")
            gl.revoke_triggers(deploy, names.trigger_description(props.project_id))
        run.at(f"deleting secret {props.trigger_secret_name}")
        trigger_secret.delete_trigger_secret(run.aws.secretsmanager, props.trigger_secret_name)
        policy = props.deletion_policy
        for repo in repos.values():
            run.deadline.check(f"applying the {policy} policy to {repo.full_path}")
            run.at(f"applying the {policy} policy to {repo.full_path}")
            if failed_create:
                gl.delete(repo, permanently=True)  # nobody ever received these repos
            elif policy is DeletionPolicy.ARCHIVE and not repo.archived:
                gl.archive(repo)
            elif policy is DeletionPolicy.DELETE:
                gl.delete(repo, permanently=False)  # GitLab's delayed deletion stays as a safety net
    finally:
        logs.log("gitlab.calls", request="Delete", count=gl.session.attempts)
    if deleting:
        run.at(f"waiting for deploy stacks {', '.join(deleting)} to be deleted")
        deploy_stacks.wait_deleted(
            run.aws.cloudformation, deleting, run.deadline, run.settings.stack_poll_seconds
        )
    run.at("done")
    return Outcome(pid, {})
