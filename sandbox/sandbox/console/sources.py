"""What the console shows, read through the public APIs a real console would call.

GitLab: REST v4 through python-gitlab (projects of the group, pipelines, jobs, job traces), as the GitLab UI's
own pages read them. AWS: boto3 against the local AWS (CloudFormation DescribeStacks for the projects, the
SageMaker pipeline/registry/endpoint APIs, InvokeEndpoint, UpdateModelPackage — the call Studio makes when a
person approves, so the model-package state-change event and the trigger Lambda follow as on AWS).

The one exception is notifications: SNS has no API that reads back published messages (a subscriber receives
them), so the sandbox reads what moto records per topic (`Topic.sent_notifications`, moto's documented
internal API: https://docs.getmoto.org/en/latest/docs/services/sns.html). Reading the lifecycle's SQS inbox
instead would take its messages away from it.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

# CI job traces carry ANSI colours (gitlab-ci-local writes them); a plain page shows the text.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
APPROVAL_STATUSES = ("Approved", "Rejected", "PendingManualApproval")
PROJECT_NAME_TAG = "sagemaker:project-name"
PROJECT_ID_TAG = "sagemaker:project-id"
STAGE_TAG = "sagemaker:deployment-stage"


class NotFoundError(Exception):
    """The thing asked for does not exist; the message says which and where to look."""


class BadRequestError(Exception):
    """The request is malformed; the message says what a valid one looks like."""


def seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds(), 1)


def _name(project: Any) -> str:
    return str(getattr(project, "path_with_namespace", None) or project.get_id())


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


class Sources:
    """`aws(service)`: a boto3 client of the local AWS; `gitlab()`: a python-gitlab client (a person's).

    Clients are made once (making a boto3 client costs tens of milliseconds, the poller asks every second):
    boto3 clients are thread-safe once made, made under a lock; python-gitlab's requests session is not
    documented as thread-safe, so each thread (console request, poller) has its own.
    """

    def __init__(
        self,
        aws: Callable[[str], Any],
        gitlab: Callable[[], Any],
        group_path: str,
        region: str = "us-east-1",
    ) -> None:
        self._aws_factory, self._gitlab_factory = aws, gitlab
        self.group_path, self.region = group_path, region
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._local = threading.local()
        self._metrics: dict[str, dict[str, float]] = {}

    def aws(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._aws_factory(service)
            return self._clients[service]

    def gitlab(self) -> Any:
        client = getattr(self._local, "gitlab", None)
        if client is None:
            client = self._local.gitlab = self._gitlab_factory()
        return client

    # ---- projects (CloudFormation stacks Studio/Service Catalog created, tagged with the project) --------
    def projects(self) -> list[dict[str, Any]]:
        found = []
        for stack in self.aws("cloudformation").describe_stacks().get("Stacks", []):
            tags = {t["Key"]: t["Value"] for t in stack.get("Tags", [])}
            if PROJECT_NAME_TAG in tags and not stack["StackName"].startswith("sagemaker-"):
                found.append(
                    {
                        "name": tags[PROJECT_NAME_TAG],
                        "id": tags.get(PROJECT_ID_TAG, ""),
                        "stack": stack["StackName"],
                        "status": stack["StackStatus"],
                        "outputs": {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])},
                    }
                )
        return found

    # ---- GitLab -------------------------------------------------------------------------------------------
    def repos(self) -> list[Any]:
        client = self.gitlab()
        group = client.groups.get(self.group_path, lazy=True)
        # A group's project listing lacks the project's sub-resources (pipelines, jobs): get each project.
        listed = sorted(group.projects.list(get_all=True), key=lambda p: p.path_with_namespace)
        return [client.projects.get(p.id) for p in listed]

    def repo_handles(self) -> list[tuple[str, Any]]:
        """(path, project) without fetching each project: what the poller needs every second."""
        client = self.gitlab()
        group = client.groups.get(self.group_path, lazy=True)
        listed = sorted(group.projects.list(get_all=True), key=lambda p: p.path_with_namespace)
        return [(p.path_with_namespace, client.projects.get(p.id, lazy=True)) for p in listed]

    def repo(self, path: str) -> Any:
        import gitlab

        try:
            return self.gitlab().projects.get(path)
        except gitlab.GitlabGetError as exc:
            raise NotFoundError(f"GitLab has no project {path!r} (HTTP {exc.response_code})") from exc

    def pipelines(self, project: Any, limit: int = 10, detailed: bool = False) -> list[Any]:
        """Newest first. GitLab's pipeline list has no `duration`; `detailed` gets each pipeline for it."""
        listed = list(project.pipelines.list(per_page=limit, get_all=False))
        return [project.pipelines.get(p.id) for p in listed] if detailed else listed

    def pipeline(self, project: Any, pipeline_id: int) -> tuple[Any, list[Any]]:
        import gitlab

        try:
            pipeline = project.pipelines.get(pipeline_id)
        except gitlab.GitlabGetError as exc:
            raise NotFoundError(f"{_name(project)} has no pipeline {pipeline_id}") from exc
        jobs = sorted(pipeline.jobs.list(get_all=True), key=lambda j: j.id)
        return pipeline, jobs

    def job(self, project: Any, job_id: int) -> tuple[Any, str]:
        import gitlab

        try:
            job = project.jobs.get(job_id)
        except gitlab.GitlabGetError as exc:
            raise NotFoundError(f"{_name(project)} has no job {job_id}") from exc
        return job, strip_ansi(job.trace().decode("utf-8", "replace"))

    # ---- SageMaker pipelines ------------------------------------------------------------------------------
    def executions(self) -> list[dict[str, Any]]:
        sm = self.aws("sagemaker")
        found = []
        for summary in sm.list_pipelines().get("PipelineSummaries", []):
            name = summary["PipelineName"]
            for execution in sm.list_pipeline_executions(PipelineName=name).get(
                "PipelineExecutionSummaries", []
            ):
                found.append({"pipeline": name, **execution})
        return sorted(found, key=lambda e: e["StartTime"], reverse=True)

    def execution(self, arn: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        sm = self.aws("sagemaker")
        try:
            execution = sm.describe_pipeline_execution(PipelineExecutionArn=arn)
        except sm.exceptions.ClientError as exc:
            raise NotFoundError(f"no pipeline execution {arn!r}: {exc.response['Error']['Message']}") from exc
        steps = sm.list_pipeline_execution_steps(PipelineExecutionArn=arn, SortOrder="Ascending")
        return execution, list(steps.get("PipelineExecutionSteps", []))

    # ---- Model registry -----------------------------------------------------------------------------------
    def packages(self) -> list[dict[str, Any]]:
        sm = self.aws("sagemaker")
        found = []
        for group in sm.list_model_package_groups().get("ModelPackageGroupSummaryList", []):
            for summary in sm.list_model_packages(
                ModelPackageGroupName=group["ModelPackageGroupName"],
                SortBy="CreationTime",
                SortOrder="Descending",
            ).get("ModelPackageSummaryList", []):
                found.append(self.package(summary["ModelPackageArn"]))
        return found

    def package(self, arn: str) -> dict[str, Any]:
        sm = self.aws("sagemaker")
        try:
            package: dict[str, Any] = sm.describe_model_package(ModelPackageName=arn)
        except sm.exceptions.ClientError as exc:
            raise NotFoundError(
                f"no model package {arn!r} in the registry ({exc.response['Error']['Message']}); "
                "the registry page lists the packages that exist"
            ) from exc
        package["Metrics"] = self.metrics(package)
        return package

    def metrics(self, package: dict[str, Any]) -> dict[str, float]:
        """The ModelQuality statistics the build registered (the evaluation report), flattened to name: value."""
        uri = package.get("ModelMetrics", {}).get("ModelQuality", {}).get("Statistics", {}).get("S3Uri")
        if not uri:
            return {}
        if uri in self._metrics:  # a report is written once per execution: read it once
            return self._metrics[uri]
        bucket, _, key = str(uri).removeprefix("s3://").partition("/")
        try:
            report = json.loads(self.aws("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
        except Exception:  # a missing or unreadable report shows as no metrics, not as a broken page
            return {}
        metrics = report.get("regression_metrics", report) if isinstance(report, dict) else {}
        found = {
            name: float(value["value"])
            for name, value in metrics.items()
            if isinstance(value, dict) and isinstance(value.get("value"), int | float)
        }
        self._metrics[uri] = found
        return found

    def set_approval(self, arn: str, status: str, description: str) -> None:
        if status not in APPROVAL_STATUSES:
            raise BadRequestError(f"status must be one of {', '.join(APPROVAL_STATUSES)}, not {status!r}")
        self.package(arn)  # NotFoundError with a clear message before any change
        args: dict[str, Any] = {"ModelPackageArn": arn, "ModelApprovalStatus": status}
        if description:
            args["ApprovalDescription"] = description
        self.aws("sagemaker").update_model_package(**args)

    # ---- Endpoints ----------------------------------------------------------------------------------------
    def endpoints(self) -> list[dict[str, Any]]:
        sm = self.aws("sagemaker")
        return [
            self.endpoint(summary["EndpointName"])
            for summary in sm.list_endpoints(SortBy="Name").get("Endpoints", [])
        ]

    def endpoint(self, name: str) -> dict[str, Any]:
        sm = self.aws("sagemaker")
        try:
            endpoint: dict[str, Any] = sm.describe_endpoint(EndpointName=name)
        except sm.exceptions.ClientError as exc:
            raise NotFoundError(f"no endpoint {name!r}: {exc.response['Error']['Message']}") from exc
        tags = {
            t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=endpoint["EndpointArn"]).get("Tags", [])
        }
        endpoint["Stage"] = tags.get(STAGE_TAG, "")
        endpoint["ModelPackageArn"] = ""
        try:
            config = sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
            model = sm.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"])
            container = model.get("PrimaryContainer") or (model.get("Containers") or [{}])[0]
            endpoint["ModelPackageArn"] = container.get("ModelPackageName", "")
        except sm.exceptions.ClientError:
            pass  # a config or model being replaced: the page shows the endpoint without its package
        return endpoint

    def invoke(self, name: str, body: str, content_type: str = "text/csv") -> str:
        if not body.strip():
            raise BadRequestError("the request body is empty: give one CSV row of features per line")
        runtime = self.aws("sagemaker-runtime")
        try:
            response = runtime.invoke_endpoint(EndpointName=name, ContentType=content_type, Body=body)
        except runtime.exceptions.ClientError as exc:
            error = exc.response["Error"]
            raise BadRequestError(
                f"InvokeEndpoint failed: {error.get('Code')}: {error.get('Message')}"
            ) from exc
        return str(response["Body"].read().decode("utf-8", "replace"))

    # ---- Notifications ------------------------------------------------------------------------------------
    def notifications(self) -> list[dict[str, str]]:
        from moto.core.models import DEFAULT_ACCOUNT_ID
        from moto.sns.models import sns_backends

        found = []
        for arn, topic in sns_backends[DEFAULT_ACCOUNT_ID][self.region].topics.items():
            for message_id, message, subject, _attributes, _group in topic.sent_notifications:
                found.append(
                    {
                        "topic": arn.rsplit(":", 1)[-1],
                        "id": message_id,
                        "subject": subject or "",
                        "message": message,
                    }
                )
        return found
