"""The names and schemas in ``contracts/`` are the ones the template, the Lambdas and the seed repos use.

The template writes its names with ``!Sub``; this test renders them for a sample project and compares them
with ``contracts``, so a rename in one place that the others do not follow fails here in seconds instead of
in the end-to-end lifecycle. The seed repos cannot import ``contracts`` (each stands alone once seeded):
their names are compared here too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode_str

from contracts import ci_variables, names, trigger_secret

ROOT = Path(__file__).resolve().parents[1]
N, PID, GROUP = "abalone-demo", "p-a1b2c3d4e5f6", "ml/team"
PARAMETERS = {
    "SageMakerProjectName": N,
    "SageMakerProjectId": PID,
    "GitLabUrl": "https://gitlab.example.com",
    "GitLabHost": "gitlab.example.com",
    "GitLabGroupPath": GROUP,
    "GitLabDefaultGroup": GROUP,
    "AWS::Region": "eu-west-1",
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
}


def _resolve(value: Any, local: dict[str, str] | None = None) -> Any:
    """Render the intrinsics the template uses for names: Ref, Sub (both forms) and If (its first branch,
    i.e. the group override, which the sample sets to the same group as the default)."""
    scope = {**PARAMETERS, **(local or {})}
    if isinstance(value, dict) and len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref":
            return scope.get(arg, f"<{arg}>")
        if key == "Fn::If":
            return _resolve(arg[1], local)
        if key == "Fn::Sub":
            text, mapping = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
            inner = {k: str(_resolve(v, local)) for k, v in mapping.items()}
            merged = {**scope, **inner}
            return re.sub(r"\$\{([^}!]+)\}", lambda m: merged.get(m.group(1), m.group(0)), text)
        if key == "Fn::GetAtt":
            return f"<{arg[0] if isinstance(arg, list) else arg}>"
    if isinstance(value, dict):
        return {k: _resolve(v, local) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, local) for v in value]
    return value


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    template, matches = decode_str((ROOT / "product" / "template.yaml").read_text(encoding="utf-8"))
    assert not matches, matches
    return {name: _resolve(body) for name, body in template["Resources"].items()}


def _of_type(resources: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [body["Properties"] for body in resources.values() if body["Type"] == resource_type]


def test_model_package_group_and_pipeline_names(resources: dict[str, Any]) -> None:
    (group,) = _of_type(resources, "AWS::SageMaker::ModelPackageGroup")
    assert group["ModelPackageGroupName"] == names.model_package_group(N, PID) == f"{N}-{PID}"


def test_seeder_properties_name_the_contract_names(resources: dict[str, Any]) -> None:
    (props,) = _of_type(resources, "Custom::GitLabRepositories")
    assert props["TriggerSecretName"] == names.trigger_secret_name(N, PID)
    assert props["DeployStackNames"] == [names.deploy_stack_name(N, PID, stage) for stage in names.STAGES]
    assert set(props["BuildRepoVariables"]) == set(ci_variables.BUILD_REPO)
    assert set(props["DeployRepoVariables"]) == set(ci_variables.DEPLOY_REPO)
    for variables in (props["BuildRepoVariables"], props["DeployRepoVariables"]):
        assert variables[ci_variables.MODEL_PACKAGE_GROUP_NAME] == names.model_package_group(N, PID)
        assert variables[ci_variables.SAGEMAKER_PROJECT_NAME] == N
        assert variables[ci_variables.SAGEMAKER_PROJECT_ID] == PID
    assert props["BuildRepoVariables"][ci_variables.SAGEMAKER_PIPELINE_NAME] == names.pipeline_name(N, PID)


def test_code_repositories_point_at_the_repos_the_seeder_creates(resources: dict[str, Any]) -> None:
    urls = {
        props["GitConfig"]["RepositoryUrl"] for props in _of_type(resources, "AWS::SageMaker::CodeRepository")
    }
    assert urls == {
        f"https://gitlab.example.com/{names.repo_full_path(GROUP, N, PID, kind)}.git"
        for kind in names.REPO_KINDS
    }


def test_oidc_trusts_pin_the_repo_paths_the_seeder_creates(resources: dict[str, Any]) -> None:
    subjects: set[str] = set()
    for props in _of_type(resources, "AWS::IAM::Role"):
        document = props["AssumeRolePolicyDocument"]
        if isinstance(document, str):
            document = json.loads(document)
        for statement in document["Statement"]:
            for operator in statement.get("Condition", {}).values():
                subjects |= {
                    v
                    for k, v in operator.items()
                    if k.endswith(":sub")
                    for v in ([v] if isinstance(v, str) else v)
                }
    project_paths = {subject.split(":")[1] for subject in subjects}
    assert project_paths == {names.repo_full_path(GROUP, N, PID, kind) for kind in names.REPO_KINDS}


def test_the_deploy_repo_uses_the_contract_stack_names_and_variables() -> None:
    from deployer import resolve, settings

    env = {key: f"value-of-{key}" for key in ci_variables.DEPLOY_REPO}
    env |= {ci_variables.SAGEMAKER_PROJECT_NAME: N, ci_variables.SAGEMAKER_PROJECT_ID: PID}
    project = settings.project_settings(env)
    for stage in names.STAGES:
        assert project.stack_name(stage) == names.deploy_stack_name(N, PID, stage)
    assert settings.STAGES == names.STAGES
    assert resolve.DEPLOY_REASONS == ci_variables.DEPLOY_REASONS


def test_the_trigger_sends_the_contract_pipeline_variables() -> None:
    from trigger.decisions import Deploy, DeployReason

    deploy = Deploy(package_arn="arn:pkg/1", version=1, reason=DeployReason.APPROVED, event_id="e-1")
    assert tuple(deploy.pipeline_variables()) == ci_variables.PIPELINE_VARIABLES
    assert {reason.value for reason in DeployReason} <= set(ci_variables.DEPLOY_REASONS)


def test_the_seeder_builds_the_same_repo_names() -> None:
    from seeder import names as seeder_names

    for kind in names.REPO_KINDS:
        assert seeder_names.repo_full_path(GROUP, N, PID, kind) == names.repo_full_path(GROUP, N, PID, kind)


def test_names_for_a_worst_case_project_fit_the_services_limits() -> None:
    longest = "a" * names.PROJECT_NAME_MAX
    assert len(names.endpoint_name(longest, PID, "staging")) <= 63  # SageMaker EndpointName limit
    assert len(names.repo_name(longest, PID, "deploy")) <= 255  # GitLab project path limit


@pytest.mark.parametrize("kind", ["", "Build", "serve"])
def test_unknown_repo_kinds_and_stages_are_refused(kind: str) -> None:
    with pytest.raises(ValueError, match="unknown repo kind"):
        names.repo_name(N, PID, kind)
    with pytest.raises(ValueError, match="unknown stage"):
        names.endpoint_name(N, PID, kind)


def test_project_id_pattern_is_studios_format() -> None:
    assert names.PROJECT_ID_PATTERN.match("p-abcdefghijkl")
    for wrong in ("abcdefghijkl", "p-ABCDEFGHIJKL", "p-abcdefghijk", "p-abcdefghijklm", "p-abcdefghijkl\n"):
        assert not names.PROJECT_ID_PATTERN.match(wrong), wrong


def test_trigger_secret_round_trips_and_hides_its_token() -> None:
    secret = trigger_secret.TriggerSecret("https://gitlab.example.com", 42, "glptt-secret-value")
    parsed = trigger_secret.parse("s", secret.to_json())
    assert parsed == secret
    assert parsed.ref == names.DEFAULT_BRANCH
    assert "glptt-secret-value" not in repr(parsed)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not json", "it is not JSON"),
        ("[1]", "it is not an object"),
        ('{"gitlab_url": "ftp://x", "project_id": 1, "token": "t"}', "gitlab_url"),
        ('{"gitlab_url": "https://x", "project_id": true, "token": "t"}', "project_id"),
        ('{"gitlab_url": "https://x", "project_id": 0, "token": "t"}', "project_id"),
        ('{"gitlab_url": "https://x", "project_id": 1, "ref": "", "token": "t"}', "ref"),
        ('{"gitlab_url": "https://x", "project_id": 1, "token": ""}', "token missing"),
    ],
)
def test_trigger_secret_errors_name_the_field_and_never_the_value(text: str, reason: str) -> None:
    with pytest.raises(trigger_secret.SecretFormatError) as error:
        trigger_secret.parse("sagemaker-gitlab/x/deploy-trigger", text)
    assert reason in str(error.value)
    assert "sagemaker-gitlab/x/deploy-trigger" in str(error.value)


def test_jsonlog_writes_one_json_object_per_line(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from contracts import jsonlog

    logger = logging.getLogger("contracts-test")
    jsonlog.setup(logger)
    with caplog.at_level(logging.INFO, logger="contracts-test"):
        jsonlog.log(logger, "repo.created", path="ml/team/x", calls=2)
    (record,) = caplog.records
    assert json.loads(record.getMessage()) == {"event": "repo.created", "path": "ml/team/x", "calls": 2}


def test_the_template_pins_the_project_id_to_studios_format() -> None:
    """Issue 12.3: with id ``abcdefghijkl`` the stack's ``*-<id>`` grants would match project
    ``p-abcdefghijkl``'s resources. CloudFormation matches AllowedPattern against the whole value."""
    template, _ = decode_str((ROOT / "product" / "template.yaml").read_text(encoding="utf-8"))
    parameter = template["Parameters"]["SageMakerProjectId"]
    pattern = re.compile(parameter["AllowedPattern"])
    assert (parameter["MinLength"], parameter["MaxLength"]) == (14, 14)
    for candidate in (
        "p-abcdefghijkl",
        "p-0123456789ab",
        "abcdefghijkl",
        "p-abcdefghijk",
        "p-ABCDEFGHIJKL",
        "x-abcdefghijkl",
    ):
        assert bool(pattern.fullmatch(candidate)) == bool(names.PROJECT_ID_PATTERN.match(candidate)), (
            candidate
        )
    assert not pattern.fullmatch("abcdefghijkl")


def test_the_seeder_reads_exactly_the_environment_the_template_sets(resources: dict[str, Any]) -> None:
    # Contract C3: the platform values and the project's identity reach the seeder through its own
    # environment only, and the custom resource no longer carries them.
    from seeder import environment

    variables = resources["SeederFunction"]["Properties"]["Environment"]["Variables"]
    assert set(variables) == set(environment.VARIABLES)
    assert variables[environment.GITLAB_GROUP_PATH] == GROUP
    assert variables[environment.SAGEMAKER_PROJECT_NAME] == N
    assert variables[environment.SAGEMAKER_PROJECT_ID] == PID
    assert variables[environment.PROJECT_STACK_ID] == "<AWS::StackId>"
    (props,) = _of_type(resources, "Custom::GitLabRepositories")
    assert not {"GitLabUrl", "GitLabTokenSecretArn", "GitLabGroupPath"} & set(props)


def test_the_seeder_protects_the_tags_the_prod_role_trusts(resources: dict[str, Any]) -> None:
    # Contract C1: the prod trust's ref pattern is the tag pattern only Maintainers may create.
    from seeder import deploy_repo

    trust = json.loads(resources["DeployProdRole"]["Properties"]["AssumeRolePolicyDocument"])
    (statement,) = trust["Statement"]
    (subject,) = statement["Condition"]["StringLike"].values()
    assert subject.endswith(f":ref_type:tag:ref:{deploy_repo.PROD_TAG_PATTERN}")
    assert deploy_repo.MAINTAINER_ACCESS == 40  # GitLab's Maintainer access level


def test_the_seeder_orders_the_resource_groups_the_deploy_repo_uses() -> None:
    import yaml

    from seeder import deploy_repo

    ci = yaml.safe_load((ROOT / "seed_deploy_repo" / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    used = {job["resource_group"] for job in ci.values() if isinstance(job, dict) and "resource_group" in job}
    assert used == set(deploy_repo.RESOURCE_GROUPS)
