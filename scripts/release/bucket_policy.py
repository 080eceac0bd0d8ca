"""The artifacts bucket's policy: TLS only, and only the publisher writes (issue 12.6).

AWS's managed policy ``AmazonSageMakerFullAccess`` (attached to most Studio execution roles) allows
``s3:PutObject`` and ``s3:DeleteObject`` on every bucket whose name contains ``sagemaker``, which includes
``sagemaker-gitlab-artifacts-*``. Identity policies cannot take that away, a bucket policy can: an explicit
Deny wins over any Allow (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
So every write, delete, ACL or tag change of an object, and the bucket settings that would undo versioning,
are denied to every principal whose ``aws:PrincipalArn`` is not the publisher's. For a role session
``aws:PrincipalArn`` is the role's ARN (path included), not the session's
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn),
so the publisher is named by a role or user ARN and every session of that role may publish.

The policy does not deny ``s3:PutBucketPolicy``: an administrator (or the account's root user, whom S3
never locks out of a bucket policy) can always hand publishing to another identity with
``scripts/publish --publisher-arn``.
"""

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from release.aws_errors import PublishError, error_code

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_s3 import S3Client
else:
    IAMClient = S3Client = Any

Log = Callable[[str], None]

# Object actions that change what a project stack or the seeder would read.
OBJECT_WRITE_ACTIONS = (
    "s3:PutObject",
    "s3:PutObjectAcl",
    "s3:PutObjectVersionAcl",
    "s3:PutObjectTagging",
    "s3:PutObjectVersionTagging",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:DeleteObjectTagging",
    "s3:DeleteObjectVersionTagging",
    "s3:PutObjectRetention",
    "s3:PutObjectLegalHold",
    "s3:RestoreObject",
)
# Bucket settings that would let old versions disappear or the browser-facing rules change.
BUCKET_WRITE_ACTIONS = (
    "s3:PutBucketVersioning",
    "s3:PutLifecycleConfiguration",
    "s3:PutBucketCORS",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutBucketAcl",
    "s3:PutBucketOwnershipControls",
)
ONLY_PUBLISHER_SIDS = ("OnlyThePublisherWritesObjects", "OnlyThePublisherChangesTheBucket")
PUBLISHER_ARN_PATTERN = re.compile(
    r"^arn:aws[a-z-]*:(iam::[0-9]{12}:(role|user)/[\w+=,.@/-]+|iam::[0-9]{12}:root"
    r"|sts::[0-9]{12}:(federated-)?user/[\w+=,.@/-]+)$"
)
ASSUMED_ROLE = re.compile(r"^arn:(aws[a-z-]*):sts::([0-9]{12}):assumed-role/([\w+=,.@-]+)/.+$")


def partition_of(arn: str) -> str:
    return arn.split(":", 2)[1]


def policy_document(bucket: str, publisher_arn: str) -> dict[str, Any]:
    partition = partition_of(publisher_arn)
    bucket_arn = f"arn:{partition}:s3:::{bucket}"
    not_the_publisher = {"ArnNotEquals": {"aws:PrincipalArn": publisher_arn}}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": ONLY_PUBLISHER_SIDS[0],
                "Effect": "Deny",
                "Principal": "*",
                "Action": list(OBJECT_WRITE_ACTIONS),
                "Resource": f"{bucket_arn}/*",
                "Condition": not_the_publisher,
            },
            {
                "Sid": ONLY_PUBLISHER_SIDS[1],
                "Effect": "Deny",
                "Principal": "*",
                "Action": list(BUCKET_WRITE_ACTIONS),
                "Resource": bucket_arn,
                "Condition": not_the_publisher,
            },
        ],
    }


def caller_principal_arn(identity_arn: str, iam: IAMClient) -> str:
    """The ``aws:PrincipalArn`` S3 sees for the caller: a role session counts as its role (with its path)."""
    assumed = ASSUMED_ROLE.match(identity_arn)
    if not assumed:
        return identity_arn
    partition, account, role_name = assumed.groups()
    try:
        return str(iam.get_role(RoleName=role_name)["Role"]["Arn"])
    except ClientError as error:
        if error_code(error) in {"AccessDenied", "AccessDeniedException"}:
            raise PublishError(
                f"cannot read the path of your role {role_name} (no iam:GetRole): pass "
                f"--publisher-arn arn:{partition}:iam::{account}:role/<path/>{role_name}"
            ) from error
        raise


def current_publisher(s3: S3Client, bucket: str) -> str | None:
    """The publisher named in the bucket's policy, None when the policy names none."""
    try:
        text = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    except ClientError as error:
        if error_code(error) in {"NoSuchBucketPolicy", "404"}:
            return None
        raise
    for statement in json.loads(text).get("Statement", []):
        if statement.get("Sid") in ONLY_PUBLISHER_SIDS:
            arn = statement.get("Condition", {}).get("ArnNotEquals", {}).get("aws:PrincipalArn")
            if isinstance(arn, str):
                return arn
    return None


def choose_publisher(requested: str | None, existing: str | None, caller: str) -> str:
    """Who may write: ``--publisher-arn`` if given, else the publisher already named, else the caller.
    Refuses a run whose caller the (new or kept) policy would lock out, before anything is written."""
    publisher = requested or existing or caller
    if publisher != caller:
        if requested:
            raise PublishError(
                f"--publisher-arn {requested} is not you ({caller}): the bucket policy would refuse this "
                "run's uploads. Run scripts/publish as that identity, or pass your own ARN"
            )
        raise PublishError(
            f"the artifacts bucket lets only {publisher} write (its policy denies everyone else, so that "
            f"Studio users cannot replace the Lambda code). You are {caller}: run scripts/publish as "
            f"{publisher}, or hand publishing over with --publisher-arn {caller} (needs s3:PutBucketPolicy)"
        )
    return publisher


def ensure_policy(s3: S3Client, bucket: str, publisher_arn: str, log: Log) -> str:
    """Put the policy unless the bucket already has exactly it; ``set`` or ``unchanged``."""
    wanted = policy_document(bucket, publisher_arn)
    try:
        current = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except ClientError as error:
        if error_code(error) not in {"NoSuchBucketPolicy", "404"}:
            raise
        current = None
    if current == wanted:
        return "unchanged"
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(wanted))
    log(f"  bucket policy: only {publisher_arn} may write objects")
    return "set"
