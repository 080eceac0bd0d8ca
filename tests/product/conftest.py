"""Fixtures for the template tests: parsed templates, rendered copies, and moto with the platform values.

moto quirks handled here (each is a moto limitation, not a product special case):
- ``AWS::KMS::Key`` created through CloudFormation passes CloudFormation's ``Key``/``Value`` tags to the KMS
  backend, which expects the KMS API's ``TagKey``/``TagValue`` and raises KeyError. The fixture translates
  them (moto 5.2.5, moto/kms/models.py ``Key.create_from_cloudformation_json``).
- moto runs a custom resource's Lambda in Docker. The fixture replaces ``LambdaFunction.invoke`` to record the
  request CloudFormation sends to the seeder, and ``answer_custom_resource`` answers it the way moto's
  ``cfnresponse`` endpoint does for a SUCCESS response (the endpoint is only reachable through moto server).
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
import pytest
from cfnlint.decode import decode_str

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ROOT / "product"
ACCOUNT = "123456789012"
REGION = "us-east-1"


def load_template(path: Path) -> dict[str, Any]:
    template, matches = decode_str(path.read_text(encoding="utf-8"))
    assert not matches, matches
    return dict(template)


@pytest.fixture(scope="session")
def project_template() -> dict[str, Any]:
    return load_template(PRODUCT / "template.yaml")


@pytest.fixture(scope="session")
def platform_template() -> dict[str, Any]:
    return load_template(PRODUCT / "platform.yaml")


@pytest.fixture(scope="session")
def rendered_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The templates as scripts/package renders them into dist/<version>/ (same code path)."""
    from release.layout import version_prefix
    from release.render import render_file

    out = tmp_path_factory.mktemp("rendered")
    render_file(
        PRODUCT / "template.yaml", out / "template.yaml", {"ArtifactsPrefix": version_prefix("9.8.7")}
    )
    render_file(PRODUCT / "platform.yaml", out / "platform.yaml", {"ProductVersion": "9.8.7"})
    return out


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


class MotoCloud:
    """moto with helpers: the requests CloudFormation sent to the seeder Lambda (recorded instead of run in
    Docker), the platform's SSM values, Lambda code objects, and the seeder's answer."""

    account = ACCOUNT
    region = REGION
    product = PRODUCT

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def put_platform_values(self, values: dict[str, str]) -> None:
        """What the platform stack writes: SSM String parameters under /sagemaker-gitlab/."""
        ssm = boto3.client("ssm")
        for name, value in values.items():
            ssm.put_parameter(Name=f"/sagemaker-gitlab/{name}", Value=value, Type="String", Overwrite=True)

    def put_lambda_code(self, bucket: str, prefix: str) -> None:
        """Lambda code objects the template points at (content is irrelevant: moto does not run it here)."""
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=bucket)
        for name in ("seeder_lambda.zip", "trigger_lambda.zip"):
            s3.put_object(Bucket=bucket, Key=f"{prefix}/{name}", Body=b"PK\x05\x06" + b"\x00" * 18)

    def answer_custom_resource(self, event: dict[str, Any], data: dict[str, str]) -> None:
        """Answer SUCCESS for ``event`` as moto's cfnresponse endpoint does."""
        from moto.cloudformation.models import cloudformation_backends

        stack = cloudformation_backends[ACCOUNT][REGION].get_stack(event["StackId"])
        stack.get_custom_resource(event["LogicalResourceId"]).set_data(data)
        stack.verify_readiness()


@pytest.fixture
def moto_cloud(aws_env: None) -> Iterator[MotoCloud]:
    from moto import mock_aws
    from moto.awslambda.models import LambdaFunction
    from moto.kms.models import Key

    calls = MotoCloud()
    original_key = Key.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def key_with_kms_style_tags(
        cls: Any, name: str, cfn: dict[str, Any], account: str, region: str, **kw: Any
    ) -> Any:
        properties = cfn["Properties"]
        properties["Tags"] = [
            {"TagKey": t["Key"], "TagValue": t["Value"]} for t in properties.get("Tags", [])
        ]
        return original_key(cls, name, cfn, account, region, **kw)

    def record_invoke(self: Any, body: str, request_headers: Any, response_headers: Any) -> str:
        calls.events.append(json.loads(body))
        return ""

    with (
        mock_aws(),
        mock.patch.object(Key, "create_from_cloudformation_json", classmethod(key_with_kms_style_tags)),
        mock.patch.object(LambdaFunction, "invoke", record_invoke),
    ):
        yield calls
