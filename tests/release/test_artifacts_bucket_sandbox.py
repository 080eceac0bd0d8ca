"""Issue 12.6 in the sandbox (its local AWS over HTTP, bucket policies evaluated as S3 does): a Studio
execution role with AmazonSageMakerFullAccess's S3 grants cannot replace the published Lambda code.

The publisher here is a role session (as in a CI job or an SSO login), so the test also shows that the
policy names the role, with its path, and that every session of it may publish.
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from release import artifact_store, bucket_policy, uploads
from release.manifest import build_manifest

BUCKET = "sagemaker-gitlab-artifacts-123456789012-us-east-1"
PREFIX = "sagemaker-gitlab/0.1.0"
SEEDER_KEY = f"{PREFIX}/seeder_lambda.zip"


def sagemaker_full_access_s3() -> dict[str, Any]:
    """AmazonSageMakerFullAccess's S3 statements (the file names its source)."""
    document = json.loads((Path(__file__).parent / "sagemaker_full_access_s3.json").read_text())
    return {key: value for key, value in document.items() if not key.startswith("_")}


@pytest.fixture(scope="module")
def aws() -> Iterator[Any]:
    from sandbox.local_aws.server import LocalAws

    with LocalAws() as local:
        yield local


def session_of(aws: Any, role_name: str, path: str, policy: dict[str, Any]) -> tuple[str, Any]:
    """(role ARN, an S3 client for a session of a new role with ``policy``)."""
    iam = aws.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
    role = iam.create_role(RoleName=role_name, Path=path, AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam.put_role_policy(RoleName=role_name, PolicyName="s3", PolicyDocument=json.dumps(policy))
    credentials = aws.client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="someone")["Credentials"]
    import boto3

    # One session with the role's temporary credentials, for both the S3 client and the identity check.
    session = boto3.session.Session(
        region_name=aws.region,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
    client = session.client("s3", endpoint_url=aws.endpoint_url)
    identity = session.client("sts", endpoint_url=aws.endpoint_url).get_caller_identity()["Arn"]
    return str(identity), client


@pytest.fixture(scope="module")
def published(aws: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The bucket as publish leaves it, with the seeder zip uploaded by a session of the release role."""
    everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    session_arn, s3 = session_of(aws, "sagemaker-gitlab-release", "/ci/", everything)
    publisher = bucket_policy.caller_principal_arn(session_arn, aws.client("iam"))
    directory = tmp_path_factory.mktemp("dist")
    (directory / "seeder_lambda.zip").write_bytes(b"the packaged seeder")
    manifest = build_manifest("0.1.0", directory, ["seeder_lambda.zip"])
    artifact_store.create_bucket(s3, BUCKET, aws.region, publisher)
    plan = uploads.plan_uploads(s3, BUCKET, PREFIX, manifest)
    versions = uploads.upload_version(s3, BUCKET, directory, plan, log=lambda _: None)
    return {"publisher": publisher, "session_arn": session_arn, "s3": s3, "versions": versions}


def all_versions(aws: Any) -> list[tuple[str, str]]:
    listed = aws.client("s3").list_object_versions(Bucket=BUCKET)
    return sorted((v["Key"], v["VersionId"]) for v in listed.get("Versions", []))


def test_the_policy_names_the_publishers_role_with_its_path_not_the_session(
    published: dict[str, Any],
) -> None:
    assert (
        published["session_arn"] == "arn:aws:sts::123456789012:assumed-role/sagemaker-gitlab-release/someone"
    )
    assert published["publisher"] == "arn:aws:iam::123456789012:role/ci/sagemaker-gitlab-release"


def test_a_studio_role_cannot_overwrite_delete_or_add_code(aws: Any, published: dict[str, Any]) -> None:
    _, studio = session_of(
        aws, "AmazonSageMaker-ExecutionRole-1", "/service-role/", sagemaker_full_access_s3()
    )
    before = all_versions(aws)
    assert studio.get_object(Bucket=BUCKET, Key=SEEDER_KEY)["Body"].read() == b"the packaged seeder"
    attempts = {
        "overwrite": lambda: studio.put_object(Bucket=BUCKET, Key=SEEDER_KEY, Body=b"evil"),
        "delete": lambda: studio.delete_object(Bucket=BUCKET, Key=SEEDER_KEY),
        "multipart": lambda: studio.create_multipart_upload(Bucket=BUCKET, Key=SEEDER_KEY),
        "copy": lambda: studio.copy_object(
            Bucket=BUCKET, Key=SEEDER_KEY, CopySource={"Bucket": BUCKET, "Key": SEEDER_KEY}, Metadata={"a": "b"},
            MetadataDirective="REPLACE",
        ),
    }  # fmt: skip
    for name, attempt in attempts.items():
        with pytest.raises(studio.exceptions.ClientError) as raised:
            attempt()
        assert raised.value.response["Error"]["Code"] == "AccessDenied", name
    answer = studio.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": SEEDER_KEY}]})
    assert [error["Code"] for error in answer.get("Errors", [])] == ["AccessDenied"]
    assert not answer.get("Deleted")
    # A presigned URL carries the signer's identity: no way around the policy either.
    url = studio.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": SEEDER_KEY})
    assert requests.put(url, data=b"evil", timeout=30).status_code == 403
    assert (
        requests.put(f"{aws.endpoint_url}/{BUCKET}/{SEEDER_KEY}", data=b"evil", timeout=30).status_code == 403
    )
    assert all_versions(aws) == before


def test_the_publisher_still_writes_and_its_upload_is_the_verified_version(
    aws: Any, published: dict[str, Any]
) -> None:
    s3 = published["s3"]
    s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}/manifest.json", Body=b"{}")
    version = published["versions"]["seeder_lambda.zip"]
    assert version not in {"", "null"}
    assert s3.head_object(Bucket=BUCKET, Key=SEEDER_KEY)["VersionId"] == version
    assert aws.client("s3").get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"


def test_anything_but_the_publisher_role_is_refused_even_with_full_s3_rights(
    aws: Any, published: dict[str, Any]
) -> None:
    """A role whose name only resembles the publisher's (another path) is another principal."""
    everything = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
    }
    _, lookalike = session_of(aws, "sagemaker-gitlab-release-2", "/", everything)
    with pytest.raises(lookalike.exceptions.ClientError) as raised:
        lookalike.put_object(Bucket=BUCKET, Key=SEEDER_KEY, Body=b"evil")
    assert raised.value.response["Error"]["Code"] == "AccessDenied"
