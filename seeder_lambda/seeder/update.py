"""Update: reconcile variables, deploy repo settings, the trigger and its secret. Never pushes seed code again."""

from __future__ import annotations

from contracts.trigger_secret import TriggerSecret
from seeder import clients, deploy_repo, logs, names, trigger_secret
from seeder.errors import SeederError
from seeder.gitlab_ops import Repo, repo_outputs
from seeder.properties import parse_properties
from seeder.run import Outcome, Run
from seeder.variables import desired_variables, plan_changes


def update(run: Run) -> Outcome:
    run.at("validating properties")
    props = parse_properties(run.event.get("ResourceProperties", {}))
    try:
        old = parse_properties(run.event.get("OldResourceProperties", {}))
    except SeederError:
        old = props  # e.g. written by an older template version: manage only what is asked for now
    env = run.env
    pid = str(run.event.get("PhysicalResourceId", ""))
    if names.physical_id(env.group_path, env.project_name, env.project_id) != pid:
        raise SeederError(
            f"the project's GitLab group cannot change (the repos are at {pid.removeprefix('gitlab:')}, "
            f"the stack now names group {env.group_path}); set GitLabGroupPath back or create a new project"
        )
    run.at("reading the GitLab token")
    gl = clients.gitlab_client(run.aws, env, run.settings, run.deadline, props.deletion_policy)
    try:
        repos: dict[str, Repo] = {}
        for kind, full, repo in clients.project_repos(run, gl):
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
        run.at(f"reconciling the settings of {deploy.full_path}")
        deploy_repo.restrict_pipeline_variables(gl, deploy)
        deploy_repo.protect_prod_tags(gl, deploy, fresh=False)
        deploy_repo.order_resource_groups(gl, deploy)
        run.at(f"reconciling the pipeline trigger of {deploy.full_path}")
        sm = run.aws.secretsmanager
        stored = trigger_secret.read_trigger_secret(sm, old.trigger_secret_name)
        keep = stored.token if stored is not None and stored.project_id == deploy.id else None
        token = gl.ensure_trigger(deploy, names.trigger_description(env.project_id), keep, look=True)
        wanted = TriggerSecret(gitlab_url=env.gitlab_url, project_id=deploy.id, token=token)
        run.at(f"reconciling secret {props.trigger_secret_name}")
        tags = names.project_tags(env.project_name, env.project_id)
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
