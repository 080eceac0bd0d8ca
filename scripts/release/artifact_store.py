"""The artifacts bucket: created safely when missing, versions uploaded once and never overwritten."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from release.aws_errors import PublishError, error_code

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
else:
    S3Client = Any

Log = Callable[[str], None]
SHA_METADATA = "sha256"
STUDIO_VISIBILITY_TAG = "sagemaker:studio-visibility=true"


def default_bucket_name(account: str, region: str) -> str:
    return f"sagemaker-gitlab-artifacts-{account}-{region}"


def https_url(bucket: str, region: str, key: str) -> str:
    """The HTTPS (virtual-hosted) URL CloudFormation and Service Catalog read templates from."""
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://{bucket}.s3.{region}.{suffix}/{key}"


def bucket_exists(s3: S3Client, bucket: str) -> bool:
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as error:
        if error_code(error) in {"404", "NoSuchBucket", "NotFound"}:
            return False
        if error_code(error) in {"403", "AccessDenied"}:
            raise PublishError(
                f"bucket {bucket} exists but is not yours or you lack s3:ListBucket on it; "
                "choose another name with --bucket"
            ) from error
        raise
    return True


def tls_only_policy(bucket: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )


def create_bucket(s3: S3Client, bucket: str, region: str) -> None:
    """Create the artifacts bucket: private, encrypted, versioned, TLS only, readable by Studio (CORS)."""
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})  # type: ignore[typeddict-item]
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_policy(Bucket=bucket, Policy=tls_only_policy(bucket))
    # SageMaker Studio reads S3-hosted project templates from the browser.
    s3.put_bucket_cors(
        Bucket=bucket,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedMethods": ["GET"],
                    "AllowedOrigins": ["https://*.sagemaker.aws"],
                    "AllowedHeaders": ["*"],
                    "ExposeHeaders": ["ETag"],
                }
            ]
        },
    )
    s3.put_bucket_tagging(
        Bucket=bucket, Tagging={"TagSet": [{"Key": "sagemaker-gitlab:component", "Value": "artifacts"}]}
    )


def remote_sha256(s3: S3Client, bucket: str, key: str) -> str | None:
    """The sha256 recorded on an uploaded object, None if the object does not exist."""
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error_code(error) in {"404", "NoSuchKey", "NotFound"}:
            return None
        raise
    return str(head.get("Metadata", {}).get(SHA_METADATA, ""))


@dataclass(frozen=True)
class Upload:
    name: str
    key: str
    sha256: str
    state: str  # "new" | "unchanged" | "conflict"


def plan_uploads(s3: S3Client | None, bucket: str, prefix: str, manifest: dict[str, Any]) -> list[Upload]:
    """What uploading a version would do; ``s3`` None means the bucket does not exist yet."""
    plan = []
    for name, facts in sorted(manifest["artifacts"].items()):
        key = f"{prefix}/{name}"
        existing = remote_sha256(s3, bucket, key) if s3 is not None else None
        if existing is None:
            state = "new"
        elif existing == facts["sha256"]:
            state = "unchanged"
        else:
            state = "conflict"
        plan.append(Upload(name, key, str(facts["sha256"]), state))
    manifest_key = f"{prefix}/manifest.json"
    plan.append(Upload("manifest.json", manifest_key, "", "new"))
    return plan


def upload_version(s3: S3Client, bucket: str, directory: Path, plan: list[Upload], log: Log) -> None:
    conflicts = [upload.name for upload in plan if upload.state == "conflict"]
    if conflicts:
        raise PublishError(
            f"this version is already published with different content ({', '.join(conflicts)}): published "
            "versions are immutable because projects use them. Bump the version in pyproject.toml (or pass "
            "--version to scripts/package and scripts/publish) and rerun"
        )
    for upload in plan:
        if upload.state == "unchanged":
            log(f"  s3://{bucket}/{upload.key}  unchanged")
            continue
        body = (directory / upload.name).read_bytes()
        metadata = {SHA_METADATA: upload.sha256} if upload.sha256 else {}
        # The manifest goes last: its presence marks a complete upload.
        s3.put_object(
            Bucket=bucket, Key=upload.key, Body=body, Metadata=metadata, ServerSideEncryption="AES256"
        )
        log(f"  s3://{bucket}/{upload.key}  uploaded ({len(body) / 1024:.1f} KiB)")


def publish_project_template(s3: S3Client, bucket: str, key: str, body: bytes, sha256: str) -> str:
    """Upload the S3-hosted SageMaker project template (tagged for Studio); ``uploaded`` or ``unchanged``."""
    if remote_sha256(s3, bucket, key) == sha256:
        tags = {tag["Key"]: tag["Value"] for tag in s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]}
        if tags.get("sagemaker:studio-visibility") == "true":
            return "unchanged"
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=body,
        Metadata={SHA_METADATA: sha256},
        ServerSideEncryption="AES256",
        ContentType="application/x-yaml",
        Tagging=STUDIO_VISIBILITY_TAG,
    )
    return "uploaded"
