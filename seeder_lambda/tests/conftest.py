"""Fixtures shared by the seeder's tests: a CloudFormation ResponseURL capture server, a Lambda context,
seed zips built from small fixture trees, and moto-backed AWS."""

from __future__ import annotations

import json
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

# The helpers module sits next to this file; make it importable under its unique name.
sys.path.insert(0, str(Path(__file__).parent))
from seeder_testkit import (
    BUILD_EXECUTABLE,
    BUILD_KEY,
    BUILD_SEED,
    DEPLOY_KEY,
    DEPLOY_SEED,
    REGION,
    RESPONSE_HOSTS,
    RESPONSE_URL,
    SEED_BUCKET,
    FakeContext,
    make_zip,
)

from seeder import cfn_response


@dataclass
class CapturedResponse:
    host: str  # the host the seeder addressed (before the test network routed it)
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float


@dataclass
class CfnCapture:
    url: str
    responses: list[CapturedResponse] = field(default_factory=list)
    # every URL the seeder tried to open, routed or not (a refused event must leave this empty)
    attempted: list[str] = field(default_factory=list)
    # set when the first response arrived: tests wait on it instead of sleeping
    answered: threading.Event = field(default_factory=threading.Event)

    def only(self) -> CapturedResponse:
        assert len(self.responses) == 1, f"expected exactly one response, got {len(self.responses)}"
        return self.responses[0]


@pytest.fixture
def cfn_capture(monkeypatch: pytest.MonkeyPatch) -> Iterator[CfnCapture]:
    """CloudFormation's response bucket, as a local HTTP server.

    The seeder PUTs to CloudFormation's real URL form (``RESPONSE_URL``); at the seeder's network edge
    (``cfn_response._urlopen``) this fixture routes CloudFormation's hosts to the local server, as a network would,
    and records every URL the seeder opens. Any other host is refused, so a test sees an attempt to answer
    elsewhere instead of it reaching the internet.
    """
    capture = CfnCapture(url=RESPONSE_URL)
    hosts: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            capture.responses.append(
                CapturedResponse(
                    hosts[-1] if hosts else "",
                    self.command,
                    self.path,
                    {k: v for k, v in self.headers.items()},
                    json.loads(raw),
                    time.monotonic(),
                )
            )
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            capture.answered.set()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    local = f"http://127.0.0.1:{server.server_address[1]}"

    def route(request: urllib.request.Request, timeout: float) -> Any:
        url = request.full_url
        capture.attempted.append(url)
        parts = urllib.parse.urlsplit(url)
        if parts.hostname not in RESPONSE_HOSTS:
            raise urllib.error.URLError(f"test network: no route to {parts.hostname}")
        hosts.append(parts.hostname)
        routed = urllib.request.Request(  # noqa: S310 - loopback test server
            local + urllib.parse.urlunsplit(("", "", parts.path, parts.query, "")),
            data=request.data,
            method=request.get_method(),
            headers=dict(request.header_items()),
        )
        return urllib.request.urlopen(routed, timeout=timeout)  # noqa: S310 - loopback test server

    monkeypatch.setattr(cfn_response, "_urlopen", route)
    try:
        yield capture
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def lambda_context() -> FakeContext:
    return FakeContext()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto in-process for S3, Secrets Manager and CloudFormation (non-AWS HTTP passes through)."""
    for name, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield


@pytest.fixture
def seed_bucket(aws: None) -> str:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=SEED_BUCKET)
    s3.put_object(Bucket=SEED_BUCKET, Key=BUILD_KEY, Body=make_zip(BUILD_SEED, BUILD_EXECUTABLE))
    s3.put_object(Bucket=SEED_BUCKET, Key=DEPLOY_KEY, Body=make_zip(DEPLOY_SEED))
    return SEED_BUCKET
