"""CloudFormation types of a deploy stack's monitoring block, applied to sandbox.local_aws.monitoring_schedules.

Sources (CloudFormation template reference, properties and return values):
- AWS::SageMaker::DataQualityJobDefinition (JobDefinitionName, EndpointName, DataQualityAppSpecification,
  DataQualityBaselineConfig, DataQualityJobInput, DataQualityJobOutputConfig, JobResources, NetworkConfig,
  RoleArn, StoppingCondition, Tags) → CreateDataQualityJobDefinition; Ref = JobDefinitionArn, GetAtt
  JobDefinitionArn. Every property change requires replacement (as the Resource base class does).
  https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sagemaker-dataqualityjobdefinition.html
- AWS::SageMaker::MonitoringSchedule (MonitoringScheduleName, MonitoringScheduleConfig, EndpointName, Tags)
  → CreateMonitoringSchedule; Ref = MonitoringScheduleArn, GetAtt MonitoringScheduleArn.
  .../aws-resource-sagemaker-monitoringschedule.html
A job definition's replacement creates the new one first and deletes the old one once no schedule names it
(CloudFormation's cleanup phase). Not emulated: a MonitoringScheduleConfig change updates the schedule in place on AWS; here it is replaced
(deleted, then created under the same name), which ends in the same schedule.
"""

from __future__ import annotations

from typing import Any

from sandbox.local_aws import monitoring_schedules
from sandbox.local_aws.cfn_service_resources import Resource


class DataQualityJobDefinition(Resource):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SageMaker::DataQualityJobDefinition"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "JobDefinitionName"

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> Resource:
        request = {key: value for key, value in properties.items() if key not in ("EndpointName", "Tags")}
        definition = monitoring_schedules.store(account_id, region_name).create_job_definition(
            {**request, "JobDefinitionName": name}
        )
        arn = str(definition["JobDefinitionArn"])
        resource = cls(arn, {"JobDefinitionArn": arn})
        resource.definition_name = name  # type: ignore[attr-defined]
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
        # Replacement creates the new definition first; the old one goes once no schedule names it.
        resource = cls.create_from_cloudformation_json(
            new_resource_name, cloudformation_json, account_id, region_name
        )
        monitoring_schedules.store(account_id, region_name).retire_job_definition(
            getattr(original_resource, "definition_name", "")
        )
        return resource

    def delete(self, account_id: str, region_name: str) -> None:
        monitoring_schedules.store(account_id, region_name).delete_job_definition(
            getattr(self, "definition_name", "")
        )


class MonitoringSchedule(Resource):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SageMaker::MonitoringSchedule"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "MonitoringScheduleName"

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> Resource:
        schedule = monitoring_schedules.store(account_id, region_name).create_schedule(
            name, dict(properties["MonitoringScheduleConfig"]), properties.get("Tags", [])
        )
        arn = str(schedule["MonitoringScheduleArn"])
        resource = cls(arn, {"MonitoringScheduleArn": arn})
        resource.schedule_name = name  # type: ignore[attr-defined]
        return resource

    def delete(self, account_id: str, region_name: str) -> None:
        store = monitoring_schedules.store(account_id, region_name)
        name = getattr(self, "schedule_name", "")
        if name in store.schedules:
            store.delete_schedule(name)


TYPES: tuple[type[Resource], ...] = (DataQualityJobDefinition, MonitoringSchedule)
