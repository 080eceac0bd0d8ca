"""CloudFormation resource types the product uses that moto's CloudFormation skipped, each applied to moto's
own service backend so the resource really exists in the local AWS (and is removed with the stack).

Sources (CloudFormation template reference, properties and Ref/GetAtt return values):
- AWS::S3::BucketPolicy (Bucket, PolicyDocument) → PutBucketPolicy; s3_policies evaluates it on requests.
  https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-s3-bucketpolicy.html
- AWS::SNS::TopicPolicy (Topics, PolicyDocument) → the topics' Policy attribute; deleting it restores the
  topic's default policy, as SNS does. .../aws-resource-sns-topicpolicy.html
- AWS::SQS::QueuePolicy (Queues = queue URLs, PolicyDocument) → the queues' Policy attribute.
  .../aws-resource-sqs-queuepolicy.html
- AWS::SNS::Subscription (TopicArn, Protocol, Endpoint, FilterPolicy, FilterPolicyScope, RawMessageDelivery,
  RedrivePolicy) → Subscribe; Ref = subscription ARN. .../aws-resource-sns-subscription.html
- AWS::CloudWatch::Alarm (metric alarm properties) → PutMetricAlarm; Ref = alarm name, GetAtt Arn.
  .../aws-resource-cloudwatch-alarm.html
- AWS::SageMaker::CodeRepository (CodeRepositoryName, GitConfig, Tags) → sagemaker_code_repositories;
  Ref = ARN, GetAtt CodeRepositoryName. .../aws-resource-sagemaker-coderepository.html
Not emulated: moto still enforces no SNS/SQS resource policies on Publish/SendMessage (they are stored and
returned by GetTopicAttributes/GetQueueAttributes); alarms are stored, not evaluated against metrics.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from sandbox.local_aws import sagemaker_code_repositories


class Resource:
    """The part of moto's CloudFormationModel protocol that ResourceMap uses; updates replace the resource.

    A subclass names its ``TYPE`` (``AWS::S3::BucketPolicy``) and, when the template may name the resource,
    the property that does (``NAME_PROPERTY``, e.g. ``AlarmName``; else the logical id names it).
    """

    TYPE: ClassVar[str]
    NAME_PROPERTY: ClassVar[str] = ""
    account_id = ""
    region_name = ""

    def __init__(self, name: str, attributes: dict[str, str] | None = None) -> None:
        self.name = name
        self.attributes = attributes or {}

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return True

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return self.attributes[attribute_name]

    def is_created(self) -> bool:
        return True

    @classmethod
    def cloudformation_type(cls) -> str:
        return cls.TYPE

    @classmethod
    def cloudformation_name_type(cls) -> str:
        return cls.NAME_PROPERTY

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> Resource:
        raise NotImplementedError

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> Resource:
        properties = cloudformation_json.get("Properties", {})
        # moto reads explicit names only for its own models; the sandbox's take theirs here.
        name = str(properties.get(cls.cloudformation_name_type()) or resource_name)
        resource = cls.create(name, properties, account_id, region_name)
        resource.account_id, resource.region_name = account_id, region_name
        return resource

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> Resource:
        # moto hands None for a resource whose Condition was false before (it was never created).
        if original_resource is not None:
            original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(
            new_resource_name, cloudformation_json, account_id, region_name
        )

    def delete(self, account_id: str, region_name: str) -> None:
        raise NotImplementedError


def _document(policy: Any) -> str:
    return policy if isinstance(policy, str) else json.dumps(policy)


class BucketPolicy(Resource):
    TYPE = "AWS::S3::BucketPolicy"

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> Resource:
        from moto.s3.models import s3_backends

        bucket = str(properties["Bucket"])
        s3_backends[account_id]["aws"].put_bucket_policy(
            bucket, _document(properties["PolicyDocument"]).encode()
        )
        return cls(bucket)

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.s3.models import s3_backends

        s3_backends[account_id]["aws"].delete_bucket_policy(self.name)


class _ResourcePolicy(Resource):
    """A policy CloudFormation sets on each resource its ``TARGETS`` property lists, and takes back on delete."""

    TARGETS: ClassVar[str]
    targets: tuple[str, ...] = ()

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> Resource:
        document = _document(properties["PolicyDocument"])
        resource = cls(name)
        resource.targets = tuple(cls.target(str(raw)) for raw in properties[cls.TARGETS])
        for target in resource.targets:
            cls.attach(account_id, region_name, target, document)
        return resource

    def delete(self, account_id: str, region_name: str) -> None:
        for target in self.targets:
            self.detach(account_id, region_name, target)

    @staticmethod
    def target(raw: str) -> str:
        return raw

    @staticmethod
    def attach(account_id: str, region_name: str, target: str, document: str) -> None:
        raise NotImplementedError

    @staticmethod
    def detach(account_id: str, region_name: str, target: str) -> None:
        raise NotImplementedError


class TopicPolicy(_ResourcePolicy):
    TYPE = "AWS::SNS::TopicPolicy"
    TARGETS = "Topics"

    @staticmethod
    def attach(account_id: str, region_name: str, target: str, document: str) -> None:
        from moto.sns.models import sns_backends

        sns_backends[account_id][region_name].set_topic_attribute(target, "policy", document)

    @staticmethod
    def detach(account_id: str, region_name: str, target: str) -> None:
        from moto.sns.models import sns_backends

        topic = sns_backends[account_id][region_name].topics.get(target)
        if topic is not None:
            topic._policy_json = topic._create_default_topic_policy(region_name, account_id, topic.name)


class QueuePolicy(_ResourcePolicy):
    TYPE = "AWS::SQS::QueuePolicy"
    TARGETS = "Queues"

    @staticmethod
    def target(raw: str) -> str:
        return raw.rstrip("/").rsplit("/", 1)[-1]  # the queue URL's last segment: its name

    @staticmethod
    def attach(account_id: str, region_name: str, target: str, document: str) -> None:
        from moto.sqs.models import sqs_backends

        sqs_backends[account_id][region_name].set_queue_attributes(target, {"Policy": document})

    @staticmethod
    def detach(account_id: str, region_name: str, target: str) -> None:
        from moto.sqs.models import sqs_backends

        backend = sqs_backends[account_id][region_name]
        if target in backend.queues:
            backend.set_queue_attributes(target, {"Policy": ""})


class Subscription(Resource):
    _ATTRIBUTES = (
        "FilterPolicy",
        "FilterPolicyScope",
        "RawMessageDelivery",
        "RedrivePolicy",
        "DeliveryPolicy",
    )

    TYPE = "AWS::SNS::Subscription"

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> Resource:
        from moto.sns.models import sns_backends

        backend = sns_backends[account_id][region_name]
        subscription = backend.subscribe(
            str(properties["TopicArn"]), str(properties.get("Endpoint", "")), str(properties["Protocol"])
        )
        for attribute in cls._ATTRIBUTES:
            if attribute in properties:
                value = properties[attribute]
                text = (
                    json.dumps(value)
                    if isinstance(value, dict)
                    else str(value).lower()
                    if isinstance(value, bool)
                    else str(value)
                )
                backend.set_subscription_attributes(subscription.arn, attribute, text)
        return cls(subscription.arn)

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.sns.models import sns_backends

        backend = sns_backends[account_id][region_name]
        if self.name in backend.subscriptions:
            backend.unsubscribe(self.name)


class Alarm(Resource):
    TYPE = "AWS::CloudWatch::Alarm"
    NAME_PROPERTY = "AlarmName"

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> Resource:
        from moto.cloudwatch.models import cloudwatch_backends

        def optional_int(key: str) -> int | None:
            return int(properties[key]) if key in properties else None

        # Metric-math alarms leave Namespace/MetricName/Period/Statistic out; moto types them as required.
        arguments: dict[str, Any] = dict(
            name=name,
            namespace=properties.get("Namespace"),
            metric_name=properties.get("MetricName"),
            comparison_operator=properties["ComparisonOperator"],
            evaluation_periods=int(properties["EvaluationPeriods"]),
            period=optional_int("Period"),
            threshold=float(properties["Threshold"]) if "Threshold" in properties else None,
            statistic=properties.get("Statistic"),
            description=properties.get("AlarmDescription", ""),
            dimensions=list(properties.get("Dimensions", [])),
            alarm_actions=[str(a) for a in properties.get("AlarmActions", [])],
            ok_actions=[str(a) for a in properties.get("OKActions", [])],
            insufficient_data_actions=[str(a) for a in properties.get("InsufficientDataActions", [])],
            datapoints_to_alarm=optional_int("DatapointsToAlarm"),
            extended_statistic=properties.get("ExtendedStatistic"),
            unit=properties.get("Unit"),
            actions_enabled=str(properties.get("ActionsEnabled", True)).lower() == "true",
            treat_missing_data=properties.get("TreatMissingData"),
            tags=list(properties.get("Tags", [])),
        )
        alarm = cloudwatch_backends[account_id][region_name].put_metric_alarm(**arguments)
        return cls(name, {"Arn": alarm.alarm_arn})

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.cloudwatch.models import cloudwatch_backends

        cloudwatch_backends[account_id][region_name].delete_alarms([self.name])


class CodeRepository(Resource):
    TYPE = "AWS::SageMaker::CodeRepository"
    NAME_PROPERTY = "CodeRepositoryName"

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> Resource:
        repository = sagemaker_code_repositories.store(account_id, region_name).create(
            name, properties["GitConfig"], properties.get("Tags", [])
        )
        resource = cls(repository["CodeRepositoryArn"], {"CodeRepositoryName": name})
        resource.repository_name = name  # type: ignore[attr-defined]
        return resource

    def delete(self, account_id: str, region_name: str) -> None:
        sagemaker_code_repositories.store(account_id, region_name).delete(
            getattr(self, "repository_name", "")
        )


TYPES: tuple[type[Resource], ...] = (
    BucketPolicy,
    TopicPolicy,
    QueuePolicy,
    Subscription,
    Alarm,
    CodeRepository,
)
