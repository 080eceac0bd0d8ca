"""The GitLab emulator's runner: gitlab-ci-local runs pushed .gitlab-ci.yml files; python-gitlab sees the result."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from sandbox import oidc
from sandbox.ci_runner import GitlabCiLocalRunner

CI_FILE = """
stages: [build, deploy, prod, verify]
variables:
  FROM_YAML: yaml
build:
  stage: build
  id_tokens:
    AWS_ID_TOKEN:
      aud: sts.amazonaws.com
  script:
    - echo "project=$PROJECT_VAR group=$GROUP_VAR yaml=$FROM_YAML override=$OVERRIDE source=$CI_PIPELINE_SOURCE"
    - echo "secret=$SECRET_VAR"
    - echo "$AWS_ID_TOKEN" > token.txt
    - echo "BUILT_FROM=$CI_COMMIT_SHA" > build.env
    - mkdir -p out && echo artifact-content > out/model.txt
  artifacts:
    paths: [out/, token.txt]
    reports:
      dotenv: build.env
deploy:
  stage: deploy
  rules:
    - if: $CI_PIPELINE_SOURCE == "trigger"
  script: [echo deploying]
prod:
  stage: prod
  when: manual
  script:
    - echo "prod sees $(cat out/model.txt) from $BUILT_FROM"
verify:
  stage: verify
  needs: [prod]
  script: [echo verified]
"""


@pytest.fixture
def ci(start_ci: Any) -> Any:
    return start_ci(group_variables={"GROUP_VAR": "group", "OVERRIDE": "from-group"})


def _project(ci: Any, ci_file: str = CI_FILE) -> Any:
    project = ci.project()
    project.variables.create({"key": "PROJECT_VAR", "value": "project"})
    project.variables.create({"key": "OVERRIDE", "value": "from-project"})
    project.variables.create({"key": "SECRET_VAR", "value": "s3cr3t-value-1234", "masked": True})
    ci.commit_ci_file(project, ci_file)
    return project


def _trace(project: Any, pipeline: Any, name: str) -> str:
    job = next(j for j in pipeline.jobs.list(get_all=True) if j.name == name)
    return project.jobs.get(job.id).trace().decode()


def test_push_runs_the_pipeline_with_variables_masking_and_an_id_token(ci: Any) -> None:
    project = _project(ci)
    [pipeline] = project.pipelines.list(get_all=True)
    ci.wait(pipeline)
    jobs = {j.name: j.status for j in pipeline.jobs.list(get_all=True)}
    # The trigger-only job is not part of a push pipeline; the manual job waits, and so does its follower.
    assert jobs == {"build": "success", "prod": "manual", "verify": "created"}
    assert pipeline.status == "success"
    trace = _trace(project, pipeline, "build")
    # Project variables beat group variables, which beat .gitlab-ci.yml variables (GitLab's precedence).
    assert "project=project group=group yaml=yaml override=from-project source=push" in trace
    assert "secret=[MASKED]" in trace
    assert "s3cr3t-value-1234" not in trace
    # The id token: a JWT for this project's main branch with the audience the job asked for.
    checkout = ci.runner.runs[pipeline.id].checkout
    token = (checkout / ".gitlab-ci-local" / "artifacts" / "build" / "token.txt").read_text().strip()
    claims = oidc.decode_unverified(token)
    assert claims["sub"] == "project_path:ml/team/p:ref_type:branch:ref:main"
    assert claims["aud"] == "sts.amazonaws.com"
    assert claims["project_id"] == str(project.id)
    assert claims["iss"] == ci.server.url
    header = base64.urlsafe_b64decode(token.split(".")[0] + "==")
    assert b'"RS256"' in header


def test_trigger_pipeline_runs_trigger_rules_and_pipeline_variables_win(ci: Any) -> None:
    project = _project(ci)
    ci.wait()
    trigger = project.triggers.create({"description": "deploy"})
    triggered = project.trigger_pipeline("main", trigger.token, variables={"OVERRIDE": "from-pipeline"})
    pipeline = project.pipelines.get(triggered.id)
    ci.wait(pipeline)
    jobs = {j.name: j.status for j in pipeline.jobs.list(get_all=True)}
    assert jobs["deploy"] == "success"
    assert "override=from-pipeline source=trigger" in _trace(project, pipeline, "build")


def test_playing_the_manual_job_runs_it_with_earlier_artifacts_then_its_followers(ci: Any) -> None:
    project = _project(ci)
    [pipeline] = project.pipelines.list(get_all=True)
    ci.wait(pipeline)
    prod = next(j for j in pipeline.jobs.list(get_all=True) if j.name == "prod")
    project.jobs.get(prod.id, lazy=True).play()
    ci.wait(pipeline)
    jobs = {j.name: j.status for j in pipeline.jobs.list(get_all=True)}
    assert jobs == {"build": "success", "prod": "success", "verify": "success"}
    sha = project.commits.list()[0].id
    assert f"prod sees artifact-content from {sha}" in _trace(project, pipeline, "prod")


def test_a_failing_job_fails_the_pipeline_and_skips_later_jobs(ci: Any) -> None:
    ci_file = "stages: [a, b]\nfirst:\n  stage: a\n  script: [echo boom, exit 3]\nsecond:\n  stage: b\n  script: [echo never]\n"
    project = _project(ci, ci_file)
    [pipeline] = project.pipelines.list(get_all=True)
    ci.wait(pipeline)
    jobs = {j.name: j.status for j in pipeline.jobs.list(get_all=True)}
    assert jobs == {"first": "failed", "second": "skipped"}
    assert pipeline.status == "failed"
    assert "boom" in _trace(project, pipeline, "first")


TAG_CI_FILE = """
resolve-prod:
  rules:
    - if: $CI_COMMIT_TAG =~ /^prod-/
  id_tokens:
    AWS_ID_TOKEN:
      aud: sts.amazonaws.com
  script:
    - echo "tag=$CI_COMMIT_TAG branch=${CI_COMMIT_BRANCH:-none} ref=$CI_COMMIT_REF_NAME protected=$CI_COMMIT_REF_PROTECTED"
    - echo "prod=${PROD_SECRET:-absent}"
deploy-staging:
  rules:
    - if: $CI_COMMIT_BRANCH == "main"
  script: [echo "staging on $CI_COMMIT_BRANCH"]
"""


def test_a_protected_tag_runs_its_tag_pipeline_with_a_tag_id_token(ci: Any) -> None:
    signed = _record_signed(ci.runner)
    project = _project(ci, TAG_CI_FILE)
    project.protectedtags.create({"name": "prod-*", "create_access_level": 40})
    project.variables.create({"key": "PROD_SECRET", "value": "only-on-protected", "protected": True})
    [branch_pipeline] = project.pipelines.list(get_all=True)
    ci.wait(branch_pipeline)
    assert {j.name for j in branch_pipeline.jobs.list(get_all=True)} == {"deploy-staging"}
    project.tags.create({"tag_name": "prod-1", "ref": "main"})
    tag_pipeline = next(p for p in project.pipelines.list(get_all=True) if p.ref == "prod-1")
    ci.wait(tag_pipeline)
    assert tag_pipeline.status == "success"
    # gitlab-ci-local evaluated the job rules with the tag's variables: only the prod job exists.
    assert {j.name: j.status for j in tag_pipeline.jobs.list(get_all=True)} == {"resolve-prod": "success"}
    trace = _trace(project, tag_pipeline, "resolve-prod")
    assert "tag=prod-1 branch=none ref=prod-1 protected=true" in trace
    assert "prod=only-on-protected" in trace  # protected (not masked) variables reach protected tags
    [claims] = signed[tag_pipeline.id]
    assert claims["sub"] == "project_path:ml/team/p:ref_type:tag:ref:prod-1"
    expected = {"ref": "prod-1", "ref_type": "tag", "ref_path": "refs/tags/prod-1", "ref_protected": "true"}
    assert {name: claims[name] for name in expected} == expected


def test_an_unprotected_tag_gets_an_unprotected_token_and_no_protected_variables(ci: Any) -> None:
    signed = _record_signed(ci.runner)
    project = _project(ci, TAG_CI_FILE)
    project.variables.create({"key": "PROD_SECRET", "value": "only-on-protected", "protected": True})
    ci.wait()
    project.tags.create({"tag_name": "prod-2", "ref": "main"})  # no protected tag rule
    tag_pipeline = next(p for p in project.pipelines.list(get_all=True) if p.ref == "prod-2")
    ci.wait(tag_pipeline)
    trace = _trace(project, tag_pipeline, "resolve-prod")
    assert "protected=false" in trace
    assert "prod=absent" in trace
    [claims] = signed[tag_pipeline.id]
    assert (claims["sub"], claims["ref_protected"]) == (
        "project_path:ml/team/p:ref_type:tag:ref:prod-2",
        "false",
    )


def _record_signed(runner: GitlabCiLocalRunner) -> dict[int, list[dict[str, Any]]]:
    """The claims of every ID token the runner signs, by pipeline id (the runner's own temp dir is gone once
    a pipeline without manual jobs ends, so the job's copy of the token cannot be read afterwards)."""
    signed: dict[int, list[dict[str, Any]]] = {}
    sign = runner.signer.sign

    def recording(payload: dict[str, Any]) -> str:
        signed.setdefault(int(payload["pipeline_id"]), []).append(payload)
        return sign(payload)

    runner.signer.sign = recording  # type: ignore[method-assign]
    return signed
