"""Create: two empty repos, their variables and protections, the trigger and its secret, then the seed commits."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from contracts.trigger_secret import TriggerSecret
from seeder import clients, deploy_repo, logs, names, seed_archive, trigger_secret
from seeder.errors import SeederError
from seeder.gitlab_ops import GitLabOps, Repo, repo_outputs
from seeder.properties import SeederProperties, parse_properties
from seeder.run import Outcome, Run
from seeder.variables import desired_variables, plan_changes

SEED_COMMIT_MESSAGE = "Initial commit: SageMaker project seed code"
# The deploy repo has nothing to deploy until a model is approved (the trigger then starts its pipeline),
# so its seed commit starts no pipeline at all, whatever its CI rules say.
DEPLOY_SEED_COMMIT_MESSAGE = SEED_COMMIT_MESSAGE + "\n\n[skip ci]"


def create(run: Run) -> Outcome:
    run.at("validating properties")
    props = parse_properties(run.event.get("ResourceProperties", {}))
    env = run.env
    pid = names.physical_id(env.group_path, env.project_name, env.project_id)
    run.failure_physical_id = pid + names.FAILED_CREATE_SUFFIX
    # Seed archives first: a missing archive fails before anything exists in GitLab.
    actions = {}
    for kind in names.REPO_KINDS:
        run.deadline.check(f"reading the {kind} seed archive")
        run.at(f"reading the {kind} seed archive")
        uri = seed_archive.s3_uri(props.seed_bucket, props.seed_key(kind))
        data = seed_archive.download(run.aws.s3, props.seed_bucket, props.seed_key(kind))
        actions[kind] = seed_archive.commit_actions(seed_archive.read_files(data, uri))
    run.at("reading the GitLab token")
    gl = clients.gitlab_client(run.aws, env, run.settings, run.deadline, props.deletion_policy)
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
    env = run.env
    run.at(f"resolving GitLab group '{env.group_path}'")
    group_id = gl.group_id(env.group_path)
    repos: dict[str, Repo] = {}
    fresh: dict[str, bool] = {}
    for kind in (names.DEPLOY, names.BUILD):
        full = names.repo_full_path(env.group_path, env.project_name, env.project_id, kind)
        run.at(f"creating GitLab project {full}")
        run.deadline.check(f"creating GitLab project {full}")
        repo, created = gl.create_or_adopt_repo(
            group_id,
            full,
            names.repo_description(env.project_name, env.project_id, kind),
            names.ownership_marker(env.project_id),
        )
        repos[kind], fresh[kind] = repo, created
        run.made.append(repo)
    deploy = repos[names.DEPLOY]
    # Before the trigger exists: no pipeline variables from Developers (C2), production by protected tag (C1).
    run.at(f"restricting pipeline variables of {deploy.full_path}")
    deploy_repo.restrict_pipeline_variables(gl, deploy)
    run.at(f"protecting tags {deploy_repo.PROD_TAG_PATTERN} of {deploy.full_path}")
    deploy_repo.protect_prod_tags(gl, deploy, fresh=fresh[names.DEPLOY])
    # Variables before any commit: the first pipeline (started by the seed commit) must see them.
    for kind in (names.DEPLOY, names.BUILD):
        run.at(f"setting CI/CD variables of {repos[kind].full_path}")
        current = {} if fresh[kind] else gl.variables(repos[kind])
        desired = desired_variables(props.variables(kind))
        gl.apply_variables(repos[kind], plan_changes(current, desired, previously_managed=set()))
    run.at(f"creating the pipeline trigger of {deploy.full_path}")
    token = gl.ensure_trigger(
        deploy, names.trigger_description(env.project_id), None, look=not fresh[names.DEPLOY]
    )
    run.at(f"storing the trigger token in secret {props.trigger_secret_name}")
    run.deadline.check("storing the trigger token")
    run.made_secret = True
    secret_arn = trigger_secret.put_trigger_secret(
        run.aws.secretsmanager,
        props.trigger_secret_name,
        TriggerSecret(gitlab_url=env.gitlab_url, project_id=deploy.id, token=token),
        names.project_tags(env.project_name, env.project_id),
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
    if fresh[names.DEPLOY]:
        # The [skip ci] seed commit made no pipeline, so GitLab has no resource group yet (deploy_repo).
        logs.log(
            "resource_group.pending",
            path=deploy.full_path,
            keys=list(deploy_repo.RESOURCE_GROUPS),
            why="GitLab creates a resource group with the first pipeline using it; the next stack update sets it",
        )
    else:
        run.at(f"ordering the resource groups of {deploy.full_path}")
        deploy_repo.order_resource_groups(gl, deploy)
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
