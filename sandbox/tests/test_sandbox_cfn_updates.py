"""Which resources an UpdateStack modifies, and in which order (cfn_updates)."""

from __future__ import annotations

from sandbox.local_aws.cfn_updates import references, resource_diff


def test_references_follow_ref_getatt_and_sub_but_not_sub_literals_or_locals() -> None:
    fragment = {
        "A": {"Ref": "Param"},
        "B": {"Fn::GetAtt": ["Model", "ModelName"]},
        "C": {"Fn::GetAtt": "Config.EndpointConfigName"},
        "D": {"Fn::Sub": "${Stage}-${AWS::Region}-${!Literal}-${Bucket.Arn}"},
        "E": {"Fn::Sub": ["${Local}-${Other}", {"Local": {"Ref": "Suffix"}}]},
    }
    assert references(fragment) == {
        "Param",
        "Model",
        "Config",
        "Stage",
        "AWS::Region",
        "Bucket",
        "Other",
        "Suffix",
    }


def test_a_changed_sub_parameter_modifies_its_resource_and_every_dependent_in_order() -> None:
    template = {
        "Endpoint": {
            "Type": "E",
            "Properties": {"EndpointConfigName": {"Fn::GetAtt": ["Config", "EndpointConfigName"]}},
        },
        "Config": {
            "Type": "C",
            "Properties": {
                "Name": {"Fn::Sub": "x-${Suffix}"},
                "Model": {"Fn::GetAtt": ["Model", "ModelName"]},
            },
        },
        "Model": {"Type": "M", "Properties": {"ModelName": {"Fn::Sub": "x-${Suffix}"}}},
        "Queue": {"Type": "Q", "Properties": {}},
    }
    diff = resource_diff(template, template, changed_parameters={"Suffix"})
    assert diff == {"Add": [], "Modify": ["Model", "Config", "Endpoint"], "Remove": []}


def test_unchanged_template_and_parameters_modify_nothing() -> None:
    template = {"Queue": {"Type": "Q", "Properties": {"Name": {"Ref": "P"}}}}
    assert resource_diff(template, template, changed_parameters=set()) == {
        "Add": [],
        "Modify": [],
        "Remove": [],
    }


def test_a_resource_whose_condition_is_false_stays_absent_when_its_parameter_changes(local_aws) -> None:
    # CloudFormation creates no resource whose Condition is false, before or after an update; moto's update
    # loop "modified" it when a parameter it references changed (a staging stack re-created its monitoring).
    import json

    alarm = {
        "AlarmName": {"Fn::Sub": "off-${Suffix}"},
        "Namespace": "AWS/SageMaker",
        "MetricName": "Invocation5XXErrors",
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 1,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    }
    template = {
        "Parameters": {"Suffix": {"Type": "String"}, "On": {"Type": "String", "Default": "false"}},
        "Conditions": {"IsOn": {"Fn::Equals": [{"Ref": "On"}, "true"]}},
        "Resources": {
            "Alarm": {"Type": "AWS::CloudWatch::Alarm", "Condition": "IsOn", "Properties": alarm},
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::Sub": "t-${Suffix}"}}},
        },
    }
    cfn = local_aws.client("cloudformation")
    body = json.dumps(template)
    cfn.create_stack(
        StackName="c", TemplateBody=body, Parameters=[{"ParameterKey": "Suffix", "ParameterValue": "a"}]
    )
    cfn.update_stack(
        StackName="c", TemplateBody=body, Parameters=[{"ParameterKey": "Suffix", "ParameterValue": "b"}]
    )
    assert cfn.describe_stacks(StackName="c")["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    assert local_aws.client("cloudwatch").describe_alarms()["MetricAlarms"] == []
