"""CloudFormation refuses bad parameter values at CreateStack/UpdateStack/CreateChangeSet, with AWS's text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from sandbox.local_aws.cfn_parameters import ParameterError, check

PRODUCT_TEMPLATE = Path(__file__).resolve().parents[2] / "product" / "template.yaml"

TEMPLATE = {
    "Parameters": {
        "Name": {"Type": "String", "MinLength": 3, "MaxLength": 8, "AllowedPattern": "^[a-z]+$"},
        "Stage": {"Type": "String", "Default": "staging", "AllowedValues": ["staging", "prod"]},
        "Count": {"Type": "Number", "Default": 2, "MinValue": 1, "MaxValue": 10},
        "Email": {
            "Type": "String",
            "Default": "",
            "AllowedPattern": "^$|^.+@.+$",
            "ConstraintDescription": "an e-mail address",
        },
    },
    "Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Ref": "Name"}}}},
}


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"Name": "ab"}, "Parameter 'Name' must contain at least 3 characters"),
        ({"Name": "abcdefghi"}, "Parameter 'Name' must contain at most 8 characters"),
        ({"Name": "abc1"}, "Parameter 'Name' must match pattern ^[a-z]+$"),
        ({"Name": "abc\n"}, "Parameter 'Name' must match pattern ^[a-z]+$"),
        ({"Name": "abc", "Stage": "dev"}, "Parameter 'Stage' must be one of AllowedValues"),
        ({"Name": "abc", "Count": "two"}, "Parameter 'Count' must be a number"),
        ({"Name": "abc", "Count": "0"}, "Parameter 'Count' must be a number not less than 1"),
        ({"Name": "abc", "Count": "10.5"}, "Parameter 'Count' must be a number not greater than 10"),
        (
            {"Name": "abc", "Email": "nobody"},
            "Parameter Email failed to satisfy constraint: an e-mail address",
        ),
        ({}, "Parameters: [Name] must have values"),
        ({"Name": "abc", "Nme": "x", "Other": "y"}, "Parameters: [Nme, Other] do not exist in the template"),
    ],
)
def test_each_constraint_is_refused_with_cloudformations_message(given, message) -> None:
    with pytest.raises(ParameterError) as refused:
        check(TEMPLATE, given)
    assert str(refused.value) == message


def test_values_within_the_constraints_and_defaults_pass() -> None:
    check(TEMPLATE, {"Name": "abc", "Stage": "prod", "Count": "10", "Email": "a@b.c"})
    check(TEMPLATE, {"Name": "abcdefgh"})


def _refusal(call) -> str:
    with pytest.raises(ClientError) as refused:
        call()
    assert refused.value.response["Error"]["Code"] == "ValidationError"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return str(refused.value.response["Error"]["Message"])


def _project_stack_refusal(cfn, name: str, project_id: str, **extra) -> str:
    """CreateStack of the product template for project ``name``/``project_id``, which must be refused."""
    parameters = [
        {"ParameterKey": "SageMakerProjectName", "ParameterValue": name},
        {"ParameterKey": "SageMakerProjectId", "ParameterValue": project_id},
    ]
    body = PRODUCT_TEMPLATE.read_text(encoding="utf-8")
    return _refusal(lambda: cfn.create_stack(TemplateBody=body, Parameters=parameters, **extra))


def test_project_stack_with_a_bad_name_fails_at_create_stack_and_creates_nothing(local_aws) -> None:
    cfn = local_aws.client("cloudformation")
    message = _project_stack_refusal(
        cfn,
        "9-lives",
        "p-abcdefghijkl",
        StackName="sagemaker-9-lives-p-abcdefghijkl",
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )
    assert message == "Parameter 'SageMakerProjectName' must match pattern ^[a-zA-Z](-*[a-zA-Z0-9])*$"
    assert cfn.list_stacks()["StackSummaries"] == []
    assert local_aws.client("iam").list_roles()["Roles"] == []


def test_project_stack_with_a_bad_id_names_the_constraint(local_aws) -> None:
    cfn = local_aws.client("cloudformation")
    message = _project_stack_refusal(cfn, "fraud", "p-ABCDEFGHIJKL", StackName="s")
    assert (
        message
        == "Parameter SageMakerProjectId failed to satisfy constraint: a SageMaker project id such as p-abcdefghijkl"
    )


def test_update_stack_and_change_sets_are_validated_too(local_aws) -> None:
    cfn = local_aws.client("cloudformation")
    body = json.dumps(TEMPLATE)
    cfn.create_stack(
        StackName="s", TemplateBody=body, Parameters=[{"ParameterKey": "Name", "ParameterValue": "abc"}]
    )
    bad = [
        {"ParameterKey": "Name", "ParameterValue": "abc"},
        {"ParameterKey": "Count", "ParameterValue": "99"},
    ]
    message = _refusal(lambda: cfn.update_stack(StackName="s", TemplateBody=body, Parameters=bad))
    assert message == "Parameter 'Count' must be a number not greater than 10"
    [stack] = cfn.describe_stacks(StackName="s")["Stacks"]
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}["Count"] == "2"
    message = _refusal(
        lambda: cfn.create_change_set(
            StackName="new",
            ChangeSetName="c1",
            TemplateBody=body,
            ChangeSetType="CREATE",
            Parameters=[*bad[:1], {"ParameterKey": "Stage", "ParameterValue": "qa"}],
        )
    )
    assert message == "Parameter 'Stage' must be one of AllowedValues"
