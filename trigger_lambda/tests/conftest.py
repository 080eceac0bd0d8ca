"""Fixtures for the trigger Lambda's tests: moto (SageMaker registry, Secrets Manager, SNS -> SQS) and the
event corpus under ``events/``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

REGION = "us-east-1"
GROUP = "abalone-p-abcdefghijkl"
SECRET_NAME = f"sagemaker-gitlab/{GROUP}/deploy-trigger"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


@pytest.fixture
def make_registry(aws: None) -> Callable[[list[str]], list[str]]:
    """Create the group and one package per status, in version order; returns their ARNs."""

    def make(statuses: list[str], group: str = GROUP) -> list[str]:
        sm = boto3.client("sagemaker", region_name=REGION)
        sm.create_model_package_group(ModelPackageGroupName=group)
        arns = []
        for status in statuses:
            answer = sm.create_model_package(
                ModelPackageGroupName=group,
                ModelApprovalStatus=status,
                InferenceSpecification={
                    "Containers": [{"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgb:1.7-1"}],
                    "SupportedContentTypes": ["text/csv"],
                    "SupportedResponseMIMETypes": ["text/csv"],
                },
            )
            arns.append(answer["ModelPackageArn"])
        return arns

    return make


@dataclass
class Inbox:
    topic_arn: str
    queue_url: str

    def messages(self) -> list[dict[str, Any]]:
        """SNS envelopes delivered to the subscribed queue (Subject, Message, ...)."""
        sqs = boto3.client("sqs", region_name=REGION)
        answer = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        return [json.loads(m["Body"]) for m in answer.get("Messages", [])]


@pytest.fixture
def inbox(aws: None) -> Inbox:
    """The project's notification topic with an SQS queue subscribed, to read what people would get."""
    sns = boto3.client("sns", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    topic_arn = sns.create_topic(Name=f"{GROUP}-notifications")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="people")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return Inbox(topic_arn, queue_url)


DEPLOY_CI = """\
# Minimal deploy repo CI for the trigger tests: the emulator records pipelines, it runs no jobs here.
deploy:
  script: echo "deploy $MODEL_PACKAGE_ARN"
  rules:
    - if: $CI_PIPELINE_SOURCE == "trigger"
"""


@dataclass
class DeployProject:
    """The deploy repo in the GitLab emulator, with its pipeline trigger token."""

    server: Any  # sandbox.gitlab_emulator.pytest_plugin.GitLabServer
    project_id: int
    trigger_token: str

    @property
    def project(self) -> Any:
        return self.server.client().projects.get(self.project_id)

    def pipelines(self) -> list[dict[str, Any]]:
        """The deploy repo's triggered pipelines with their variables, read back through python-gitlab.

        (The emulator also records a ``push`` pipeline for the seeding commit, as GitLab would start one.)
        """
        project = self.project
        found = []
        for pipeline in project.pipelines.list(get_all=True, source="trigger"):
            variables = {v.key: v.value for v in pipeline.variables.list(get_all=True)}
            found.append(
                {"id": pipeline.id, "source": pipeline.source, "ref": pipeline.ref, "variables": variables}
            )
        return found

    def secret(self, **overrides: Any) -> str:
        data = {
            "gitlab_url": self.server.url,
            "project_id": self.project_id,
            "ref": "main",
            "token": self.trigger_token,
        }
        data.update(overrides)
        return json.dumps(data)


@pytest.fixture
def deploy_project(gitlab_server: Any) -> DeployProject:
    """``ml/team/<group>-model-deploy`` with a CI file on main and a pipeline trigger, made through the API."""
    gl = gitlab_server.client()
    group = gl.groups.get(gitlab_server.group_path)
    project = gl.projects.create(
        {"name": f"{GROUP}-model-deploy", "path": f"{GROUP}-model-deploy", "namespace_id": group.id}
    )
    project.commits.create(
        {
            "branch": "main",
            "commit_message": "seed",
            "actions": [{"action": "create", "file_path": ".gitlab-ci.yml", "content": DEPLOY_CI}],
        }
    )
    trigger = project.triggers.create({"description": "sagemaker approval trigger"})
    gitlab_server.clear_log()
    return DeployProject(gitlab_server, project.id, trigger.token)


@dataclass
class TriggerRig:
    """Everything the handler talks to, wired through its real environment variables."""

    deploy: DeployProject
    inbox: Inbox
    make_registry: Callable[..., list[str]]

    def set_secret(self, text: str) -> None:
        boto3.client("secretsmanager", region_name=REGION).put_secret_value(
            SecretId=SECRET_NAME, SecretString=text
        )

    def rotate_token(self) -> str:
        """What the seeder's Update does: a new trigger token replaces the others and goes into the secret."""
        project = self.deploy.project
        new_token = str(project.triggers.create({"description": "rotated"}).token)
        for t in project.triggers.list(get_all=True):
            if t.description != "rotated":
                t.delete()
        self.set_secret(self.deploy.secret(token=new_token))
        return new_token


@pytest.fixture
def rig(
    aws: None,
    monkeypatch: pytest.MonkeyPatch,
    deploy_project: DeployProject,
    inbox: Inbox,
    make_registry: Callable[..., list[str]],
) -> TriggerRig:
    import trigger.handler

    boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name=SECRET_NAME, SecretString=deploy_project.secret()
    )
    monkeypatch.setenv("TRIGGER_SECRET_NAME", SECRET_NAME)
    monkeypatch.setenv("MODEL_PACKAGE_GROUP_NAME", GROUP)
    monkeypatch.setenv("NOTIFICATION_TOPIC_ARN", inbox.topic_arn)
    # A fresh "container" per test: the handler's warm state is module-level.
    monkeypatch.setattr(trigger.handler, "_runtime", None)
    return TriggerRig(deploy_project, inbox, make_registry)
