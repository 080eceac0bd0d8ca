"""Service Catalog product versions and AWS error messages.

moto has no CreateProvisioningArtifact, ListProvisioningArtifacts, DescribeProvisioningArtifact or
UpdateProvisioningArtifact (moto 5.2.5 implements portfolios and products only), so these tests use
botocore's Stubber on a real servicecatalog client: each stub checks the exact request publish sends.
"""

from datetime import UTC, datetime

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from release.aws_errors import PublishError, explain, step
from release.service_catalog import ensure_version, idempotency_token
from release.stack_progress import deploy_stack

PRODUCT = "prod-abcdefghijklm"
URL_1 = "https://bucket.s3.us-east-1.amazonaws.com/sagemaker-gitlab/0.1.0/template.yaml"
URL_2 = "https://bucket.s3.us-east-1.amazonaws.com/sagemaker-gitlab/0.2.0/template.yaml"


def client(service: str) -> object:
    return boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def artifact(artifact_id: str, name: str, guidance: str = "DEFAULT") -> dict[str, object]:
    return {
        "Id": artifact_id,
        "Name": name,
        "Active": True,
        "Guidance": guidance,
        "Type": "CLOUD_FORMATION_TEMPLATE",
    }


def expect_listing(stub: Stubber, *artifacts: dict[str, object]) -> None:
    """The ListProvisioningArtifacts answer every ensure_version call starts with."""
    stub.add_response(
        "list_provisioning_artifacts",
        {"ProvisioningArtifactDetails": list(artifacts)},
        {"ProductId": PRODUCT},
    )


def test_a_new_version_is_added_and_older_ones_deprecated_not_deleted() -> None:
    sc = client("servicecatalog")
    log: list[str] = []
    with Stubber(sc) as stub:
        expect_listing(stub, artifact("pa-1", "0.1.0"))
        stub.add_response(
            "create_provisioning_artifact",
            {"ProvisioningArtifactDetail": artifact("pa-2", "0.2.0"), "Status": "CREATING"},
            {
                "ProductId": PRODUCT,
                "Parameters": {
                    "Name": "0.2.0",
                    "Description": "Version 0.2.0",
                    "Info": {"LoadTemplateFromURL": URL_2},
                    "Type": "CLOUD_FORMATION_TEMPLATE",
                    "DisableTemplateValidation": False,
                },
                "IdempotencyToken": idempotency_token(PRODUCT, "0.2.0", URL_2),
            },
        )
        stub.add_response(
            "update_provisioning_artifact",
            {"Status": "AVAILABLE"},
            {"ProductId": PRODUCT, "ProvisioningArtifactId": "pa-1", "Guidance": "DEPRECATED"},
        )
        assert ensure_version(sc, PRODUCT, "0.2.0", URL_2, log.append) == "added"  # type: ignore[arg-type]
        stub.assert_no_pending_responses()
    assert "  version 0.1.0 marked DEPRECATED (existing projects keep it)" in log


def test_an_existing_version_with_the_same_template_is_left_alone() -> None:
    sc = client("servicecatalog")
    with Stubber(sc) as stub:
        stub.add_response(
            "list_provisioning_artifacts",
            {
                "ProvisioningArtifactDetails": [
                    artifact("pa-1", "0.1.0", "DEPRECATED"),
                    artifact("pa-2", "0.2.0"),
                ]
            },
            {"ProductId": PRODUCT},
        )
        stub.add_response(
            "describe_provisioning_artifact",
            {"Info": {"TemplateUrl": URL_2}, "Status": "AVAILABLE"},
            {"ProductId": PRODUCT, "ProvisioningArtifactId": "pa-2"},
        )
        # No create and no update: a stub error would be raised for any unexpected call.
        assert ensure_version(sc, PRODUCT, "0.2.0", URL_2, lambda _: None) == "unchanged"  # type: ignore[arg-type]
        stub.assert_no_pending_responses()


def test_a_version_name_taken_by_another_template_is_refused() -> None:
    sc = client("servicecatalog")
    with Stubber(sc) as stub:
        expect_listing(stub, artifact("pa-1", "0.1.0"))
        stub.add_response(
            "describe_provisioning_artifact",
            {"Info": {"TemplateUrl": URL_1.replace("bucket", "other-bucket")}, "Status": "AVAILABLE"},
            {"ProductId": PRODUCT, "ProvisioningArtifactId": "pa-1"},
        )
        with pytest.raises(PublishError, match=r"already has a version 0\.1\.0 from another template"):
            ensure_version(sc, PRODUCT, "0.1.0", URL_1, lambda _: None)  # type: ignore[arg-type]


def test_access_denied_names_the_missing_action() -> None:
    sc = client("servicecatalog")
    with Stubber(sc) as stub:
        stub.add_client_error(
            "create_provisioning_artifact",
            service_error_code="AccessDeniedException",
            service_message="User is not authorized to perform this action",
            http_status_code=403,
        )
        with pytest.raises(PublishError) as raised, step("adding the product version", "servicecatalog"):
            sc.create_provisioning_artifact(  # type: ignore[attr-defined]
                ProductId=PRODUCT, Parameters={"Info": {"LoadTemplateFromURL": URL_1}}, IdempotencyToken="t"
            )
    message = str(raised.value)
    assert "servicecatalog:CreateProvisioningArtifact" in message
    assert "while adding the product version" in message


def test_s3_operations_are_named_by_their_iam_action() -> None:
    error = ClientError({"Error": {"Code": "403", "Message": "Forbidden"}}, "HeadObject")
    assert "lacks the IAM permission s3:GetObject" in explain(error, service="s3")
    expired = ClientError({"Error": {"Code": "ExpiredToken", "Message": "expired"}}, "GetCallerIdentity")
    assert "refresh them" in explain(expired, service="sts")


def test_a_failed_first_creation_is_deleted_and_created_again() -> None:
    """ROLLBACK_COMPLETE (moto cannot reach it: its stacks never fail that way) → delete, then create."""
    cfn = client("cloudformation")
    stack_id = "arn:aws:cloudformation:us-east-1:123456789012:stack/platform/1"
    now = datetime(2026, 1, 1, tzinfo=UTC)

    recreated_id = "arn:aws:cloudformation:us-east-1:123456789012:stack/platform/2"

    def described(status: str, stack: str = stack_id) -> dict[str, object]:
        return {
            "Stacks": [
                {"StackName": "platform", "StackId": stack, "StackStatus": status, "CreationTime": now}
            ]
        }

    def events(*statuses: str, stack: str = stack_id) -> dict[str, object]:
        """DescribeStackEvents answers newest first."""
        return {
            "StackEvents": [
                {"EventId": f"{stack}-{status}", "StackId": stack, "StackName": "platform", "LogicalResourceId": "platform",
                 "ResourceType": "AWS::CloudFormation::Stack", "ResourceStatus": status, "Timestamp": now}
                for status in statuses
            ]
        }  # fmt: skip

    log: list[str] = []
    with Stubber(cfn) as stub:
        stub.add_response("describe_stacks", described("ROLLBACK_COMPLETE"), {"StackName": "platform"})
        # The deletion is watched by the stack's id: a deleted stack is not found by its name any more.
        stub.add_response("describe_stack_events", events("ROLLBACK_COMPLETE"), {"StackName": stack_id})
        stub.add_response("delete_stack", {}, {"StackName": stack_id})
        stub.add_response("describe_stacks", described("DELETE_COMPLETE"), {"StackName": stack_id})
        stub.add_response(
            "describe_stack_events", events("DELETE_COMPLETE", "ROLLBACK_COMPLETE"), {"StackName": stack_id}
        )
        stub.add_response(
            "create_stack",
            {"StackId": recreated_id},
            {"StackName": "platform", "TemplateURL": URL_1, "Capabilities": ["CAPABILITY_NAMED_IAM"], "Tags": [],
             "Parameters": [{"ParameterKey": "A", "ParameterValue": "1"}], "OnFailure": "ROLLBACK"},
        )  # fmt: skip
        stub.add_response(
            "describe_stacks", described("CREATE_COMPLETE", recreated_id), {"StackName": recreated_id}
        )
        stub.add_response(
            "describe_stack_events",
            events("CREATE_COMPLETE", stack=recreated_id),
            {"StackName": recreated_id},
        )
        outcome = deploy_stack(
            cfn,  # type: ignore[arg-type]
            "platform",
            URL_1,
            [{"ParameterKey": "A", "ParameterValue": "1"}],
            [],
            [],
            log.append,
            poll_seconds=0,
        )
        stub.assert_no_pending_responses()
    assert outcome == "created"
    assert any("ROLLBACK_COMPLETE" in line and "deleting it" in line for line in log)
    assert any("DELETE_COMPLETE" in line for line in log)


def test_stack_failure_reports_the_failed_resources() -> None:
    cfn = client("cloudformation")
    stack_id = "arn:aws:cloudformation:us-east-1:123456789012:stack/platform/1"
    now = datetime(2026, 1, 1, tzinfo=UTC)
    failed_event = {
        "EventId": "e1", "StackId": stack_id, "StackName": "platform", "LogicalResourceId": "LaunchRole",
        "ResourceType": "AWS::IAM::Role", "ResourceStatus": "CREATE_FAILED", "Timestamp": now,
        "ResourceStatusReason": "User is not authorized to perform: iam:CreateRole",
    }  # fmt: skip
    with Stubber(cfn) as stub:
        stub.add_client_error("describe_stacks", "ValidationError", "Stack with id platform does not exist")
        stub.add_response("create_stack", {"StackId": stack_id}, None)
        stub.add_response(
            "describe_stacks",
            {"Stacks": [{"StackName": "platform", "StackStatus": "ROLLBACK_COMPLETE", "CreationTime": now}]},
            {"StackName": stack_id},
        )
        stub.add_response("describe_stack_events", {"StackEvents": [failed_event]}, {"StackName": stack_id})
        with pytest.raises(
            PublishError,
            match=r"(?s)ended ROLLBACK_COMPLETE.*LaunchRole: User is not authorized to perform: iam:CreateRole",
        ):
            deploy_stack(cfn, "platform", URL_1, [], [], [], lambda _: None, poll_seconds=0)  # type: ignore[arg-type]


def test_credential_region_and_other_errors_say_what_to_do() -> None:
    from botocore.exceptions import NoCredentialsError, NoRegionError

    assert "AWS_ENDPOINT_URL" in explain(NoCredentialsError(), doing="reading your identity")
    assert "pass --region or set AWS_REGION" in explain(NoRegionError())
    throttled = ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, "DescribeStacks")
    assert explain(throttled, service="cloudformation", doing="waiting") == (
        "cloudformation:DescribeStacks failed while waiting: Throttling: Rate exceeded"
    )
    denied = ClientError(
        {
            "Error": {
                "Code": "AccessDenied",
                "Message": "not authorized to perform: ssm:PutParameter on resource",
            }
        },
        "PutParameter",
    )
    assert "ssm:PutParameter" in explain(denied)  # service taken from AWS's message when not given
