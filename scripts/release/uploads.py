"""A version's files in the artifacts bucket: uploaded once, never overwritten, checked before and after.

Each file's sha256 is compared with ``manifest.json`` on the bytes about to be sent (not on a copy read
earlier), S3 is sent the same digest as ``ChecksumSHA256`` and refuses a body that does not match it
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html), and the stored
object version is downloaded again and hashed, so that what is pinned is what was packaged, whoever wrote
the bucket in between (issue 12.6). The ``sha256`` metadata only tells a rerun what is already there; it
is never trusted as proof.
"""

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from release.aws_errors import PublishError, error_code
from release.layout import MANIFEST, TEMPLATE

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
else:
    S3Client = Any

Log = Callable[[str], None]
SHA_METADATA = "sha256"
STUDIO_VISIBILITY_TAG = "sagemaker:studio-visibility=true"


def sha256_hex(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


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
    """What uploading a version would do; ``s3`` None means the bucket does not exist yet. The project
    template is uploaded with the code versions pinned, so only its presence is known before the upload."""
    plan = []
    for name, facts in sorted(manifest["artifacts"].items()):
        key = f"{prefix}/{name}"
        existing = remote_sha256(s3, bucket, key) if s3 is not None else None
        if existing is None:
            state = "new"
        elif existing == facts["sha256"] or name == TEMPLATE:
            state = "unchanged"
        else:
            state = "conflict"
        plan.append(Upload(name, key, str(facts["sha256"]), state))
    plan.append(Upload(MANIFEST, f"{prefix}/{MANIFEST}", "", "new"))
    return plan


def checked_body(directory: Path, name: str, sha256: str) -> bytes:
    """The bytes of ``directory/name``, refused unless they are what ``manifest.json`` recorded."""
    body = (directory / name).read_bytes()
    actual = sha256_hex(body)
    if actual != sha256:
        raise PublishError(
            f"{directory / name} does not match the release manifest (sha256 {actual}, manifest.json says "
            f"{sha256}): it changed after scripts/package. Nothing was uploaded from it. Find out what "
            "changed it, then rebuild with scripts/package and publish again"
        )
    return body


def put_checked(s3: S3Client, bucket: str, key: str, body: bytes, sha256: str, **extra: Any) -> str:
    """Upload ``body`` with its sha256 for S3 to check; return the new object version."""
    checksum = base64.b64encode(bytes.fromhex(sha256)).decode()
    response = s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=body,
        Metadata={SHA_METADATA: sha256},
        ServerSideEncryption="AES256",
        ChecksumSHA256=checksum,
        **extra,
    )
    return require_version(bucket, key, response.get("VersionId"))


def require_version(bucket: str, key: str, version_id: str | None) -> str:
    if not version_id or version_id == "null":
        raise PublishError(
            f"s3://{bucket}/{key} has no object version: versioning is off on {bucket}, so projects could "
            f"not pin their code. Enable it (aws s3api put-bucket-versioning --bucket {bucket} "
            "--versioning-configuration Status=Enabled) and publish a new version"
        )
    return version_id


def latest_version(s3: S3Client, bucket: str, key: str) -> str:
    return require_version(bucket, key, s3.head_object(Bucket=bucket, Key=key).get("VersionId"))


def verify_stored(s3: S3Client, bucket: str, key: str, version_id: str, sha256: str) -> None:
    """Download the object version and compare its sha256 with the manifest's."""
    body = s3.get_object(Bucket=bucket, Key=key, VersionId=version_id)["Body"].read()
    actual = sha256_hex(body)
    if actual != sha256:
        raise PublishError(
            f"s3://{bucket}/{key} (version {version_id}) has sha256 {actual}, not {sha256} from the release "
            "manifest: the stored object is not what was packaged, so publish stopped before any project "
            "could use it. Check who wrote it (CloudTrail S3 data events), make sure the bucket policy lets "
            "only the publisher write, and publish a new version"
        )


def upload_version(
    s3: S3Client, bucket: str, directory: Path, plan: list[Upload], log: Log
) -> dict[str, str]:
    """Upload the version's code and seed zips (not the project template nor the manifest, which come
    after pinning); return each file's verified object version."""
    conflicts = [upload.name for upload in plan if upload.state == "conflict"]
    if conflicts:
        raise PublishError(
            f"this version is already published with different content ({', '.join(conflicts)}): published "
            "versions are immutable because projects use them. Bump the version in pyproject.toml (or pass "
            "--version to scripts/package and scripts/publish) and rerun"
        )
    versions: dict[str, str] = {}
    for upload in plan:
        if upload.name in {TEMPLATE, MANIFEST}:
            continue
        body = checked_body(directory, upload.name, upload.sha256)
        if upload.state == "unchanged":
            version = latest_version(s3, bucket, upload.key)
            outcome = "unchanged"
        else:
            version = put_checked(s3, bucket, upload.key, body, upload.sha256)
            outcome = f"uploaded ({len(body) / 1024:.1f} KiB)"
        verify_stored(s3, bucket, upload.key, version, upload.sha256)
        versions[upload.name] = version
        log(f"  s3://{bucket}/{upload.key}  {outcome}, version {version}, sha256 verified")
    return versions


def put_once(s3: S3Client, bucket: str, key: str, body: bytes, log: Log, **extra: Any) -> str:
    """Upload a file that has no manifest entry of its own (the pinned project template): ``uploaded`` or
    ``unchanged``; refused when the key holds other content (published versions are immutable)."""
    sha256 = sha256_hex(body)
    existing = remote_sha256(s3, bucket, key)
    if existing == sha256:
        verify_stored(s3, bucket, key, latest_version(s3, bucket, key), sha256)
        log(f"  s3://{bucket}/{key}  unchanged")
        return "unchanged"
    if existing is not None:
        raise PublishError(
            f"s3://{bucket}/{key} already holds another template for this version (published versions are "
            "immutable because projects use them): bump the version and rerun"
        )
    version = put_checked(s3, bucket, key, body, sha256, **extra)
    verify_stored(s3, bucket, key, version, sha256)
    log(f"  s3://{bucket}/{key}  uploaded, version {version}")
    return "uploaded"


def put_marker(s3: S3Client, bucket: str, key: str, body: bytes, log: Log) -> None:
    """The manifest goes last: its presence marks a complete upload (rewritten on every run)."""
    put_checked(s3, bucket, key, body, sha256_hex(body))
    log(f"  s3://{bucket}/{key}  uploaded")


def publish_project_template(s3: S3Client, bucket: str, key: str, body: bytes) -> str:
    """Upload the S3-hosted SageMaker project template (tagged for Studio); ``uploaded`` or ``unchanged``.
    This key is the same for every version, so it is replaced by each newer one."""
    sha256 = sha256_hex(body)
    if remote_sha256(s3, bucket, key) == sha256:
        tags = {tag["Key"]: tag["Value"] for tag in s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]}
        if tags.get("sagemaker:studio-visibility") == "true":
            verify_stored(s3, bucket, key, latest_version(s3, bucket, key), sha256)
            return "unchanged"
    version = put_checked(
        s3, bucket, key, body, sha256, ContentType="application/x-yaml", Tagging=STUDIO_VISIBILITY_TAG
    )
    verify_stored(s3, bucket, key, version, sha256)
    return "uploaded"
