"""The artifacts bucket: its name and URLs, created safely when missing, kept versioned."""

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from release import bucket_policy
from release.aws_errors import PublishError, error_code

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
else:
    S3Client = Any

Log = Callable[[str], None]


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


def create_bucket(s3: S3Client, bucket: str, region: str, publisher_arn: str) -> None:
    """Create the artifacts bucket: private, encrypted, versioned, TLS only, writable only by the publisher
    (its policy is in place before the first object arrives), readable by Studio (CORS)."""
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
    s3.put_bucket_policy(
        Bucket=bucket, Policy=json.dumps(bucket_policy.policy_document(bucket, publisher_arn))
    )
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


def ensure_versioning(s3: S3Client, bucket: str, log: Log) -> None:
    """Projects pin their Lambda code by object version, which needs versioning on (an existing bucket may
    predate that)."""
    if s3.get_bucket_versioning(Bucket=bucket).get("Status") != "Enabled":
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        log("  versioning enabled")
