"""Delete: deploy stacks, trigger, secret, then the deletion policy on the repos that carry our marker."""

from __future__ import annotations

import logging

from seeder import clients, deploy_stacks, logs, names, trigger_secret
from seeder.errors import SeederError
from seeder.gitlab_ops import Repo
from seeder.properties import DeletionPolicy, parse_properties
from seeder.run import Outcome, Run


def delete(run: Run) -> Outcome:
    pid = str(run.event.get("PhysicalResourceId", ""))
    run.at("validating properties")
    try:
        props = parse_properties(run.event.get("ResourceProperties", {}))
    except SeederError as exc:
        # Properties that never validated mean Create stopped before touching anything.
        logs.log("delete.nothing", why=str(exc))
        return Outcome(pid, {}, "nothing to delete: the properties were never valid")
    env = run.env
    failed_create = pid.endswith(names.FAILED_CREATE_SUFFIX)
    run.at("starting deletion of the deploy stacks")
    deleting = deploy_stacks.start_deletion(run.aws.cloudformation, props.deploy_stack_names)
    run.at("reading the GitLab token")
    gl = clients.gitlab_client(run.aws, env, run.settings, run.deadline, props.deletion_policy)
    try:
        marker = names.ownership_marker(env.project_id)
        repos: dict[str, Repo] = {}
        for kind, full, repo in clients.project_repos(run, gl):
            if repo is None:
                logs.log("repo.absent", path=full)
            elif marker not in repo.description:
                logs.log("repo.not_ours", level=logging.WARNING, path=full, why=f"description lacks {marker}")
            else:
                repos[kind] = repo
        deploy = repos.get(names.DEPLOY)
        if deploy is not None and not deploy.archived:
            run.at(f"revoking the pipeline trigger of {deploy.full_path}")
            gl.revoke_triggers(deploy, names.trigger_description(env.project_id))
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
