"""The resource ARN and condition keys of a request, per service, as IAM authorises it.

moto authorises most actions against resource `*`, so a policy scoped to `arn:...:endpoint/proj-*` could
never be checked. This module names the resource each action acts on, from the request's parameters, in
the ARN formats of the Service Authorization Reference
(https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html):
SageMaker `arn:aws:sagemaker:<region>:<account>:<type>/<name>` (SageMaker lowercases the name in ARNs,
https://docs.aws.amazon.com/sagemaker/latest/dg/security_iam_service-with-iam.html), Lambda
`function:<name>`, CloudWatch Logs `log-group:<group>[:log-stream:<stream>]`, CloudFormation
`stack/<name>/<id>`, IAM `role/<path><name>`, SQS `<queue name>`, SNS the topic ARN, EventBridge
`event-bus/<name>` and `rule/<name>`, ECR `repository/<name>`, CloudWatch `alarm:<name>`, Secrets Manager
and KMS their ARNs as stored. An action this table does not know is evaluated against `*`, which only a
`Resource: "*"` statement matches (so an unknown resource errs toward refusal, never toward allowing).

Condition keys set: aws:SecureTransport (true: SDKs call AWS over HTTPS), aws:PrincipalArn,
aws:PrincipalAccount, aws:RequestedRegion, aws:RequestTag/<k> and aws:TagKeys from a request's Tags,
aws:ResourceTag/<k> from the SageMaker resource's tags, cloudformation:RoleArn, iam:PermissionsBoundary.
Roles passed to a service (RoleArn, ExecutionRoleArn, RoleARN, Role) are checked as `iam:PassRole` with
iam:PassedToService (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

Params = Callable[[str], Any]

SAGEMAKER_TYPES = {
    # parameter -> ARN resource type
    "ModelPackageGroupName": "model-package-group",
    "PipelineName": "pipeline",
    "EndpointName": "endpoint",
    "EndpointConfigName": "endpoint-config",
    "ModelName": "model",
    "TrainingJobName": "training-job",
    "ProcessingJobName": "processing-job",
    "ProjectName": "project",
    "MonitoringScheduleName": "monitoring-schedule",
    "CodeRepositoryName": "code-repository",
    "ExperimentName": "experiment",
    "TrialName": "experiment-trial",
}
SAGEMAKER_ARN_PARAMS = ("PipelineExecutionArn", "ModelPackageArn", "ResourceArn", "ModelPackageName")
PASSED_ROLE_PARAMS = {
    "sagemaker": ("RoleArn", "ExecutionRoleArn"),
    "cloudformation": ("RoleARN",),
    "lambda": ("Role",),
    "events": (),
}
# moto's name for an S3 operation -> the IAM action S3 authorises it as (the "Permissions" section of each
# operation in the S3 API Reference, e.g. https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html:
# "you must have permissions to perform the s3:ListBucket action").
S3_PERMISSIONS = {
    "HeadBucket": "ListBucket",
    "HeadObject": "GetObject",
    "PostObject": "PutObject",
    "CreateMultipartUpload": "PutObject",
    "UploadPartCopy": "PutObject",
    "CopyObject": "PutObject",
    "DeleteObjects": "DeleteObject",
    "ListObjects": "ListBucket",
    "ListObjectsV2": "ListBucket",
    "ListObjectVersions": "ListBucketVersions",
    "ListBuckets": "ListAllMyBuckets",
    "ListParts": "ListMultipartUploadParts",
    "ListMultipartUploads": "ListBucketMultipartUploads",
    "GetBucketEncryption": "GetEncryptionConfiguration",
    "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
    "GetBucketCors": "GetBucketCORS",
    "GetBucketNotificationConfiguration": "GetBucketNotification",
    "GetBucketReplication": "GetReplicationConfiguration",
    "GetObjectAttributes": "GetObject",
    "SelectObjectContent": "GetObject",
}
SERVICE_PRINCIPALS = {
    "sagemaker": "sagemaker.amazonaws.com",
    "cloudformation": "cloudformation.amazonaws.com",
    "lambda": "lambda.amazonaws.com",
    "events": "events.amazonaws.com",
}


def _sagemaker(action: str, params: Params, region: str, account: str) -> str:
    for name in SAGEMAKER_ARN_PARAMS:
        value = params(name)
        if isinstance(value, str) and value.startswith("arn:"):
            return value
    if action == "CreateModelPackage" and params("ModelPackageGroupName"):
        # A versioned package is authorised on its group's package ARN (model-package/<group>/*).
        return f"arn:aws:sagemaker:{region}:{account}:model-package/{str(params('ModelPackageGroupName')).lower()}/*"
    for name, kind in SAGEMAKER_TYPES.items():
        value = params(name)
        if isinstance(value, str) and value:
            return f"arn:aws:sagemaker:{region}:{account}:{kind}/{value.lower()}"
    return "*"


def _logs(action: str, params: Params, region: str, account: str) -> str:
    group = params("logGroupName")
    if not group:
        return "*"
    stream = params("logStreamName")
    base = f"arn:aws:logs:{region}:{account}:log-group:{group}"
    if stream:
        return f"{base}:log-stream:{stream}"
    return base if action in ("CreateLogGroup", "DeleteLogGroup", "PutRetentionPolicy") else f"{base}:*"


def _cloudformation(action: str, params: Params, region: str, account: str) -> str:
    name = params("StackName")
    if not name:
        return "*"
    if str(name).startswith("arn:"):
        return str(name)
    from moto.cloudformation.models import cloudformation_backends

    backend = cloudformation_backends[account][region]
    for stack in list(backend.stacks.values()):
        if stack.name == name and stack.status != "DELETE_COMPLETE":
            return str(stack.stack_id)
    return f"arn:aws:cloudformation:{region}:{account}:stack/{name}/*"


def _iam(action: str, params: Params, region: str, account: str) -> str:
    name = params("RoleName")
    if name:
        return f"arn:aws:iam::{account}:role{params('Path') or _role_path(account, str(name))}{name}"
    arn = params("PolicyArn")
    return str(arn) if arn else "*"


def _role_path(account: str, name: str) -> str:
    from moto.iam.models import iam_backends

    role = iam_backends[account]["aws"].roles.get(name)
    if role is None:
        for candidate in iam_backends[account]["aws"].roles.values():
            if candidate.name == name:
                role = candidate
    return str(role.path) if role is not None else "/"


def _simple(template: str, param: str) -> Callable[[str, Params, str, str], str]:
    def resolve(action: str, params: Params, region: str, account: str) -> str:
        value = params(param)
        if not value:
            return "*"
        if str(value).startswith("arn:"):
            return str(value)
        return template.format(region=region, account=account, value=value)

    return resolve


def _sqs(action: str, params: Params, region: str, account: str) -> str:
    url = params("QueueUrl")
    name = str(url).rstrip("/").rsplit("/", 1)[-1] if url else params("QueueName")
    return f"arn:aws:sqs:{region}:{account}:{name}" if name else "*"


def _events(action: str, params: Params, region: str, account: str) -> str:
    if action == "PutEvents":
        entries = params("Entries") or [{}]
        bus = (entries[0] or {}).get("EventBusName") or "default"
        return bus if bus.startswith("arn:") else f"arn:aws:events:{region}:{account}:event-bus/{bus}"
    rule = params("Name") or params("Rule")
    return f"arn:aws:events:{region}:{account}:rule/{rule}" if rule else "*"


def _kms(action: str, params: Params, region: str, account: str) -> str:
    key = params("KeyId")
    if not key:
        return "*"
    from moto.kms.models import kms_backends

    backend = kms_backends[account][region]
    try:
        return str(backend.describe_key(str(key)).arn)
    except Exception:  # an unknown key: KMS answers NotFound after authorisation against the given id
        return str(key) if str(key).startswith("arn:") else f"arn:aws:kms:{region}:{account}:key/{key}"


def _secretsmanager(action: str, params: Params, region: str, account: str) -> str:
    secret = params("SecretId") or params("Name")
    if not secret:
        return "*"
    from moto.secretsmanager.models import secretsmanager_backends

    backend = secretsmanager_backends[account][region]
    for stored in backend.secrets.values():
        if str(secret) in (stored.arn, stored.name):
            return str(stored.arn)
    return (
        str(secret)
        if str(secret).startswith("arn:")
        else f"arn:aws:secretsmanager:{region}:{account}:secret:{secret}-??????"
    )


def _cloudwatch(action: str, params: Params, region: str, account: str) -> str:
    """One named alarm (`alarm:<name>`, Service Authorization Reference, Amazon CloudWatch); otherwise "*"."""
    names = params("AlarmNames")
    if isinstance(names, list):
        name = names[0] if len(names) == 1 else None
    else:  # query protocol: AlarmNames.member.N
        name = params("AlarmNames.member.1") if not params("AlarmNames.member.2") else None
    name = name or params("AlarmName")
    return f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}" if name else "*"


# SigV4 signing names that differ from the IAM service prefix (botocore's service models, `signingName`).
IAM_PREFIXES = {"monitoring": "cloudwatch"}

RESOLVERS: dict[str, Callable[[str, Params, str, str], str]] = {
    "monitoring": _cloudwatch,
    "sagemaker": _sagemaker,
    "logs": _logs,
    "cloudformation": _cloudformation,
    "iam": _iam,
    "lambda": _simple("arn:aws:lambda:{region}:{account}:function:{value}", "FunctionName"),
    "sns": _simple("{value}", "TopicArn"),
    "sqs": _sqs,
    "events": _events,
    "kms": _kms,
    "secretsmanager": _secretsmanager,
    "ecr": _simple("arn:aws:ecr:{region}:{account}:repository/{value}", "repositoryName"),
    "sts": _simple("{value}", "RoleArn"),
}


def iam_action(service: str, operation: str) -> str:
    """The IAM action an operation is authorised as (the operation's name, except for S3's table above)."""
    if service == "s3":
        return f"s3:{S3_PERMISSIONS.get(operation, operation)}"
    return f"{IAM_PREFIXES.get(service, service)}:{operation}"


def resource_of(service: str, action: str, params: Params, region: str, account: str) -> str:
    resolver = RESOLVERS.get(service)
    return resolver(action, params, region, account) if resolver else "*"


def _tags(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, list):
        return {str(t.get("Key", t.get("key"))): str(t.get("Value", t.get("value"))) for t in value if t}
    return {}


def resource_tags(service: str, resource: str, account: str, region: str) -> dict[str, str]:
    """The tags IAM sees as aws:ResourceTag/<key>: here for SageMaker resources (moto's tag store)."""
    if service != "sagemaker" or not resource.startswith("arn:") or "*" in resource:
        return {}
    from moto.sagemaker.models import sagemaker_backends

    try:
        tags = sagemaker_backends[account][region].list_tags(resource)
    except Exception:  # a resource that does not exist (yet) has no tags
        return {}
    tag_list = tags[0] if isinstance(tags, tuple) else tags
    return _tags(tag_list)


def context_of(
    service: str, params: Params, resource: str, principal_arn: str, account: str, region: str
) -> dict[str, list[str]]:
    context: dict[str, list[str]] = {
        "aws:SecureTransport": ["true"],
        "aws:PrincipalArn": [principal_arn],
        "aws:PrincipalAccount": [account],
        "aws:RequestedRegion": [region],
    }
    request_tags = _tags(params("Tags"))
    if request_tags:
        context["aws:TagKeys"] = list(request_tags)
        for key, value in request_tags.items():
            context[f"aws:RequestTag/{key}"] = [value]
    for key, value in resource_tags(service, resource, account, region).items():
        context[f"aws:ResourceTag/{key}"] = [value]
    if service == "cloudformation" and params("RoleARN"):
        context["cloudformation:RoleArn"] = [str(params("RoleARN"))]
    if service == "iam" and params("PermissionsBoundary"):
        context["iam:PermissionsBoundary"] = [str(params("PermissionsBoundary"))]
    return context


def passed_roles(service: str, params: Params) -> list[str]:
    """Role ARNs the request passes to the service (each needs iam:PassRole)."""
    return [str(params(p)) for p in PASSED_ROLE_PARAMS.get(service, ()) if params(p)]


def json_params(body: bytes | str | None) -> dict[str, Any]:
    try:
        value = json.loads(body or "{}")
    except (ValueError, TypeError):
        return {}
    return value if isinstance(value, dict) else {}
