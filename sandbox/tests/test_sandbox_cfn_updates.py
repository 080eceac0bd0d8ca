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
