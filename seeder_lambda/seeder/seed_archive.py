"""Read a seed repo zip from S3 and turn it into the actions of one binary-safe GitLab commit."""

from __future__ import annotations

import base64
import io
import stat
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from seeder.errors import SeederError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# A seed repo is a few hundred KB; these bounds stop a wrong or hostile object from exhausting the Lambda.
MAX_FILES = 2000
MAX_TOTAL_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class SeedFile:
    path: str
    content: bytes
    executable: bool


def s3_uri(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"


def download(s3: S3Client, bucket: str, key: str) -> bytes:
    """The zip's bytes, or a :class:`SeederError` naming the ``s3://`` URI and what to do."""
    uri = s3_uri(bucket, key)
    try:
        body: bytes = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("NoSuchKey", "404", "NoSuchBucket", "NotFound"):
            raise SeederError(
                f"seed archive {uri} missing; publish the product again (scripts/publish)"
            ) from None
        if code in ("AccessDenied", "403"):
            raise SeederError(f"seed archive {uri} not readable by the seeder role (access denied)") from None
        raise SeederError(f"cannot read seed archive {uri}: {code or 'unknown S3 error'}") from None
    return body


def read_files(data: bytes, uri: str) -> list[SeedFile]:
    """Regular files of the zip (paths relative to the zip root), validated."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise SeederError(f"seed archive {uri} is not a zip file") from None
    files: list[SeedFile] = []
    total = 0
    with archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise SeederError(
                    f"seed archive {uri} contains a symlink ({info.filename[:100]}); package files only"
                )
            path = PurePosixPath(info.filename)
            if path.is_absolute() or ".." in path.parts or not info.filename.strip():
                raise SeederError(f"seed archive {uri} contains an unsafe path: {info.filename[:100]}")
            total += info.file_size
            if len(files) >= MAX_FILES or total > MAX_TOTAL_BYTES:
                raise SeederError(
                    f"seed archive {uri} is too large (limits: {MAX_FILES} files, {MAX_TOTAL_BYTES // 2**20} MiB)"
                )
            files.append(SeedFile(str(path), archive.read(info), bool(mode & stat.S_IXUSR)))
    if not files:
        raise SeederError(f"seed archive {uri} is empty")
    return sorted(files, key=lambda f: f.path)


def commit_actions(files: list[SeedFile]) -> list[dict[str, Any]]:
    """GitLab commit actions; base64 so binary files arrive byte-identical."""
    return [
        {
            "action": "create",
            "file_path": f.path,
            "content": base64.b64encode(f.content).decode("ascii"),
            "encoding": "base64",
            "execute_filemode": f.executable,
        }
        for f in files
    ]
