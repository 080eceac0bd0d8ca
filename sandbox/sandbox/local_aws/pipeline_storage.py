"""S3 access and container paths of the pipeline executor's steps (what a job's container sees).

Storage downloads a step's S3 inputs and uploads its outputs through the local AWS endpoint, as the SDK in
a processing or training container would; map_container_paths rewrites container paths (/opt/ml/...) to
the host temp dirs that stand in for them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class StepError(Exception):
    """The step failed; the message is its FailureReason."""


@dataclass
class Storage:
    """S3 access for the executor through the local AWS endpoint (as a container's SDK would)."""

    client: Any

    def download_prefix(self, uri: str, target: Path) -> int:
        bucket, _, prefix = uri.removeprefix("s3://").partition("/")
        target.mkdir(parents=True, exist_ok=True)
        count = 0
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                key = obj["Key"]
                if key.endswith("/"):
                    continue
                relative = key[len(prefix) :].lstrip("/") or key.rsplit("/", 1)[-1]
                destination = target / relative
                destination.parent.mkdir(parents=True, exist_ok=True)
                self.client.download_file(bucket, key, str(destination))
                count += 1
        if count == 0:
            raise StepError(f"ClientError: no S3 objects found under {uri}")
        return count

    def upload_dir(self, source: Path, uri: str) -> None:
        bucket, _, prefix = uri.removeprefix("s3://").partition("/")
        for path in sorted(source.rglob("*")):
            if path.is_file():
                key = f"{prefix.rstrip('/')}/{path.relative_to(source).as_posix()}".lstrip("/")
                self.client.upload_file(str(path), bucket, key)

    def put(self, uri: str, data: bytes) -> None:
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        self.client.put_object(Bucket=bucket, Key=key, Body=data)

    def read_json(self, uri: str) -> Any:
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        return json.loads(self.client.get_object(Bucket=bucket, Key=key)["Body"].read())


def map_container_paths(value: str, mapping: dict[str, Path]) -> str:
    """Rewrite a container path (or a string starting with one) to its host temp dir."""
    for container_path in sorted(mapping, key=len, reverse=True):
        if value == container_path or value.startswith(container_path.rstrip("/") + "/"):
            return str(mapping[container_path]) + value[len(container_path.rstrip("/")) :]
    return value
