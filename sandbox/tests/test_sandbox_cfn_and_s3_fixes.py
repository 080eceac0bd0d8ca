"""CloudFormation resource additions/fixes and S3 bucket-policy conditions, through boto3."""

from __future__ import annotations

import io
import json
import tarfile

import numpy as np
import pytest
import xgboost as xgb

ROLE = "arn:aws:iam::123456789012:role/r"


def _stack(aws, name: str, template: dict, parameters: dict | None = None, update: bool = False) -> dict:
    cfn = aws.client("cloudformation")
    call = cfn.update_stack if update else cfn.create_stack
    call(
        StackName=name,
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in (parameters or {}).items()],
    )
    return cfn.describe_stacks(StackName=name)["Stacks"][0]


def test_model_package_group_kms_tags_and_event_invoke_config_are_created(local_aws, make_function) -> None:
    make_function("trigger", "def handler(event, context):\n    return 1\n")
    template = {
        "Resources": {
            "Group": {
                "Type": "AWS::SageMaker::ModelPackageGroup",
                "Properties": {"ModelPackageGroupName": "p-1"},
            },
            "Key": {
                "Type": "AWS::KMS::Key",
                "Properties": {
                    "KeyPolicy": {"Version": "2012-10-17", "Statement": []},
                    "Tags": [{"Key": "team", "Value": "ml"}],
                },
            },
            "Retries": {
                "Type": "AWS::Lambda::EventInvokeConfig",
                "Properties": {"FunctionName": "trigger", "Qualifier": "$LATEST", "MaximumRetryAttempts": 1},
            },
        },
        "Outputs": {"GroupArn": {"Value": {"Fn::GetAtt": ["Group", "ModelPackageGroupArn"]}}},
    }
    stack = _stack(local_aws, "s", template)
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert (
        stack["Outputs"][0]["OutputValue"]
        == "arn:aws:sagemaker:us-east-1:123456789012:model-package-group/p-1"
    )
    assert local_aws.client("sagemaker").describe_model_package_group(ModelPackageGroupName="p-1")
    config = local_aws.client("lambda").get_function_event_invoke_config(FunctionName="trigger")
    assert config["MaximumRetryAttempts"] == 1
    keys = local_aws.client("kms").list_keys()["Keys"]
    tags = local_aws.client("kms").list_resource_tags(KeyId=keys[0]["KeyId"])["Tags"]
    assert tags == [{"TagKey": "team", "TagValue": "ml"}]
    local_aws.client("cloudformation").delete_stack(StackName="s")
    with pytest.raises(local_aws.client("sagemaker").exceptions.ClientError):
        local_aws.client("sagemaker").describe_model_package_group(ModelPackageGroupName="p-1")


def _model_tar(bias: float) -> bytes:
    data = np.array([[0.0, 1.0], [1.0, 2.0], [2.0, 3.0]])
    booster = xgb.train(
        {"base_score": bias, "eta": 0.0}, xgb.DMatrix(data, label=[bias] * 3), num_boost_round=1
    )
    raw = booster.save_raw("ubj")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("xgboost-model")
        info.size = len(raw)
        tar.addfile(info, io.BytesIO(bytes(raw)))
    return buffer.getvalue()


def test_updating_the_model_of_an_endpoint_stack_serves_the_new_model(local_aws) -> None:
    s3 = local_aws.client("s3")
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="a.tar.gz", Body=_model_tar(1.0))
    s3.put_object(Bucket="models", Key="b.tar.gz", Body=_model_tar(7.0))
    template = _endpoint_template()
    runtime = local_aws.client("sagemaker-runtime")
    stack = _stack(local_aws, "deploy", template, {"Data": "s3://models/a.tar.gz"})
    endpoint = stack["Outputs"][0]["OutputValue"]
    first = float(
        runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body="0,1")["Body"].read()
    )
    _stack(local_aws, "deploy", template, {"Data": "s3://models/b.tar.gz"}, update=True)
    second = float(
        runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body="0,1")["Body"].read()
    )
    assert first == pytest.approx(1.0)
    assert second == pytest.approx(7.0)


def test_tls_only_bucket_policy_allows_sdk_requests_and_explicit_denies_still_apply(local_aws) -> None:
    s3 = local_aws.client("s3")
    s3.create_bucket(Bucket="artifacts")
    resources = ["arn:aws:s3:::artifacts", "arn:aws:s3:::artifacts/*"]
    tls_only = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": resources,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    s3.put_bucket_policy(
        Bucket="artifacts", Policy=json.dumps({"Version": "2012-10-17", "Statement": [tls_only]})
    )
    s3.put_object(Bucket="artifacts", Key="k", Body=b"v")
    assert s3.get_object(Bucket="artifacts", Key="k")["Body"].read() == b"v"
    deny_reads = {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": resources[1]}
    s3.put_bucket_policy(
        Bucket="artifacts", Policy=json.dumps({"Version": "2012-10-17", "Statement": [tls_only, deny_reads]})
    )
    with pytest.raises(s3.exceptions.ClientError, match=r"Forbidden|AccessDenied"):
        s3.get_object(Bucket="artifacts", Key="k")


def _endpoint_template(named: bool = False) -> dict:
    """Model, endpoint config and endpoint serving the model at parameter ``Data``; ``named``: the model and
    config named from parameter ``Suffix``, the endpoint named outright."""
    names = {"Fn::Sub": "staging-p-abcdefghijkl-${Suffix}"}
    parameters = {"Data": {"Type": "String"}}
    model = {
        "ExecutionRoleArn": ROLE,
        "PrimaryContainer": {"Image": "xgboost", "ModelDataUrl": {"Ref": "Data"}},
    }
    variant = {
        "ModelName": {"Fn::GetAtt": ["Model", "ModelName"]},
        "VariantName": "AllTraffic",
        "InitialInstanceCount": 1,
        "InstanceType": "ml.m5.large",
    }
    config: dict = {"ProductionVariants": [variant]}
    endpoint: dict = {"EndpointConfigName": {"Fn::GetAtt": ["Config", "EndpointConfigName"]}}
    if named:
        parameters["Suffix"] = {"Type": "String"}
        model = {"ModelName": names, **model}
        config = {"EndpointConfigName": names, **config}
        endpoint = {"EndpointName": "fraud-p-abcdefghijkl-staging", **endpoint}
    return {
        "Parameters": parameters,
        "Resources": {
            "Model": {"Type": "AWS::SageMaker::Model", "Properties": model},
            "Config": {"Type": "AWS::SageMaker::EndpointConfig", "Properties": config},
            "Endpoint": {"Type": "AWS::SageMaker::Endpoint", "Properties": endpoint},
        },
        "Outputs": {"Endpoint": {"Value": {"Fn::GetAtt": ["Endpoint", "EndpointName"]}}},
    }


def test_explicit_sagemaker_names_are_honoured_on_create_and_update(local_aws) -> None:
    s3 = local_aws.client("s3")
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="a.tar.gz", Body=_model_tar(1.0))
    s3.put_object(Bucket="models", Key="b.tar.gz", Body=_model_tar(7.0))
    template = _endpoint_template(named=True)
    stack = _stack(local_aws, "deploy", template, {"Data": "s3://models/a.tar.gz", "Suffix": "aaaa"})
    assert stack["Outputs"][0]["OutputValue"] == "fraud-p-abcdefghijkl-staging"
    sagemaker = local_aws.client("sagemaker")
    endpoint = sagemaker.describe_endpoint(EndpointName="fraud-p-abcdefghijkl-staging")
    assert endpoint["EndpointConfigName"] == "staging-p-abcdefghijkl-aaaa"
    config = sagemaker.describe_endpoint_config(EndpointConfigName="staging-p-abcdefghijkl-aaaa")
    assert config["ProductionVariants"][0]["ModelName"] == "staging-p-abcdefghijkl-aaaa"

    _stack(local_aws, "deploy", template, {"Data": "s3://models/b.tar.gz", "Suffix": "bbbb"}, update=True)
    endpoint = sagemaker.describe_endpoint(EndpointName="fraud-p-abcdefghijkl-staging")
    assert endpoint["EndpointConfigName"] == "staging-p-abcdefghijkl-bbbb"
    assert [m["ModelName"] for m in sagemaker.list_models()["Models"]] == ["staging-p-abcdefghijkl-bbbb"]
    runtime = local_aws.client("sagemaker-runtime")
    body = runtime.invoke_endpoint(
        EndpointName="fraud-p-abcdefghijkl-staging", ContentType="text/csv", Body="0,1"
    )
    assert float(body["Body"].read()) == pytest.approx(7.0)


def test_the_deploy_repos_endpoint_stack_names_its_endpoint_n_i_stage(local_aws) -> None:
    from pathlib import Path

    from contracts import names

    template = Path(__file__).resolve().parents[2] / "seed_deploy_repo" / "templates" / "endpoint.yaml"
    s3 = local_aws.client("s3")
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="a.tar.gz", Body=_model_tar(1.0))
    sagemaker = local_aws.client("sagemaker")
    sagemaker.create_model_package_group(ModelPackageGroupName="fraud-p-abcdefghijkl")
    package = sagemaker.create_model_package(
        ModelPackageGroupName="fraud-p-abcdefghijkl",
        ModelApprovalStatus="Approved",
        InferenceSpecification={
            "Containers": [{"Image": "sagemaker-xgboost:1.7-1", "ModelDataUrl": "s3://models/a.tar.gz"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )["ModelPackageArn"]
    parameters = {
        "SageMakerProjectName": "fraud",
        "SageMakerProjectId": "p-abcdefghijkl",
        "StageName": "staging",
        "ModelPackageArn": package,
        "ModelExecutionRoleArn": ROLE,
        "ArtifactBucket": "models",
        "ResourceSuffix": "abc123",
    }
    cfn = local_aws.client("cloudformation")
    cfn.create_stack(
        StackName="sagemaker-fraud-p-abcdefghijkl-deploy-staging",
        TemplateBody=template.read_text(encoding="utf-8"),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
    )
    [stack] = cfn.describe_stacks(StackName="sagemaker-fraud-p-abcdefghijkl-deploy-staging")["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert outputs["EndpointName"] == names.endpoint_name("fraud", "p-abcdefghijkl", "staging")
    assert sagemaker.describe_endpoint(EndpointName="fraud-p-abcdefghijkl-staging")["EndpointConfigName"] == (
        "staging-p-abcdefghijkl-abc123"
    )
