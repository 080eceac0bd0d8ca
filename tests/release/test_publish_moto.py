"""scripts/publish against moto (mock_aws): dry run, first publish, idempotency, versioning, bad input.

moto's CloudFormation skips the Service Catalog resources of the platform stack and moto has no
CreateProvisioningArtifact/ListProvisioningArtifacts, so the product-version logic is tested separately
with botocore's Stubber (test_service_catalog_versions.py); here publish must report the missing product
and still publish everything else.
"""

import json
from collections.abc import Callable, Iterator
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
# What moto's STS answers for credentials it did not issue (sts:GetCallerIdentity), i.e. the test's identity.
PUBLISHER = f"arn:aws:sts::{ACCOUNT}:user/moto"


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


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from moto import mock_aws
    from moto.kms.models import Key

    from sandbox.local_aws import s3_policies
    from sandbox.local_aws.cfn_fixes import kms_tags
    from sandbox.local_aws.patching import Patches

    # Bucket policies as S3 evaluates them (TLS, aws:PrincipalArn), as in the sandbox: moto alone treats
    # every condition but StringEquals as met, so the TLS-only Deny would deny everything.
    patches = Patches()
    s3_policies.install_policy_evaluation(patches)
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
    try:
        with mock_aws():
            secret = boto3.client("secretsmanager").create_secret(
                Name="sagemaker-gitlab/gitlab-token", SecretString=TOKEN
            )
            yield str(secret["ARN"])
    finally:
        patches.restore()


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
    assert f"writable only by {PUBLISHER}" in out
    assert "SeederCodeS3Version and TriggerCodeS3Version pinned to the uploaded object versions" in out
    assert "2. upload to" in out
    assert "8 to upload, 0 unchanged" in out
    assert "4. stack sagemaker-gitlab-platform: create with" in out
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
    # Only the publisher (here moto's default identity) may write objects.
    assert policy["Statement"][1]["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": PUBLISHER}}
    assert "s3:PutObject" in policy["Statement"][1]["Action"]
    # The version's files, each with its sha256 (the project template is uploaded pinned, see below).
    manifest = json.loads((tmp_path / "0.1.0" / "manifest.json").read_text())
    for name, facts in manifest["artifacts"].items():
        if name != "template.yaml":
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
        == s3.get_object(Bucket=BUCKET, Key="sagemaker-gitlab/0.1.0/template.yaml")["Body"].read()
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


@pytest.mark.parametrize("extra", [[], ["--dry-run"]], ids=["publish", "dry-run"])
def test_a_missing_token_secret_is_reported_with_the_fix(
    cloud: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str]
) -> None:
    make_dist(tmp_path, "0.1.0")
    args = first_run_args(tmp_path, cloud.replace("gitlab-token", "no-such-secret"))
    code, out, err = run([*args, *extra], capsys)
    assert code == 2
    assert "does not exist: create it first" in err
    assert "Plan" not in out
    assert boto3.client("s3").list_buckets()["Buckets"] == []


def test_dry_run_finds_a_token_secret_in_another_region(
    cloud: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_dist(tmp_path, "0.1.0")
    elsewhere = boto3.client("secretsmanager", region_name="eu-west-1").create_secret(
        Name="sagemaker-gitlab/gitlab-token", SecretString=TOKEN
    )["ARN"]
    code, out, err = run([*first_run_args(tmp_path, elsewhere), "--dry-run"], capsys)
    assert code == 2
    assert f"is in region eu-west-1 but you publish to {REGION}" in err
    assert f"create the secret in {REGION}" in err
    assert "or publish with --region eu-west-1" in err
    assert TOKEN not in out + err
    assert "Plan" not in out


def secret_elsewhere(directory: Path, cloud: str) -> str:
    return cloud.replace(f":{REGION}:", ":eu-west-1:")


def zip_tampered(directory: Path, cloud: str) -> str:
    (directory / "seeder_lambda.zip").write_bytes(b"tampered")
    return cloud


@pytest.mark.parametrize(
    ("spoil", "code", "message"),
    [
        (secret_elsewhere, 2, "is in region eu-west-1"),
        (zip_tampered, 1, "seeder_lambda.zip changed since it was packaged; rerun scripts/package"),
    ],
    ids=["token-secret-in-another-region", "zip-tampered-after-packaging"],
)
def test_a_bad_input_stops_publish_before_any_upload(
    cloud: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    spoil: Callable[[Path, str], str],
    code: int,
    message: str,
) -> None:
    secret = spoil(make_dist(tmp_path, "0.1.0"), cloud)
    exit_code, _, err = run(first_run_args(tmp_path, secret), capsys)
    assert exit_code == code
    assert message in err
    assert boto3.client("s3").list_buckets()["Buckets"] == []


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
        "--timeout-minutes", "--publisher-arn",
    ):  # fmt: skip
        assert option in text


# -- issue 12.6: the code projects run is the code that was packaged ---------------------------------------


def sagemaker_full_access_s3() -> dict[str, Any]:
    """AmazonSageMakerFullAccess's S3 statements (the file names its source)."""
    document = json.loads((Path(__file__).parent / "sagemaker_full_access_s3.json").read_text())
    return {key: value for key, value in document.items() if not key.startswith("_")}


def studio_session() -> Any:
    """An S3 client acting as a Studio execution role (a role session, as Studio's are)."""
    iam = boto3.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = iam.create_role(
        RoleName="AmazonSageMaker-ExecutionRole-studio",
        Path="/service-role/",
        AssumeRolePolicyDocument=json.dumps(trust),
    )["Role"]
    iam.put_role_policy(
        RoleName=role["RoleName"],
        PolicyName="sagemaker-full-access-s3",
        PolicyDocument=json.dumps(sagemaker_full_access_s3()),
    )
    credentials = boto3.client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="studio-user")[
        "Credentials"
    ]
    return boto3.client(
        "s3",
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def template_parameters_and_code(text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    from cfnlint.decode import decode_str  # an independent parser, not release.render's

    template, matches = decode_str(text)
    assert not matches
    code = {
        name: template["Resources"][name]["Properties"]["Code"]
        for name in ("SeederFunction", "TriggerFunction")
    }
    return template["Parameters"], code


def test_the_project_template_pins_each_lambda_zip_to_the_uploaded_object_version(
    cloud: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_dist(tmp_path, "0.1.0")
    code, out, err = run(first_run_args(tmp_path, cloud), capsys)
    assert code == 0, err
    s3 = boto3.client("s3")
    versions = {
        v["Key"].rsplit("/", 1)[1]: v["VersionId"]
        for v in s3.list_object_versions(Bucket=BUCKET, Prefix="sagemaker-gitlab/0.1.0/")["Versions"]
    }
    body = s3.get_object(Bucket=BUCKET, Key="sagemaker-gitlab/0.1.0/template.yaml")["Body"].read().decode()
    parameters, lambda_code = template_parameters_and_code(body)
    for artifact, parameter, function in (
        ("seeder_lambda.zip", "SeederCodeS3Version", "SeederFunction"),
        ("trigger_lambda.zip", "TriggerCodeS3Version", "TriggerFunction"),
    ):
        version = versions[artifact]
        # The only value a provisioning user can pass is the uploaded one.
        assert (parameters[parameter]["Default"], parameters[parameter]["AllowedValues"]) == (
            version,
            [version],
        )
        assert lambda_code[function]["S3Key"] == {"Fn::Sub": f"${{ArtifactsPrefix}}/{artifact}"}
        assert lambda_code[function]["S3ObjectVersion"]["Fn::If"][1] == {"Ref": parameter}
        assert f"{artifact} pinned to version {version}" in out
    # Service Catalog's first product version and the S3-hosted template are the pinned template.
    stack = boto3.client("cloudformation").describe_stacks(StackName="sagemaker-gitlab-platform")["Stacks"][0]
    url = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}["ProductTemplateUrl"]
    assert url.endswith("/sagemaker-gitlab/0.1.0/template.yaml")
    hosted = s3.get_object(Bucket=BUCKET, Key="sagemaker-project-templates/sagemaker-gitlab-mlops.yaml")
    assert hosted["Body"].read().decode() == body
    # The packaged template itself is unchanged: pinning happens at publish time, on a copy.
    assert "SeederCodeS3Version" in (tmp_path / "0.1.0" / "template.yaml").read_text()
    assert versions["seeder_lambda.zip"] not in (tmp_path / "0.1.0" / "template.yaml").read_text()


def test_a_studio_role_cannot_overwrite_or_delete_the_published_code(
    cloud: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_dist(tmp_path, "0.1.0")
    assert run(first_run_args(tmp_path, cloud), capsys)[0] == 0
    key = "sagemaker-gitlab/0.1.0/seeder_lambda.zip"
    before = object_versions()
    studio = studio_session()
    assert studio.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"seedseeder_lambda.zip"  # reads stay
    attempts = {
        "overwrite": lambda: studio.put_object(Bucket=BUCKET, Key=key, Body=b"evil"),
        "delete": lambda: studio.delete_object(Bucket=BUCKET, Key=key),
        "multipart": lambda: studio.create_multipart_upload(Bucket=BUCKET, Key=key),
        "new key": lambda: studio.put_object(Bucket=BUCKET, Key="sagemaker-gitlab/0.1.0/x.zip", Body=b"x"),
    }
    for name, attempt in attempts.items():
        with pytest.raises(studio.exceptions.ClientError) as raised:
            attempt()
        assert raised.value.response["Error"]["Code"] == "AccessDenied", name
    assert object_versions() == before


def test_a_zip_tampered_while_publish_runs_is_refused_at_upload(
    cloud: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The check runs again on the bytes being sent, after the options were validated."""
    from release.aws_errors import PublishError
    from release.publish_validation import validate
    from release.publisher import Publisher

    directory = make_dist(tmp_path, "0.1.0")
    settings = validate(publish.parse_args(first_run_args(tmp_path, cloud)))

    def log(line: str) -> None:
        if line.startswith("[2/"):
            (directory / "trigger_lambda.zip").write_bytes(b"swapped after validation")

    with pytest.raises(PublishError) as raised:
        Publisher(settings, boto3.session.Session(), log=log).run()
    message = str(raised.value)
    assert "trigger_lambda.zip does not match the release manifest" in message
    assert "rebuild with scripts/package" in message
    keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert "sagemaker-gitlab/0.1.0/trigger_lambda.zip" not in keys


def test_an_object_replaced_in_the_bucket_is_found_and_publish_stops(
    cloud: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """E.g. written before the bucket had its policy: same key and sha256 metadata, other bytes."""
    make_dist(tmp_path, "0.1.0")
    assert run(first_run_args(tmp_path, cloud), capsys)[0] == 0
    key = "sagemaker-gitlab/0.1.0/seeder_lambda.zip"
    s3 = boto3.client("s3")
    recorded = s3.head_object(Bucket=BUCKET, Key=key)["Metadata"]
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"replaced", Metadata=recorded)
    code, _, err = run(["--version", "0.1.0", "--dist", str(tmp_path), "--poll-seconds", "0"], capsys)
    assert code == 1
    assert f"s3://{BUCKET}/{key}" in err
    assert "is not what was packaged" in err


def test_another_identity_is_refused_with_the_fix_and_can_take_over_explicitly(
    cloud: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_dist(tmp_path, "0.1.0")
    assert run(first_run_args(tmp_path, cloud), capsys)[0] == 0
    iam = boto3.client("iam")
    user = iam.create_user(UserName="release-bot", Path="/ci/")["User"]
    key = iam.create_access_key(UserName="release-bot")["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    again = ["--version", "0.1.0", "--dist", str(tmp_path), "--poll-seconds", "0"]
    code, _, err = run(again, capsys)
    assert code == 1
    assert f"the artifacts bucket lets only {PUBLISHER} write" in err
    assert f"--publisher-arn {user['Arn']}" in err
    code, _, err = run([*again, "--publisher-arn", user["Arn"]], capsys)
    assert code == 0, err
    policy = json.loads(boto3.client("s3").get_bucket_policy(Bucket=BUCKET)["Policy"])
    assert policy["Statement"][1]["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": user["Arn"]}}


def test_naming_someone_else_as_publisher_is_refused_before_it_locks_this_run_out(
    cloud: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_dist(tmp_path, "0.1.0")
    other = f"arn:aws:iam::{ACCOUNT}:role/release"
    code, _, err = run([*first_run_args(tmp_path, cloud), "--publisher-arn", other], capsys)
    assert code == 1
    assert f"--publisher-arn {other} is not you ({PUBLISHER})" in err
    assert boto3.client("s3").list_buckets()["Buckets"] == []


def test_an_existing_bucket_gets_versioning_and_the_policy(
    cloud: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    make_dist(tmp_path, "0.1.0")
    code, out, err = run(first_run_args(tmp_path, cloud), capsys)
    assert code == 0, err
    assert "versioning enabled" in out
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    sids = [s["Sid"] for s in json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"]]
    assert sids == [
        "DenyInsecureTransport",
        "OnlyThePublisherWritesObjects",
        "OnlyThePublisherChangesTheBucket",
    ]
