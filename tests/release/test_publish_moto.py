"""scripts/publish against moto (mock_aws): dry run, first publish, idempotency, versioning, bad input.

moto's CloudFormation skips the Service Catalog resources of the platform stack and moto has no
CreateProvisioningArtifact/ListProvisioningArtifacts, so the product-version logic is tested separately
with botocore's Stubber (test_service_catalog_versions.py); here publish must report the missing product
and still publish everything else.
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from release import publish
from release.layout import version_prefix
from release.manifest import build_manifest, write_manifest
from release.render import render_file

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
REGION = "us-east-1"
BUCKET = f"sagemaker-gitlab-artifacts-{ACCOUNT}-{REGION}"
TOKEN = "glpat-THIS-IS-NOT-A-REAL-TOKEN-123"


def make_dist(dist: Path, version: str, seed: bytes = b"seed") -> Path:
    """A dist/<version>/ as scripts/package writes it: rendered templates (the real ones), zips, manifest.
    The zips hold placeholder bytes: publish only moves them."""
    directory = dist / version
    directory.mkdir(parents=True, exist_ok=True)
    for name in (
        "seeder_lambda.zip",
        "trigger_lambda.zip",
        "token_monitor_lambda.zip",
        "seed_build_repo.zip",
        "seed_deploy_repo.zip",
    ):
        (directory / name).write_bytes(seed + name.encode())
    render_file(
        ROOT / "product" / "template.yaml",
        directory / "template.yaml",
        {"ArtifactsPrefix": version_prefix(version)},
    )
    render_file(ROOT / "product" / "platform.yaml", directory / "platform.yaml", {"ProductVersion": version})
    names = sorted(path.name for path in directory.iterdir() if path.name != "manifest.json")
    write_manifest(directory, build_manifest(version, directory, names))
    return directory


def permission_over_tls(bucket: Any, action: str, resource: str) -> Any:
    """moto (5.2.5) evaluates bucket-policy conditions only for StringEquals and treats any other condition
    as met, so the TLS-only Deny (Bool aws:SecureTransport=false) denies every request. These tests talk
    to S3 over https, where AWS does not apply that statement: drop it before moto evaluates the policy."""
    from moto.iam.access_control import IAMPolicy, PermissionResult

    if bucket.policy is None:
        return PermissionResult.NEUTRAL
    policy = json.loads(bucket.policy)
    policy["Statement"] = [
        statement
        for statement in policy["Statement"]
        if statement.get("Condition") != {"Bool": {"aws:SecureTransport": "false"}}
    ]
    return IAMPolicy(json.dumps(policy)).is_action_permitted(action, resource)


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from moto import mock_aws
    from moto.kms.models import Key
    from moto.s3.models import FakeBucket

    from sandbox.local_aws.cfn_fixes import kms_tags

    monkeypatch.setattr(FakeBucket, "get_permission", permission_over_tls)
    # moto (5.2.5) hands an AWS::KMS::Key's CloudFormation Tags ({Key, Value}) to KMS's CreateKey shape
    # ({TagKey, TagValue}) and fails: translate, as the sandbox does (sandbox/local_aws/cfn_fixes.py).
    original_key = Key.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def key_with_kms_style_tags(cls: Any, name: str, cfn: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        properties = {**cfn.get("Properties", {})}
        properties["Tags"] = kms_tags(properties.get("Tags", []))
        return original_key(cls, name, {**cfn, "Properties": properties}, *args, **kwargs)

    monkeypatch.setattr(Key, "create_from_cloudformation_json", classmethod(key_with_kms_style_tags))

    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        secret = boto3.client("secretsmanager").create_secret(
            Name="sagemaker-gitlab/gitlab-token", SecretString=TOKEN
        )
        yield str(secret["ARN"])


def first_run_args(dist: Path, secret_arn: str, version: str = "0.1.0") -> list[str]:
    return [
        "--version", version,
        "--dist", str(dist),
        "--gitlab-url", "https://gitlab.example.com/",
        "--gitlab-group", "ml/projects",
        "--gitlab-token-secret-arn", secret_arn,
        "--studio-role-arn", f"arn:aws:iam::{ACCOUNT}:role/service-role/AmazonSageMaker-ExecutionRole-1",
        "--poll-seconds", "0",
    ]  # fmt: skip


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = publish.main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def object_versions() -> list[tuple[str, str]]:
    versions = boto3.client("s3").list_object_versions(Bucket=BUCKET).get("Versions", [])
    return sorted((v["Key"], v["VersionId"]) for v in versions)


def test_dry_run_prints_the_plan_and_changes_nothing(
    cloud: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_dist(tmp_path, "0.1.0")
    code, out, err = run([*first_run_args(tmp_path, cloud), "--dry-run"], capsys)
    assert (code, err) == (0, "")
    assert f"1. bucket s3://{BUCKET}: create" in out
    assert "2. upload to" in out
    assert "8 to upload, 0 unchanged" in out
    assert "3. stack sagemaker-gitlab-platform: create with" in out
    assert "GitLabUrl=https://gitlab.example.com," in out
    assert boto3.client("s3").list_buckets()["Buckets"] == []
    assert boto3.client("cloudformation").describe_stacks()["Stacks"] == []


def test_first_publish_creates_bucket_uploads_stack_and_s3_template(
    cloud: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_dist(tmp_path, "0.1.0")
    code, out, err = run(first_run_args(tmp_path, cloud), capsys)
    assert code == 0, err
    s3 = boto3.client("s3")
    # The bucket: private, encrypted, versioned, TLS only.
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    assert all(s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"].values())
    rule = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    policy = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])
    assert policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    # The version's files, each with its sha256.
    manifest = json.loads((tmp_path / "0.1.0" / "manifest.json").read_text())
    for name, facts in manifest["artifacts"].items():
        head = s3.head_object(Bucket=BUCKET, Key=f"sagemaker-gitlab/0.1.0/{name}")
        assert head["Metadata"]["sha256"] == facts["sha256"]
    # The platform stack, with progress shown as events.
    cfn = boto3.client("cloudformation")
    stack = cfn.describe_stacks(StackName="sagemaker-gitlab-platform")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert {t["Key"]: t["Value"] for t in stack["Tags"]} == {"sagemaker-gitlab:component": "platform"}
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert parameters["ProductVersion"] == "0.1.0"
    assert (
        parameters["ProductTemplateUrl"]
        == f"https://{BUCKET}.s3.{REGION}.amazonaws.com/sagemaker-gitlab/0.1.0/template.yaml"
    )
    assert parameters["GitLabUrl"] == "https://gitlab.example.com"
    # moto records stack-level events only; each is printed once, oldest first.
    event_lines = [line for line in out.splitlines() if "AWS::CloudFormation::Stack" in line]
    assert len(event_lines) == 2
    assert "CREATE_IN_PROGRESS" in event_lines[0]
    assert "CREATE_COMPLETE" in event_lines[1]
    ssm = boto3.client("ssm")
    assert (
        ssm.get_parameter(Name="/sagemaker-gitlab/gitlab-host")["Parameter"]["Value"] == "gitlab.example.com"
    )
    assert ssm.get_parameter(Name="/sagemaker-gitlab/artifacts-bucket")["Parameter"]["Value"] == BUCKET
    assert ssm.get_parameter(Name="/sagemaker-gitlab/gitlab-token-secret-arn")["Parameter"]["Value"] == cloud
    # No Service Catalog in moto's CloudFormation: reported, not hidden.
    assert "no ProductId output" in out
    # The S3-hosted project template, tagged for Studio.
    key = "sagemaker-project-templates/sagemaker-gitlab-mlops.yaml"
    assert (
        s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        == (tmp_path / "0.1.0" / "template.yaml").read_bytes()
    )
    assert s3.get_object_tagging(Bucket=BUCKET, Key=key)["TagSet"] == [
        {"Key": "sagemaker:studio-visibility", "Value": "true"}
    ]
    assert f"Key=sagemaker:projectS3TemplatesLocation,Value=s3://{BUCKET}/sagemaker-project-templates/" in out
    assert "Next steps:" in out
    assert TOKEN not in out + err


def test_publishing_the_same_version_again_changes_nothing(
    cloud: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_dist(tmp_path, "0.1.0")
    assert run(first_run_args(tmp_path, cloud), capsys)[0] == 0
    before = object_versions()
    code, out, err = run(["--version", "0.1.0", "--dist", str(tmp_path), "--poll-seconds", "0"], capsys)
    assert code == 0, err
    uploaded_again = [key for key, _ in object_versions() if (key, _) not in before]
    assert uploaded_again == [
        "sagemaker-gitlab/0.1.0/manifest.json"
    ]  # only the completion marker is rewritten
    assert out.count("unchanged") >= 7
    assert "s3_template=unchanged" in out
    assert "upload=unchanged" in out


def test_a_new_version_is_added_without_replacing_the_first(
    cloud: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_dist(tmp_path, "0.1.0")
    assert run(first_run_args(tmp_path, cloud), capsys)[0] == 0
    make_dist(tmp_path, "0.2.0", seed=b"newer")
    code, _, err = run(["--version", "0.2.0", "--dist", str(tmp_path), "--poll-seconds", "0"], capsys)
    assert code == 0, err
    stack = boto3.client("cloudformation").describe_stacks(StackName="sagemaker-gitlab-platform")["Stacks"][0]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    # CloudFormation must never see a changed first version (it would replace what projects use).
    assert parameters["ProductVersion"] == "0.1.0"
    assert parameters["GitLabGroup"] == "ml/projects"  # kept from the first run
    s3 = boto3.client("s3")
    assert (
        s3.get_object(Bucket=BUCKET, Key="sagemaker-gitlab/0.1.0/seeder_lambda.zip")["Body"].read()
        == b"seedseeder_lambda.zip"
    )
    assert (
        s3.get_object(Bucket=BUCKET, Key="sagemaker-gitlab/0.2.0/seeder_lambda.zip")["Body"].read()
        == b"newerseeder_lambda.zip"
    )
    key = "sagemaker-project-templates/sagemaker-gitlab-mlops.yaml"
    assert b"sagemaker-gitlab/0.2.0" in s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()


def test_republishing_a_version_with_other_content_is_refused(
    cloud: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_dist(tmp_path, "0.1.0")
    assert run(first_run_args(tmp_path, cloud), capsys)[0] == 0
    make_dist(tmp_path, "0.1.0", seed=b"changed")
    code, _, err = run(["--version", "0.1.0", "--dist", str(tmp_path), "--poll-seconds", "0"], capsys)
    assert code == 1
    assert "already published with different content" in err
    assert "Bump the version" in err
    body = (
        boto3.client("s3")
        .get_object(Bucket=BUCKET, Key="sagemaker-gitlab/0.1.0/seeder_lambda.zip")["Body"]
        .read()
    )
    assert body == b"seedseeder_lambda.zip"


def test_missing_first_run_options_are_named(
    cloud: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_dist(tmp_path, "0.1.0")
    code, _, err = run(
        ["--version", "0.1.0", "--dist", str(tmp_path), "--gitlab-url", "https://gitlab.example.com"], capsys
    )
    assert code == 1
    assert "needs --gitlab-group, --gitlab-token-secret-arn" in err
    assert boto3.client("cloudformation").describe_stacks()["Stacks"] == []


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--gitlab-token-secret-arn", TOKEN, "not the token itself"),
        ("--gitlab-url", "gitlab.example.com", "use the base URL"),
        ("--gitlab-group", "/ml//x", "use a group path"),
        ("--studio-role-arn", "AmazonSageMaker-ExecutionRole", "not IAM role ARNs"),
        ("--version", "1.0 beta", "invalid version"),
    ],
)
def test_bad_parameters_fail_before_any_change_and_never_echo_a_token(
    cloud: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, value: str, message: str
) -> None:
    make_dist(tmp_path, "0.1.0")
    args = first_run_args(tmp_path, cloud)
    args[args.index(option) + 1] = value
    code, out, err = run(args, capsys)
    assert code == 1
    assert message in err
    assert TOKEN not in out + err
    assert boto3.client("s3").list_buckets()["Buckets"] == []


def test_a_missing_token_secret_is_reported_with_the_fix(
    cloud: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_dist(tmp_path, "0.1.0")
    args = first_run_args(tmp_path, cloud.replace("gitlab-token", "no-such-secret"))
    code, _, err = run(args, capsys)
    assert code == 1
    assert "does not exist: create it first" in err


def test_missing_dist_says_to_package_first(
    cloud: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(first_run_args(tmp_path, cloud), capsys)
    assert code == 1
    assert "run scripts/package first" in err


def test_an_existing_oidc_provider_for_the_host_is_reused(
    cloud: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arn = boto3.client("iam").create_open_id_connect_provider(
        Url="https://gitlab.example.com", ClientIDList=["sts.amazonaws.com"], ThumbprintList=["a" * 40]
    )["OpenIDConnectProviderArn"]
    make_dist(tmp_path, "0.1.0")
    code, out, err = run(first_run_args(tmp_path, cloud), capsys)
    assert code == 0, err
    assert f"reusing the account's OIDC provider {arn}" in out
    value = boto3.client("ssm").get_parameter(Name="/sagemaker-gitlab/oidc-provider-arn")["Parameter"][
        "Value"
    ]
    assert value == arn


def test_help_documents_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        publish.parse_args(["--help"])
    assert exit_info.value.code == 0
    text: Any = capsys.readouterr().out
    for option in (
        "--version", "--dist", "--region", "--bucket", "--stack-name", "--gitlab-url", "--gitlab-group",
        "--gitlab-token-secret-arn", "--studio-role-arn", "--oidc-provider-arn", "--portfolio-provider",
        "--template-prefix", "--skip-s3-template", "--keep-previous-versions", "--dry-run", "--poll-seconds",
        "--timeout-minutes",
    ):  # fmt: skip
        assert option in text
