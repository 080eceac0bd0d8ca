"""The seeder against moto (S3, Secrets Manager, CloudFormation) and the GitLab emulator (python-gitlab).

Every test drives ``lifecycle.handle`` the way CloudFormation does and asserts the response actually PUT
to the ResponseURL, plus the state left in GitLab and AWS.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import gitlab
import pytest
import requests
from seeder_testkit import (
    BASE,
    BUILD_EXECUTABLE,
    BUILD_SEED,
    BUILD_VARIABLES,
    DEPLOY_SEED,
    DEPLOY_VARIABLES,
    PROD_STACK,
    PROJECT_ID,
    REGION,
    RESPONSE_HOST,
    STAGING_STACK,
    TRIGGER_SECRET,
    FakeContext,
    environment,
    event,
    properties,
)

from seeder import deploy_stacks, lifecycle, seed_archive
from seeder.settings import Settings

BUILD_PATH = f"ml/team/{BASE}-model-build"
DEPLOY_PATH = f"ml/team/{BASE}-model-deploy"
PHYSICAL_ID = f"gitlab:ml/team/{BASE}"
FAST = Settings(
    reserve_seconds=2.0,
    guard_seconds=1.0,
    gitlab_timeout_seconds=2.0,
    retry_base_seconds=0.05,
    retry_max_seconds=0.2,
    stack_poll_seconds=0.05,
)


@dataclass
class Seeder:
    """One project's worth of AWS + GitLab, and a way to send it CloudFormation requests."""

    gl_server: Any
    capture: Any
    context_factory: Callable[[float], Any]
    token_secret_arn: str
    monkeypatch: pytest.MonkeyPatch

    def env(self, **overrides: str) -> None:
        """Set the seeder function's environment (what the template sets), with ``overrides``."""
        for key, value in environment(self.gl_server.url, self.token_secret_arn, **overrides).items():
            self.monkeypatch.setenv(key, value)

    @property
    def gl(self) -> gitlab.Gitlab:
        return self.gl_server.client(self.gl_server.admin_token)

    def props(self, **overrides: object) -> dict[str, object]:
        return properties(**overrides)

    def send(
        self,
        request_type: str,
        props: dict[str, object] | None = None,
        old: dict[str, object] | None = None,
        physical_id: str | None = None,
        seconds: float = 120.0,
        settings: Settings = FAST,
    ) -> dict[str, Any]:
        """Invoke the handler and return the one response body CloudFormation received."""
        before = len(self.capture.responses)
        ev = event(request_type, self.capture.url, props or self.props(), old, physical_id)
        lifecycle.handle(ev, self.context_factory(seconds), settings=settings)
        assert len(self.capture.responses) == before + 1, "CloudFormation must get exactly one answer"
        response = self.capture.responses[-1]
        assert response.method == "PUT"
        assert response.headers.get("Content-Type") == ""
        assert response.host == RESPONSE_HOST
        assert response.path.startswith("/arn%3Aaws%3Acloudformation%3A")
        body: dict[str, Any] = response.body
        assert body["StackId"] == ev["StackId"]
        assert body["RequestId"] == ev["RequestId"]
        assert body["LogicalResourceId"] == "GitLabRepositories"
        return body

    def create(self, **kwargs: Any) -> dict[str, Any]:
        return self.send("Create", **kwargs)

    def project(self, path: str) -> Any:
        return self.gl.projects.get(path)

    def group_projects(self) -> list[str]:
        return sorted(p.path for p in self.gl.groups.get("ml/team").projects.list(all=True))

    def secret(self) -> dict[str, Any]:
        sm = boto3.client("secretsmanager", region_name=REGION)
        value: dict[str, Any] = json.loads(sm.get_secret_value(SecretId=TRIGGER_SECRET)["SecretString"])
        return value

    def secret_exists(self) -> bool:
        sm = boto3.client("secretsmanager", region_name=REGION)
        try:
            sm.describe_secret(SecretId=TRIGGER_SECRET)
        except sm.exceptions.ResourceNotFoundException:
            return False
        return True


@pytest.fixture
def seeder(gitlab_server: Any, cfn_capture: Any, seed_bucket: str, monkeypatch: pytest.MonkeyPatch) -> Seeder:
    sm = boto3.client("secretsmanager", region_name=REGION)
    arn = sm.create_secret(Name="sagemaker-gitlab/gitlab-api-token", SecretString=gitlab_server.token)["ARN"]
    made = Seeder(gitlab_server, cfn_capture, FakeContext, arn, monkeypatch)
    made.env()
    return made


def run_trigger(seeder: Seeder, project_id: int, token: str) -> requests.Response:
    return requests.post(
        f"{seeder.gl_server.url}/api/v4/projects/{project_id}/trigger/pipeline",
        data={"token": token, "ref": "main", "variables[MODEL_PACKAGE_ARN]": "arn:x"},
        timeout=5,
    )


def file_bytes(project: Any, path: str) -> bytes:
    return bytes(project.files.raw(file_path=path, ref="main"))


# --- Create ---------------------------------------------------------------------------------------


def test_create_makes_both_repos_seeded_configured_and_triggerable(seeder: Seeder) -> None:
    body = seeder.create()

    assert body["Status"] == "SUCCESS", body["Reason"]
    assert body["PhysicalResourceId"] == PHYSICAL_ID
    build, deploy = seeder.project(BUILD_PATH), seeder.project(DEPLOY_PATH)
    assert body["Data"] == {
        "BuildRepoId": str(build.id),
        "BuildRepoUrl": build.http_url_to_repo,
        "DeployRepoId": str(deploy.id),
        "DeployRepoUrl": deploy.http_url_to_repo,
        "TriggerSecretArn": boto3.client("secretsmanager", region_name=REGION).describe_secret(
            SecretId=TRIGGER_SECRET
        )["ARN"],
    }
    assert build.http_url_to_repo.endswith(f"/{BUILD_PATH}.git")
    assert seeder.group_projects() == [f"{BASE}-model-build", f"{BASE}-model-deploy"]
    assert build.path == f"{BASE}-model-build"
    assert build.visibility == "private"
    assert f"[sagemaker-project-id: {PROJECT_ID}]" in build.description

    for project, seed in ((build, BUILD_SEED), (deploy, DEPLOY_SEED)):
        commits = project.commits.list(ref_name="main", all=True)
        assert len(commits) == 1, "the seed must be exactly one commit"
        tree = {i["path"]: i for i in project.repository_tree(ref="main", recursive=True, all=True)}
        blobs = {path for path, item in tree.items() if item["type"] == "blob"}
        assert blobs == set(seed)
        for path, content in seed.items():
            assert file_bytes(project, path) == content, path
    assert tree  # last loop's tree (deploy) is non-empty
    build_tree = {i["path"]: i for i in build.repository_tree(ref="main", recursive=True, all=True)}
    for path in BUILD_EXECUTABLE:
        assert build_tree[path]["mode"] == "100755"

    for project, expected in ((build, BUILD_VARIABLES), (deploy, DEPLOY_VARIABLES)):
        variables = {v.key: v for v in project.variables.list(all=True)}
        assert {k: v.value for k, v in variables.items()} == expected
        for key, var in variables.items():
            assert var.protected is True, key
            assert var.masked is key.endswith("ROLE_ARN"), key

    secret = seeder.secret()
    assert secret["gitlab_url"] == seeder.gl_server.url
    assert secret["project_id"] == deploy.id
    assert isinstance(secret["project_id"], int)
    assert secret["ref"] == "main"
    assert secret["token"].startswith("glptt-")
    tags = boto3.client("secretsmanager", region_name=REGION).describe_secret(SecretId=TRIGGER_SECRET)["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {
        "sagemaker:project-name": "churn",
        "sagemaker:project-id": PROJECT_ID,
    }

    # The seed commit started the build repo's first pipeline ...
    build_pipelines = build.pipelines.list(all=True)
    assert [(p.source, p.ref) for p in build_pipelines] == [("push", "main")]
    # ... and only after every variable was in place (the emulator's request log is ordered).
    log = [r for r in seeder.gl_server.requests() if r.project_id == build.id]
    commit_at = next(i for i, r in enumerate(log) if r.endpoint == "POST /projects/:id/repository/commits")
    assert all(i < commit_at for i, r in enumerate(log) if r.endpoint == "POST /projects/:id/variables")
    assert sum(r.endpoint == "POST /projects/:id/variables" for r in log) == len(BUILD_VARIABLES)

    # The stored trigger token starts a deploy pipeline, as the trigger Lambda will.
    # The deploy repo's seed commit starts nothing ([skip ci]): nothing is deployed before an approval.
    assert [(p.source, p.status) for p in deploy.pipelines.list(all=True)] == [("push", "skipped")]
    reply = run_trigger(seeder, deploy.id, secret["token"])
    assert reply.status_code == 201, reply.text
    pipelines = deploy.pipelines.list(all=True)
    assert len(pipelines) == 2
    assert (pipelines[0].source, pipelines[0].status) == ("trigger", "created")
    assert [v.key for v in pipelines[0].variables.list()] == ["MODEL_PACKAGE_ARN"]


def test_create_api_call_count_has_a_ceiling(seeder: Seeder) -> None:
    seeder.gl_server.clear_log()
    assert seeder.create()["Status"] == "SUCCESS"
    calls = [r.endpoint for r in seeder.gl_server.requests()]
    variables = len(BUILD_VARIABLES) + len(DEPLOY_VARIABLES)
    # 1 group lookup + 2 project creations + 1 deploy repo setting + 1 protected tag + 1 per variable
    # + 1 trigger + 2 commits; nothing else (no resource group exists before the first pipeline).
    assert calls.count("GET /groups/:id") == 1
    assert calls.count("POST /projects") == 2
    assert calls.count("PUT /projects/:id") == 1
    assert calls.count("POST /projects/:id/protected_tags") == 1
    assert calls.count("POST /projects/:id/variables") == variables
    assert calls.count("POST /projects/:id/triggers") == 1
    assert calls.count("POST /projects/:id/repository/commits") == 2
    assert len(calls) == 8 + variables == 28


# --- retried and failed Create --------------------------------------------------------------------


def test_create_retried_after_partial_failure_adopts_what_the_first_attempt_left(seeder: Seeder) -> None:
    server = seeder.gl_server
    # First attempt: the build commit fails for good, and cleanup cannot delete (GitLab down for deletes).
    server.inject("POST /projects/:id/repository/commits", 500, times=None)
    server.inject("DELETE /projects/:id", 500, times=None)
    first = seeder.create()
    assert first["Status"] == "FAILED"
    assert first["Reason"].startswith("GitLab answered 500 for POST /api/v4/projects/")
    assert first["Reason"].endswith(f"could not remove {BUILD_PATH}, {DEPLOY_PATH} (the rollback retries)")
    assert first["PhysicalResourceId"] == PHYSICAL_ID + "#create-failed"
    assert seeder.group_projects() == [f"{BASE}-model-build", f"{BASE}-model-deploy"]  # left behind

    # Second attempt (CloudFormation/Lambda retry) with GitLab healthy again: adopt, never duplicate.
    server.clear_faults()
    second = seeder.create()
    assert second["Status"] == "SUCCESS", second["Reason"]
    assert seeder.group_projects() == [f"{BASE}-model-build", f"{BASE}-model-deploy"]
    for path in (BUILD_PATH, DEPLOY_PATH):
        project = seeder.project(path)
        assert len(project.commits.list(ref_name="main", all=True)) == 1
        assert second["Data"]["BuildRepoId" if path == BUILD_PATH else "DeployRepoId"] == str(project.id)
    deploy = seeder.project(DEPLOY_PATH)
    assert len(deploy.triggers.list(all=True)) == 1, "exactly one trigger"
    assert {v.key for v in deploy.variables.list(all=True)} == set(DEPLOY_VARIABLES)
    assert run_trigger(seeder, deploy.id, seeder.secret()["token"]).status_code == 201


def test_create_adopts_a_commit_that_landed_although_the_client_timed_out(seeder: Seeder) -> None:
    # GitLab does the commit but answers after the client's 2 s timeout; the retry sees the branch exists.
    seeder.gl_server.inject("POST /projects/:id/repository/commits", delay=3.0, times=1)
    body = seeder.create()
    assert body["Status"] == "SUCCESS", body["Reason"]
    for path in (BUILD_PATH, DEPLOY_PATH):
        assert len(seeder.project(path).commits.list(ref_name="main", all=True)) == 1


@pytest.mark.parametrize("deletion", ["immediate", "delayed"])
def test_failed_create_deletes_what_it_made_and_the_rollback_delete_succeeds(
    seeder: Seeder, deletion: str
) -> None:
    # "delayed": GitLab >= 18 marks and renames first; the cleanup must still remove the repos for good.
    seeder.gl_server.state.deletion = deletion
    seeder.gl_server.inject("POST /projects/:id/repository/commits", 503, times=None)
    body = seeder.create()
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("GitLab answered 503 for POST /api/v4/projects/")
    assert "check GitLab's health and retry" in body["Reason"]
    assert seeder.group_projects() == []
    assert not seeder.secret_exists()

    seeder.gl_server.clear_faults()
    rollback = seeder.send("Delete", physical_id=body["PhysicalResourceId"])
    assert rollback["Status"] == "SUCCESS", rollback["Reason"]
    assert rollback["PhysicalResourceId"] == body["PhysicalResourceId"]


def test_create_never_takes_over_someone_elses_repo(seeder: Seeder) -> None:
    group = seeder.gl.groups.get("ml/team")
    foreign = seeder.gl.projects.create(
        {"name": f"{BASE}-model-build", "path": f"{BASE}-model-build", "namespace_id": group.id}
    )
    body = seeder.create()
    assert body["Status"] == "FAILED"
    assert body["Reason"] == (
        f"GitLab project {BUILD_PATH} already exists and was not created for this SageMaker project; "
        "rename or move it, or use another group"
    )
    # The deploy repo made before the clash is gone; the foreign repo is untouched.
    assert seeder.group_projects() == [f"{BASE}-model-build"]
    assert seeder.project(BUILD_PATH).id == foreign.id
    assert not seeder.secret_exists()

    # The rollback Delete must not touch it either, whatever the policy.
    rollback = seeder.send(
        "Delete",
        props=seeder.props(RepositoryDeletionPolicy="Delete"),
        physical_id=body["PhysicalResourceId"],
    )
    assert rollback["Status"] == "SUCCESS"
    assert seeder.project(BUILD_PATH).id == foreign.id
    assert seeder.project(BUILD_PATH).archived is False


def test_create_with_a_missing_seed_archive_names_the_uri_and_touches_nothing(seeder: Seeder) -> None:
    seeder.gl_server.clear_log()
    body = seeder.create(props=seeder.props(SeedDeployRepoKey="seed/9.9.9/missing.zip"))
    assert body["Status"] == "FAILED"
    assert body["Reason"] == (
        "seed archive s3://seed-artifacts/seed/9.9.9/missing.zip missing; publish the product again (scripts/publish)"
    )
    assert seeder.gl_server.count() == 0
    assert not seeder.secret_exists()


def test_create_with_invalid_properties_fails_clearly_and_delete_then_succeeds(seeder: Seeder) -> None:
    props = seeder.props(RepositoryDeletionPolicy="Shred", SeedCodeBucket="")
    body = seeder.create(props=props)
    assert body["Status"] == "FAILED"
    assert body["Reason"] == (
        "invalid properties: RepositoryDeletionPolicy 'Shred' must be one of Retain, Archive, Delete; "
        "SeedCodeBucket is required"
    )
    rollback = seeder.send("Delete", props=props, physical_id=body["PhysicalResourceId"])
    assert rollback["Status"] == "SUCCESS"


# --- GitLab errors --------------------------------------------------------------------------------


def test_create_with_an_unknown_group_says_so(seeder: Seeder) -> None:
    seeder.env(GITLAB_GROUP_PATH="ml/nope")
    body = seeder.create()
    assert body["Status"] == "FAILED"
    assert body["Reason"] == "group 'ml/nope' not found or token lacks access"
    assert body["PhysicalResourceId"] == f"gitlab:ml/nope/{BASE}#create-failed"
    assert not seeder.secret_exists()


@pytest.mark.parametrize(
    ("spoil", "expected"),
    [
        ("unknown", "GitLab rejected the API token (401: invalid, expired or revoked)"),
        ("expire", "GitLab API token expired (401)"),
        ("revoke", "GitLab API token revoked (401)"),
    ],
)
def test_create_with_a_bad_token_fails_with_the_fix_and_no_retry(
    seeder: Seeder, spoil: str, expected: str
) -> None:
    server = seeder.gl_server
    sm = boto3.client("secretsmanager", region_name=REGION)
    if spoil == "unknown":
        sm.put_secret_value(
            SecretId=seeder.token_secret_arn, SecretString='{"token": "glpat-not-a-real-token"}'
        )
    elif spoil == "expire":
        server.expire(server.token)
    else:
        server.revoke(server.token)
    server.clear_log()
    body = seeder.create()
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith(expected)
    # The default policy is Archive, which needs Owner (issue 10.6: the fix named Maintainer).
    assert body["Reason"].endswith(
        f"create a new GitLab group access token (api scope, Owner role) and store it in secret "
        f"{seeder.token_secret_arn}"
    )
    assert [r.endpoint for r in server.requests()] == ["GET /groups/:id"], "401 is not retried"


def test_token_secret_may_be_json(seeder: Seeder) -> None:
    sm = boto3.client("secretsmanager", region_name=REGION)
    sm.put_secret_value(
        SecretId=seeder.token_secret_arn, SecretString=json.dumps({"token": seeder.gl_server.token})
    )
    assert seeder.create()["Status"] == "SUCCESS"


@pytest.mark.parametrize(
    ("endpoint", "fault"),
    [
        ("POST /projects", {"status": 503, "times": 2}),
        ("POST /projects/:id/variables", {"status": 502, "times": 3}),
        ("GET /groups/:id", {"status": 429, "retry_after": 1, "times": 1}),
        ("POST /projects/:id/triggers", {"delay": 3.0, "times": 1}),  # timeout; the retry may create twice
    ],
)
def test_transient_gitlab_errors_are_retried_then_succeed(
    seeder: Seeder, endpoint: str, fault: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="seeder")
    seeder.gl_server.inject(endpoint, **fault)
    body = seeder.create()
    assert body["Status"] == "SUCCESS", body["Reason"]
    retries = [json.loads(r.getMessage()) for r in caplog.records if '"gitlab.retry"' in r.getMessage()]
    assert len(retries) == fault["times"]
    if "retry_after" in fault:
        assert retries[0]["delay"] >= fault["retry_after"], "Retry-After honoured"
    assert seeder.group_projects() == [f"{BASE}-model-build", f"{BASE}-model-deploy"]
    deploy = seeder.project(DEPLOY_PATH)
    assert len(deploy.triggers.list(all=True)) >= 1
    assert run_trigger(seeder, deploy.id, seeder.secret()["token"]).status_code == 201


def test_persistent_5xx_fails_with_a_clear_reason(seeder: Seeder) -> None:
    seeder.gl_server.inject("GET /groups/:id", 502, times=None)
    body = seeder.create()
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("GitLab answered 502 for GET /api/v4/groups/ml%2Fteam after ")
    assert seeder.gl_server.count("GET /groups/:id") > 1


# --- always an answer ---------------------------------------------------------------------------


def test_unexpected_exception_still_answers_failed(seeder: Seeder, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: Any, **kwargs: Any) -> int:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("seeder.gitlab_ops.GitLabOps.group_id", explode)
    body = seeder.create()
    assert body["Status"] == "FAILED"
    assert body["Reason"] == (
        "unexpected error while resolving GitLab group 'ml/team' (ZeroDivisionError: division by zero); "
        "see 2026/11/23/[$LATEST]0123456789abcdef"
    )


def test_a_hanging_gitlab_is_cut_off_before_the_lambda_timeout(seeder: Seeder) -> None:
    # GitLab hangs on every request; the Lambda has 6 s. Cooperative deadline: FAILED well before that.
    seeder.gl_server.inject("GET /groups/:id", delay=30.0, times=None)
    context = FakeContext(6.0)
    ev = event("Create", seeder.capture.url, seeder.props())
    settings = Settings(reserve_seconds=2.0, guard_seconds=1.0, gitlab_timeout_seconds=20.0)
    lifecycle.handle(ev, context, settings=settings)
    response = seeder.capture.only()
    assert response.body["Status"] == "FAILED"
    assert "GitLab timed out for GET /api/v4/groups/ml%2Fteam" in response.body["Reason"]
    assert response.at < context.end - settings.guard_seconds


def test_deadline_guard_answers_when_the_work_itself_hangs(
    seeder: Seeder, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_download = seed_archive.download

    def stuck_download(*args: Any) -> bytes:
        # e.g. a stuck S3 read that no retry loop controls: it returns only once the watchdog has answered
        # (or, if the guard never fires, after 30 s, which fails the test below by answering too late).
        seeder.capture.answered.wait(timeout=30)
        return real_download(*args)

    monkeypatch.setattr(seed_archive, "download", stuck_download)
    context = FakeContext(3.0)
    ev = event("Create", seeder.capture.url, seeder.props())
    lifecycle.handle(ev, context, settings=Settings(reserve_seconds=1.0, guard_seconds=1.0))
    response = seeder.capture.only()  # the late work finds the answer already sent and sends nothing
    assert response.body["Status"] == "FAILED"
    assert response.body["Reason"] == (
        "seeder ran out of time while reading the build seed archive; "
        "raise the seeder Lambda timeout or check GitLab, then retry"
    )
    assert response.body["PhysicalResourceId"] == PHYSICAL_ID + "#create-failed"
    assert response.at < context.end


# --- Update ---------------------------------------------------------------------------------------


def test_update_reconciles_variables_and_keeps_commits_and_trigger(seeder: Seeder) -> None:
    created = seeder.create()
    assert created["Status"] == "SUCCESS"
    build, deploy = seeder.project(BUILD_PATH), seeder.project(DEPLOY_PATH)
    # People work in the repos: a commit, a variable of their own.
    build.commits.create(
        {
            "branch": "main",
            "commit_message": "tune hyperparameters",
            "actions": [
                {"action": "update", "file_path": "pipelines/abalone/pipeline.py", "content": "tuned\n"}
            ],
        }
    )
    head = build.branches.get("main").commit["id"]
    build.variables.create({"key": "MY_OWN", "value": "keep-me"})
    token_before = seeder.secret()["token"]

    old = seeder.props()
    new_build = {k: v for k, v in BUILD_VARIABLES.items() if k != "INPUT_DATA_URL"}
    new_build["BUILD_ROLE_ARN"] = "arn:aws:iam::123456789012:role/renamed-build"
    new_build["EXTRA_SETTING"] = "on"
    new = seeder.props(BuildRepoVariables=new_build, SeedBuildRepoKey="seed/2.0.0/other.zip")
    seeder.gl_server.clear_log()
    body = seeder.send("Update", props=new, old=old, physical_id=PHYSICAL_ID)

    assert body["Status"] == "SUCCESS", body["Reason"]
    assert body["PhysicalResourceId"] == PHYSICAL_ID
    assert body["Data"] == created["Data"]
    variables = {v.key: v for v in build.variables.list(all=True)}
    assert {k: v.value for k, v in variables.items()} == {**new_build, "MY_OWN": "keep-me"}
    assert variables["BUILD_ROLE_ARN"].masked is True
    assert build.branches.get("main").commit["id"] == head, "commits are never overwritten"
    assert len(build.commits.list(ref_name="main", all=True)) == 2
    assert seeder.secret()["token"] == token_before, "a working trigger is kept"
    assert len(deploy.triggers.list(all=True)) == 1
    writes = [r.endpoint for r in seeder.gl_server.requests() if not r.endpoint.startswith("GET")]
    assert sorted(writes) == [
        "DELETE /projects/:id/variables/:key",
        "POST /projects/:id/variables",
        "PUT /projects/:id",  # ci_pipeline_variables_minimum_override_role (C2)
        "PUT /projects/:id/resource_groups/:key",  # staging: no pipeline yet, so 404
        "PUT /projects/:id/resource_groups/:key",  # production: likewise
        "PUT /projects/:id/variables/:key",
    ]


def test_update_replaces_a_trigger_someone_deleted(seeder: Seeder) -> None:
    assert seeder.create()["Status"] == "SUCCESS"
    deploy = seeder.project(DEPLOY_PATH)
    for trigger in deploy.triggers.list(all=True):
        trigger.delete()
    old_token = seeder.secret()["token"]
    body = seeder.send("Update", props=seeder.props(), old=seeder.props(), physical_id=PHYSICAL_ID)
    assert body["Status"] == "SUCCESS", body["Reason"]
    new_token = seeder.secret()["token"]
    assert new_token != old_token
    assert run_trigger(seeder, deploy.id, new_token).status_code == 201


def test_update_refuses_to_move_the_project_to_another_group(seeder: Seeder) -> None:
    assert seeder.create()["Status"] == "SUCCESS"
    seeder.env(GITLAB_GROUP_PATH="ml/other")
    body = seeder.send("Update", props=seeder.props(), old=seeder.props(), physical_id=PHYSICAL_ID)
    assert body["Status"] == "FAILED"
    assert body["PhysicalResourceId"] == PHYSICAL_ID
    assert body["Reason"] == (
        f"the project's GitLab group cannot change (the repos are at ml/team/{BASE}, the stack now names "
        "group ml/other); set GitLabGroupPath back or create a new project"
    )


# --- Delete ---------------------------------------------------------------------------------------

DEPLOY_STACK_TEMPLATE = json.dumps(
    {"Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "endpoint-stand-in"}}}}
)


def live_stacks() -> set[str]:
    cfn = boto3.client("cloudformation", region_name=REGION)
    return {
        s["StackName"] for s in cfn.list_stacks()["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"
    }


@pytest.mark.parametrize("policy", ["Retain", "Archive", "Delete"])
def test_delete_applies_the_policy_revokes_the_token_and_removes_deploy_stacks(
    seeder: Seeder, policy: str
) -> None:
    props = seeder.props(RepositoryDeletionPolicy=policy)
    assert seeder.create(props=props)["Status"] == "SUCCESS"
    cfn = boto3.client("cloudformation", region_name=REGION)
    for stack in (STAGING_STACK, PROD_STACK):
        cfn.create_stack(StackName=stack, TemplateBody=DEPLOY_STACK_TEMPLATE)
    cfn.create_stack(StackName="someone-elses-stack", TemplateBody=DEPLOY_STACK_TEMPLATE)
    deploy_id = seeder.project(DEPLOY_PATH).id
    token = seeder.secret()["token"]

    body = seeder.send("Delete", props=props, physical_id=PHYSICAL_ID)

    assert body["Status"] == "SUCCESS", body["Reason"]
    assert body["PhysicalResourceId"] == PHYSICAL_ID
    assert live_stacks() == {"someone-elses-stack"}
    assert not seeder.secret_exists()
    if policy == "Delete":
        assert seeder.group_projects() == []
    else:
        assert seeder.group_projects() == [f"{BASE}-model-build", f"{BASE}-model-deploy"]
        archived = {seeder.project(p).archived for p in (BUILD_PATH, DEPLOY_PATH)}
        assert archived == {policy == "Archive"}
        assert seeder.project(DEPLOY_PATH).triggers.list(all=True) == []
        assert run_trigger(seeder, deploy_id, token).status_code == 404, "the trigger token is revoked"


def test_delete_policy_under_delayed_deletion_marks_the_repos_and_a_retry_succeeds(seeder: Seeder) -> None:
    seeder.gl_server.state.deletion = "delayed"  # GitLab >= 18's default
    props = seeder.props(RepositoryDeletionPolicy="Delete")
    assert seeder.create(props=props)["Status"] == "SUCCESS"
    build_id = seeder.project(BUILD_PATH).id

    body = seeder.send("Delete", props=props, physical_id=PHYSICAL_ID)
    assert body["Status"] == "SUCCESS", body["Reason"]
    # Marked, not removed: GitLab's grace period stays as a safety net for people's work.
    marked = seeder.gl.projects.get(build_id)
    assert marked.marked_for_deletion_on is not None
    assert marked.path.startswith(f"{BASE}-model-build-deletion_scheduled-")
    again = seeder.send("Delete", props=props, physical_id=PHYSICAL_ID)
    assert again["Status"] == "SUCCESS", again["Reason"]


def test_delete_of_what_is_already_gone_succeeds(seeder: Seeder) -> None:
    props = seeder.props(RepositoryDeletionPolicy="Delete")
    assert seeder.create(props=props)["Status"] == "SUCCESS"
    assert seeder.send("Delete", props=props, physical_id=PHYSICAL_ID)["Status"] == "SUCCESS"
    again = seeder.send("Delete", props=props, physical_id=PHYSICAL_ID)
    assert again["Status"] == "SUCCESS", again["Reason"]


def test_delete_after_archive_is_idempotent(seeder: Seeder) -> None:
    assert seeder.create()["Status"] == "SUCCESS"
    assert seeder.send("Delete", physical_id=PHYSICAL_ID)["Status"] == "SUCCESS"
    again = seeder.send("Delete", physical_id=PHYSICAL_ID)
    assert again["Status"] == "SUCCESS", again["Reason"]
    assert seeder.project(BUILD_PATH).archived is True


def test_delete_fails_clearly_when_a_deploy_stack_cannot_be_deleted(
    seeder: Seeder, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert seeder.create()["Status"] == "SUCCESS"
    cfn = boto3.client("cloudformation", region_name=REGION)
    cfn.create_stack(StackName=STAGING_STACK, TemplateBody=DEPLOY_STACK_TEMPLATE)
    real = deploy_stacks._status

    def stuck(client: Any, name: str) -> str | None:
        status = real(client, name)
        return "DELETE_FAILED" if name == STAGING_STACK and status is None else status

    monkeypatch.setattr(deploy_stacks, "_status", stuck)
    body = seeder.send("Delete", physical_id=PHYSICAL_ID)
    assert body["Status"] == "FAILED"
    assert body["Reason"] == (
        f"deploy stack {STAGING_STACK} is DELETE_FAILED; see its events, fix the cause, then delete the project again"
    )


def test_delete_says_which_stacks_are_still_deleting_when_time_runs_out(
    seeder: Seeder, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert seeder.create()["Status"] == "SUCCESS"
    cfn = boto3.client("cloudformation", region_name=REGION)
    cfn.create_stack(StackName=PROD_STACK, TemplateBody=DEPLOY_STACK_TEMPLATE)
    real = deploy_stacks._status
    started: list[str] = []

    def slow(client: Any, name: str) -> str | None:
        status = real(client, name)
        if name == PROD_STACK and (status is not None or started):
            started.append(name)
            return "DELETE_IN_PROGRESS" if len(started) > 1 else status
        return status

    monkeypatch.setattr(deploy_stacks, "_status", slow)
    body = seeder.send("Delete", physical_id=PHYSICAL_ID, seconds=6.0)
    assert body["Status"] == "FAILED"
    assert body["Reason"] == (
        f"deploy stack(s) {PROD_STACK} still deleting when the seeder ran out of time; "
        "delete the project again once they are gone"
    )


def test_an_undeliverable_response_fails_the_invocation_so_lambda_retries(
    seeder: Seeder, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(request: Any, timeout: float) -> Any:
        raise OSError("connection refused")

    monkeypatch.setattr(lifecycle.cfn_response, "_urlopen", unreachable)
    ev = event("Create", seeder.capture.url, seeder.props(SeedCodeBucket=""))
    with pytest.raises(RuntimeError, match="could not deliver the response to CloudFormation"):
        lifecycle.handle(ev, FakeContext(30), settings=FAST)


def test_archiving_with_a_maintainer_token_names_the_missing_role(seeder: Seeder) -> None:
    assert seeder.create()["Status"] == "SUCCESS"
    maintainer = seeder.gl_server.make_token(access_level=40)
    boto3.client("secretsmanager", region_name=REGION).put_secret_value(
        SecretId=seeder.token_secret_arn, SecretString=maintainer.value
    )
    body = seeder.send("Delete", physical_id=PHYSICAL_ID)
    assert body["Status"] == "FAILED"
    assert body["Reason"] == (
        f"the GitLab token needs the Owner role to archive {BUILD_PATH} (403); "
        "use an Owner token or RepositoryDeletionPolicy Retain"
    )
    # Retrying with the policy the reason suggests succeeds.
    retry = seeder.send(
        "Delete", props=seeder.props(RepositoryDeletionPolicy="Retain"), physical_id=PHYSICAL_ID
    )
    assert retry["Status"] == "SUCCESS", retry["Reason"]


def test_a_broken_aws_setup_still_gets_an_answer(seeder: Seeder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    body = seeder.create()
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("unexpected error while reading the GitLab token (NoRegionError:")


def test_the_lambda_entry_point_answers_cloudformation(seeder: Seeder) -> None:
    from seeder.handler import lambda_handler

    seeder.env(GITLAB_GROUP_PATH="ml/nope")
    ev = event("Create", seeder.capture.url, seeder.props())
    lambda_handler(ev, FakeContext(60))
    body = seeder.capture.only().body
    assert body["Status"] == "FAILED"
    assert body["Reason"] == "group 'ml/nope' not found or token lacks access"


def test_a_missing_gitlab_token_secret_points_at_the_platform_stack(seeder: Seeder) -> None:
    missing = seeder.token_secret_arn.replace("gitlab-api-token", "gone")
    seeder.env(GITLAB_TOKEN_SECRET_ARN=missing)
    body = seeder.create()
    assert body["Status"] == "FAILED"
    assert body["Reason"] == f"GitLab token secret {missing} not found; check the platform stack"


def test_update_moves_the_trigger_secret_to_a_new_name(seeder: Seeder) -> None:
    created = seeder.create()
    assert created["Status"] == "SUCCESS"
    token = seeder.secret()["token"]
    new_name = TRIGGER_SECRET + "-v2"
    body = seeder.send(
        "Update", props=seeder.props(TriggerSecretName=new_name), old=seeder.props(), physical_id=PHYSICAL_ID
    )
    assert body["Status"] == "SUCCESS", body["Reason"]
    sm = boto3.client("secretsmanager", region_name=REGION)
    moved = json.loads(sm.get_secret_value(SecretId=new_name)["SecretString"])
    assert moved["token"] == token
    assert body["Data"]["TriggerSecretArn"] == sm.describe_secret(SecretId=new_name)["ARN"]
    assert not seeder.secret_exists()


# --- 401 outside Create (issue 10.6) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_type", "policy", "role"),
    [
        ("Update", "Retain", "Maintainer"),
        ("Update", "Archive", "Owner"),
        ("Delete", "Archive", "Owner"),
        ("Delete", "Delete", "Owner"),
        ("Delete", "Retain", "Maintainer"),
    ],
)
def test_an_expired_token_during_update_or_delete_gives_the_token_fix(
    seeder: Seeder, request_type: str, policy: str, role: str
) -> None:
    props = seeder.props(RepositoryDeletionPolicy=policy)
    assert seeder.create(props=props)["Status"] == "SUCCESS"
    seeder.gl_server.expire(seeder.gl_server.token)
    old = props if request_type == "Update" else None
    body = seeder.send(request_type, props=props, old=old, physical_id=PHYSICAL_ID)
    assert body["Status"] == "FAILED"
    assert body["Reason"] == (
        f"GitLab API token expired (401); create a new GitLab group access token (api scope, {role} role) "
        f"and store it in secret {seeder.token_secret_arn}"
    )


def test_update_leaves_variables_people_scoped_to_an_environment_alone(seeder: Seeder) -> None:
    created = seeder.create()
    assert created["Status"] == "SUCCESS"
    build = seeder.project(BUILD_PATH)
    # Someone overrides two of our keys for their "production" environment (GitLab keys variables by
    # name *and* environment_scope; without filter[environment_scope] GitLab answers 409).
    build.variables.create(
        {"key": "BUILD_ROLE_ARN", "value": "theirs-prod", "environment_scope": "production"}
    )
    build.variables.create(
        {"key": "INPUT_DATA_URL", "value": "theirs-data", "environment_scope": "production"}
    )

    old = seeder.props()
    new_build = {k: v for k, v in BUILD_VARIABLES.items() if k != "INPUT_DATA_URL"}
    new_build["BUILD_ROLE_ARN"] = "arn:aws:iam::123456789012:role/renamed-build"
    new = seeder.props(BuildRepoVariables=new_build)
    body = seeder.send("Update", props=new, old=old, physical_id=PHYSICAL_ID)

    assert body["Status"] == "SUCCESS", body["Reason"]
    scoped = {(v.key, v.environment_scope): v.value for v in build.variables.list(all=True)}
    assert scoped == {
        **{(k, "*"): v for k, v in new_build.items()},
        ("BUILD_ROLE_ARN", "production"): "theirs-prod",
        ("INPUT_DATA_URL", "production"): "theirs-data",
    }


# --- deploy repo settings (C1, C2, issue 10.7) ----------------------------------------------------


def test_create_protects_prod_tags_for_maintainers_only(seeder: Seeder) -> None:
    assert seeder.create()["Status"] == "SUCCESS"
    tag = seeder.project(DEPLOY_PATH).protectedtags.get("prod-*")
    assert [level["access_level"] for level in tag.create_access_levels] == [40]


def test_a_retried_create_keeps_the_tag_protection_it_made(seeder: Seeder) -> None:
    server = seeder.gl_server
    server.inject("POST /projects/:id/repository/commits", 500, times=None)
    server.inject("DELETE /projects/:id", 500, times=None)
    assert seeder.create()["Status"] == "FAILED"  # leaves both repos, the tag protection included
    server.clear_faults()
    server.clear_log()
    assert seeder.create()["Status"] == "SUCCESS"
    calls = [r.endpoint for r in server.requests()]
    assert "POST /projects/:id/protected_tags" not in calls
    assert calls.count("GET /projects/:id/protected_tags/:name") == 1


def test_update_orders_the_resource_groups_a_pipeline_has_made(seeder: Seeder) -> None:
    from sandbox.gitlab_emulator.resource_groups import ensure_resource_group

    assert seeder.create()["Status"] == "SUCCESS"
    deploy = seeder.project(DEPLOY_PATH)
    # The first staging pipeline creates the group, in GitLab's default mode.
    ensure_resource_group(seeder.gl_server.state, seeder.gl_server.state.projects[deploy.id], "staging")
    assert deploy.resource_groups.get("staging").process_mode == "unordered"
    body = seeder.send("Update", props=seeder.props(), old=seeder.props(), physical_id=PHYSICAL_ID)
    assert body["Status"] == "SUCCESS", body["Reason"]
    assert deploy.resource_groups.get("staging").process_mode == "oldest_first"
    with pytest.raises(gitlab.exceptions.GitlabGetError):
        deploy.resource_groups.get("production")  # no prod pipeline yet: GitLab has no such group


def test_protecting_prod_tags_again_after_a_landed_post_succeeds(seeder: Seeder) -> None:
    # A retried POST whose first attempt landed (GitLab: 422 "Name has already been taken").
    from seeder import deploy_repo
    from seeder.gitlab_ops import GitLabOps, Repo
    from seeder.retry import RetryingSession

    assert seeder.create()["Status"] == "SUCCESS"
    deploy = seeder.project(DEPLOY_PATH)
    session = RetryingSession(lifecycle.Deadline(30.0, reserve=0.0), 2.0, 0.05, 0.2, 2)
    ops = GitLabOps(seeder.gl_server.url, seeder.gl_server.token, session, seeder.token_secret_arn)
    repo = Repo(deploy.id, DEPLOY_PATH, "", "", "", False, False)
    deploy_repo.protect_prod_tags(ops, repo, fresh=True)
    assert [t.name for t in deploy.protectedtags.list(all=True)] == ["prod-*"]


def test_on_gitlab_com_the_seeder_lets_the_approval_trigger_through(seeder: Seeder) -> None:
    # GitLab.com gives new projects no_one_allowed (issue 10.2): without the setting the trigger is a 400.
    seeder.gl_server.state.flavor = "gitlab.com"
    assert seeder.create()["Status"] == "SUCCESS"
    deploy = seeder.project(DEPLOY_PATH)
    assert deploy.ci_pipeline_variables_minimum_override_role == "maintainer"
    assert seeder.project(BUILD_PATH).ci_pipeline_variables_minimum_override_role == "no_one_allowed"
    reply = run_trigger(seeder, deploy.id, seeder.secret()["token"])
    assert reply.status_code == 201, reply.text


def test_on_gitlab_com_a_maintainer_token_is_told_to_use_an_owner_token(seeder: Seeder) -> None:
    seeder.gl_server.state.flavor = "gitlab.com"
    maintainer = seeder.gl_server.make_token(access_level=40)
    boto3.client("secretsmanager", region_name=REGION).put_secret_value(
        SecretId=seeder.token_secret_arn, SecretString=maintainer.value
    )
    body = seeder.create(props=seeder.props(RepositoryDeletionPolicy="Retain"))
    assert body["Status"] == "FAILED"
    assert body["Reason"] == (
        f"the GitLab token needs the Owner role to set ci_pipeline_variables_minimum_override_role of "
        f"{DEPLOY_PATH} to maintainer (GitLab.com's default for new projects, no_one_allowed, refuses the "
        "approval trigger and only an Owner may change it); store a group access token with the Owner role "
        f"in secret {seeder.token_secret_arn}; could not remove {BUILD_PATH}, {DEPLOY_PATH} (the rollback "
        "retries)"  # a Maintainer cannot delete projects either: the Owner token fixes both
    )
