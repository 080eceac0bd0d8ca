"""Render the IAM policy documents of a CloudFormation template with fixed, representative values.

The static IAM check (test_iam_static.py) needs concrete ARNs: every ``!Sub``/``!GetAtt``/``!Ref`` is resolved
with a fixed partition, region and account, parameter values (defaults, or the representative values given
for SSM-backed platform parameters), and the physical names and ARNs each resource type returns. The
``Ref``/``Fn::GetAtt`` return values follow the CloudFormation resource reference
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-template-resource-type-ref.html),
e.g. ``AWS::Logs::LogGroup`` ``Arn`` ends in ``:*`` and ``AWS::SQS::Queue`` ``Ref`` is the queue URL.
A reference the renderer does not know becomes ``<unresolved:...>``, which the checker reports instead of
passing it silently.
"""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

PARTITION = "aws"
REGION = "eu-west-1"
ACCOUNT = "123456789012"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"

# Values of parameters without a usable default (SSM parameter types default to the parameter's *name*).
REPRESENTATIVE = {
    "SageMakerProjectName": "abalone",
    "SageMakerProjectId": "p-abcdefghijkl",
    "GitLabUrl": "https://gitlab.example.com",
    "GitLabHost": "gitlab.example.com",
    "GitLabDefaultGroup": "ml",
    "GitLabGroup": "ml",
    "GitLabTokenSecretArn": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:platform/gitlab-token-AbCdEf",
    "OidcProviderArn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/gitlab.example.com",
    "PermissionsBoundaryArn": f"arn:aws:iam::{ACCOUNT}:policy/sagemaker-gitlab/sagemaker-gitlab-project-boundary",
    "ArtifactsBucket": "platform-artifacts-bucket",
    "ArtifactsBucketName": "platform-artifacts-bucket",
    "StudioExecutionRoleArns": f"arn:aws:iam::{ACCOUNT}:role/studio-execution",
    "ProductVersion": "9.8.7",
    "ProductTemplateUrl": "https://platform-artifacts-bucket.s3.amazonaws.com/t.yaml",
    "NotificationEmail": "team@example.com",
    "TokenAlertEmail": "platform@example.com",
    # Deploy repo's endpoint stack.
    "ModelExecutionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/sagemaker-gitlab-projects/abalone-p-abcdefghijkl-model",
}

PSEUDO = {
    "AWS::Partition": PARTITION,
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::StackName": "SC-123456789012-pp-abcdefghijklm",
    "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/SC-123456789012-pp-abcdefghijklm/0000",
    "AWS::URLSuffix": "amazonaws.com",
}

NO_VALUE = object()


@dataclass
class Policy:
    """One policy document found in a template, rendered."""

    resource: str  # logical id of the resource that holds it
    kind: str  # identity | trust | resource | key
    document: dict[str, Any]
    star_reason: str = ""  # the holder's Metadata.StarResourceReason
    key_arn: str = ""  # for key policies: the key itself ("*" in a key policy means this key)
    extra: dict[str, Any] = field(default_factory=dict)


class Renderer:
    def __init__(self, template: dict[str, Any], overrides: dict[str, str] | None = None) -> None:
        self.template = template
        self.params: dict[str, Any] = {}
        for name, spec in template.get("Parameters", {}).items():
            value = REPRESENTATIVE.get(name, spec.get("Default", f"<unresolved:Parameter {name}>"))
            if spec.get("Type") == "CommaDelimitedList" and isinstance(value, str):
                value = value.split(",")
            self.params[name] = value
        self.params.update(overrides or {})

    # ------------------------------------------------------------------ conditions
    def condition(self, name: str) -> bool:
        return bool(self._cond(self.template["Conditions"][name]))

    def _cond(self, node: Any) -> Any:
        if isinstance(node, dict) and len(node) == 1:
            ((fn, arg),) = node.items()
            if fn == "Fn::Equals":
                return self.value(arg[0]) == self.value(arg[1])
            if fn == "Fn::Not":
                return not self._cond(arg[0])
            if fn == "Fn::And":
                return all(self._cond(a) for a in arg)
            if fn == "Fn::Or":
                return any(self._cond(a) for a in arg)
            if fn == "Condition":
                return self.condition(arg)
        return self.value(node)

    # ------------------------------------------------------------------ values
    def value(self, node: Any) -> Any:
        if isinstance(node, list):
            return [v for v in (self.value(n) for n in node) if v is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((fn, arg),) = node.items()
            handler = getattr(self, "_fn_" + fn.removeprefix("Fn::").lower(), None)
            if fn == "Ref":
                return self._ref(arg)
            if fn.startswith("Fn::") and handler is not None:
                return handler(arg)
            if fn == "Condition":
                return self.condition(arg)
        out = {}
        for k, v in node.items():
            rendered = self.value(v)
            if rendered is not NO_VALUE:
                out[k] = rendered
        return out

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.params:
            return self.params[name]
        return self.attribute(name, "Ref")

    def _fn_getatt(self, arg: Any) -> Any:
        logical, attr = arg if isinstance(arg, list) else arg.split(".", 1)
        return self.attribute(logical, attr)

    def _fn_sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
        local = {k: self.value(v) for k, v in variables.items()}

        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in local:
                return str(local[name])
            if "." in name:
                return str(self._fn_getatt(name))
            return str(self._ref(name))

        return re.sub(r"\$\{([^}]+)\}", one, text)

    def _fn_join(self, arg: Any) -> str:
        return str(arg[0]).join(str(v) for v in self.value(arg[1]))

    def _fn_split(self, arg: Any) -> list[str]:
        return str(self.value(arg[1])).split(arg[0])

    def _fn_select(self, arg: Any) -> Any:
        return self.value(arg[1])[int(self.value(arg[0]))]

    def _fn_findinmap(self, arg: Any) -> Any:
        mapping, top, second = (self.value(a) for a in arg)
        return self.template["Mappings"][mapping][top][second]

    def _fn_if(self, arg: Any) -> Any:
        return self.value(arg[1] if self.condition(arg[0]) else arg[2])

    # ------------------------------------------------------------------ resources
    def attribute(self, logical: str, attr: str) -> Any:
        resource = self.template.get("Resources", {}).get(logical)
        if resource is None:
            return f"<unresolved:{logical}.{attr}>"
        kind = resource["Type"]
        props = resource.get("Properties", {})

        def name(prop: str) -> str:
            return str(self.value(props.get(prop, f"{logical.lower()}-generated")))

        arn = f"arn:{PARTITION}"
        table: dict[str, dict[str, Any]] = {
            "AWS::IAM::Role": {
                "Ref": name("RoleName"),
                "Arn": f"{arn}:iam::{ACCOUNT}:role{self.value(props.get('Path', '/'))}{name('RoleName')}",
            },
            "AWS::IAM::ManagedPolicy": {
                "Ref": f"{arn}:iam::{ACCOUNT}:policy{self.value(props.get('Path', '/'))}{name('ManagedPolicyName')}"
            },
            "AWS::S3::Bucket": {"Ref": name("BucketName"), "Arn": f"{arn}:s3:::{name('BucketName')}"},
            "AWS::SQS::Queue": {
                "Ref": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name('QueueName')}",
                "Arn": f"{arn}:sqs:{REGION}:{ACCOUNT}:{name('QueueName')}",
                "QueueName": name("QueueName"),
            },
            "AWS::SNS::Topic": {
                "Ref": f"{arn}:sns:{REGION}:{ACCOUNT}:{name('TopicName')}",
                "TopicArn": f"{arn}:sns:{REGION}:{ACCOUNT}:{name('TopicName')}",
                "TopicName": name("TopicName"),
            },
            "AWS::KMS::Key": {"Ref": KEY_ID, "Arn": f"{arn}:kms:{REGION}:{ACCOUNT}:key/{KEY_ID}"},
            "AWS::Logs::LogGroup": {
                "Ref": name("LogGroupName"),
                "Arn": f"{arn}:logs:{REGION}:{ACCOUNT}:log-group:{name('LogGroupName')}:*",
            },
            "AWS::Lambda::Function": {
                "Ref": name("FunctionName"),
                "Arn": f"{arn}:lambda:{REGION}:{ACCOUNT}:function:{name('FunctionName')}",
            },
            "AWS::Events::Rule": {
                "Ref": name("Name"),
                "Arn": f"{arn}:events:{REGION}:{ACCOUNT}:rule/{name('Name')}",
            },
            "AWS::CloudWatch::Alarm": {
                "Ref": name("AlarmName"),
                "Arn": f"{arn}:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name('AlarmName')}",
            },
            "AWS::SageMaker::ModelPackageGroup": {
                "ModelPackageGroupArn": f"{arn}:sagemaker:{REGION}:{ACCOUNT}:model-package-group/"
                + name("ModelPackageGroupName")
            },
            "AWS::SSM::Parameter": {"Ref": name("Name"), "Value": self.value(props.get("Value"))},
        }
        found = table.get(kind, {}).get(attr)
        return found if found is not None else f"<unresolved:{logical}.{attr}>"


# Where policies live, per resource type: (property path, kind). Every other property whose name ends in
# Policy/PolicyDocument/Policies is reported by policies_of() so that a new policy-bearing resource is never skipped silently.
POLICY_PROPERTIES: dict[str, list[tuple[str, str]]] = {
    "AWS::IAM::Role": [("AssumeRolePolicyDocument", "trust"), ("Policies[].PolicyDocument", "identity")],
    "AWS::IAM::ManagedPolicy": [("PolicyDocument", "identity")],
    "AWS::IAM::Policy": [("PolicyDocument", "identity")],
    "AWS::KMS::Key": [("KeyPolicy", "key")],
    "AWS::S3::BucketPolicy": [("PolicyDocument", "resource")],
    "AWS::SNS::TopicPolicy": [("PolicyDocument", "resource")],
    "AWS::SQS::QueuePolicy": [("PolicyDocument", "resource")],
}
# Properties named like policies that hold no IAM policy document.
NOT_POLICIES = {"DeletionPolicy", "UpdateReplacePolicy", "RepositoryDeletionPolicy", "RetryPolicy"}


def policies_of(template: dict[str, Any], overrides: dict[str, str] | None = None) -> Iterator[Policy]:
    renderer = Renderer(template, overrides)
    for logical, resource in template.get("Resources", {}).items():
        if "Condition" in resource and not renderer.condition(resource["Condition"]):
            continue
        props = resource.get("Properties", {})
        known = POLICY_PROPERTIES.get(resource["Type"], [])
        known_roots = {path.split("[")[0] for path, _ in known}
        for prop in props:
            policy_like = prop.endswith(("Policy", "PolicyDocument", "Policies"))
            if policy_like and prop not in known_roots and prop not in NOT_POLICIES:
                raise AssertionError(f"{logical}: property {prop} may hold a policy the check does not read")
        star_reason = str(resource.get("Metadata", {}).get("StarResourceReason", ""))
        for path, kind in known:
            if path.endswith("[].PolicyDocument"):
                documents = [p["PolicyDocument"] for p in props.get(path.split("[")[0], [])]
            elif path in props:
                documents = [props[path]]
            else:
                documents = []
            for raw in documents:
                document = renderer.value(raw)
                if isinstance(document, str):  # trust documents written as !Sub JSON strings
                    document = json.loads(document)
                key_arn = str(renderer.attribute(logical, "Arn")) if kind == "key" else ""
                yield Policy(logical, kind, document, star_reason, key_arn)
