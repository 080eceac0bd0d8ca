"""Emulated network edge: CloudFormation's custom resource ResponseURL, reachable from the local Lambdas.

CloudFormation gives a custom resource a pre-signed S3 URL for its answer. Its form, as AWS documents and
as real events show:
- bucket `cloudformation-custom-resource-response-<region without dashes>` (e.g. `useast1`; AWS CloudFormation
  user guide, "VPC endpoints": https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cfn-vpce-bucketnames.html
  and https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requests.html "ResponseURL");
- addressed virtual-hosted style (Amazon S3 user guide, https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html):
  `https://<bucket>.s3.amazonaws.com/...` in us-east-1, `https://<bucket>.s3.<region>.amazonaws.com/...` elsewhere;
- key = URL-encoded `<StackId>|<LogicalResourceId>|<RequestId>`, query = SigV4 pre-signing parameters
  (X-Amz-Algorithm, X-Amz-Date, X-Amz-SignedHeaders=host, X-Amz-Expires, X-Amz-Credential, X-Amz-Signature).

The sandbox hands out URLs of exactly that form. Inside the sandbox those hosts must reach the local cloud,
so the Lambda runtime's network (lambda_runtime) sends HTTPS through this edge: an HTTP CONNECT proxy
(`HTTPS_PROXY`) that accepts tunnels to the response hosts only, terminates TLS with a certificate for those
hosts issued by a throwaway sandbox CA (trusted through `SSL_CERT_FILE`), and answers the PUT as S3 does
(200 and an ETag; 403 `SignatureDoesNotMatch` for a tampered URL, 403 `AccessDenied` "Request has expired").
A tunnel to any other host is refused (502): the sandbox has no route to the internet. The signature is an
HMAC with a per-run key that only this edge checks, not a real SigV4 signature.
Not emulated: S3 reading the object back (the answer goes straight to the CloudFormation model).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import http.server
import secrets
import socket
import socketserver
import ssl
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

BUCKET_PREFIX = "cloudformation-custom-resource-response-"
# Observed in real events: CloudFormation's pre-signed URLs are valid for two hours.
EXPIRES_S = 7200
# AWS's documented example access key id (IAM User Guide, "Managing access keys"): AWS's shape, no one's key.
_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"

Receiver = Callable[[bytes], None]


def bucket_name(region: str) -> str:
    return BUCKET_PREFIX + region.replace("-", "")


def response_host(region: str) -> str:
    """Virtual-hosted-style host of the region's response bucket (the global S3 endpoint in us-east-1)."""
    if region == "us-east-1":
        return f"{bucket_name(region)}.s3.amazonaws.com"
    return f"{bucket_name(region)}.s3.{region}.amazonaws.com"


def response_hosts(region: str) -> tuple[str, ...]:
    """Hosts that reach the bucket: S3 also answers on the regional endpoint in us-east-1."""
    regional = f"{bucket_name(region)}.s3.{region}.amazonaws.com"
    return tuple(dict.fromkeys((response_host(region), regional)))


class ResponseEdge:
    """The CONNECT proxy + TLS endpoint for one region's response bucket. `start()`, then `stop()`."""

    def __init__(self, region: str, receive: Receiver) -> None:
        self.region = region
        self._receive = receive
        self._key = secrets.token_bytes(32)
        self._dir = tempfile.TemporaryDirectory(prefix="sandbox-cfn-edge-")
        self.ca_file = Path(self._dir.name) / "ca.pem"
        self._tls = self._tls_context()
        self._server: socketserver.ThreadingTCPServer | None = None

    # -- URLs ---------------------------------------------------------------------------------------------
    def presign(self, stack_id: str, logical_id: str, request_id: str, now: float | None = None) -> str:
        """A pre-signed PUT URL of CloudFormation's form for one request."""
        moment = datetime.datetime.fromtimestamp(time.time() if now is None else now, datetime.UTC)
        stamp = moment.strftime("%Y%m%dT%H%M%SZ")
        key = urllib.parse.quote(f"{stack_id}|{logical_id}|{request_id}", safe="")
        query = [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Date", stamp),
            ("X-Amz-SignedHeaders", "host"),
            ("X-Amz-Expires", str(EXPIRES_S)),
            ("X-Amz-Credential", f"{_ACCESS_KEY_ID}/{stamp[:8]}/{self.region}/s3/aws4_request"),
        ]
        host = response_host(self.region)
        signature = self._sign(host, key, query)
        encoded = urllib.parse.urlencode([*query, ("X-Amz-Signature", signature)])
        return f"https://{host}/{key}?{encoded}"

    def _sign(self, host: str, key: str, query: list[tuple[str, str]]) -> str:
        canonical = "\n".join(["PUT", host, "/" + key, urllib.parse.urlencode(query)])
        return hmac.new(self._key, canonical.encode(), hashlib.sha256).hexdigest()

    def check(self, host: str, target: str, now: float | None = None) -> tuple[int, str]:
        """S3's verdict on a PUT to `target` (path?query) at `host`: (200, "") or (403, S3 error XML)."""
        path, _, raw_query = target.partition("?")
        pairs = urllib.parse.parse_qsl(raw_query, keep_blank_values=True)
        query = [(k, v) for k, v in pairs if k != "X-Amz-Signature"]
        given = dict(pairs).get("X-Amz-Signature", "")
        # Signed for the primary host; S3 would equally accept the signature on the bucket's other endpoint.
        expected = self._sign(response_host(self.region), path.lstrip("/"), query)
        if host not in response_hosts(self.region) or not hmac.compare_digest(given, expected):
            return 403, _s3_error(
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        fields = dict(query)
        signed_at = datetime.datetime.strptime(fields["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.UTC
        )
        moment = time.time() if now is None else now
        if moment > signed_at.timestamp() + int(fields["X-Amz-Expires"]):
            return 403, _s3_error("AccessDenied", "Request has expired")
        return 200, ""

    # -- network ------------------------------------------------------------------------------------------
    def _tls_context(self) -> ssl.SSLContext:
        from sandbox.local_aws import edge_certs

        ca_pem, cert_pem, key_pem = edge_certs.issue(response_hosts(self.region))
        self.ca_file.write_bytes(ca_pem)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        # load_cert_chain reads files only; the throwaway key is on disk for this call and removed at once.
        key_file = Path(self._dir.name) / "edge.key"
        cert_file = Path(self._dir.name) / "edge.pem"
        key_file.touch(mode=0o600)
        key_file.write_bytes(key_pem)
        cert_file.write_bytes(cert_pem)
        try:
            context.load_cert_chain(cert_file, key_file)
        finally:
            key_file.unlink()
            cert_file.unlink()
        return context

    @property
    def proxy_url(self) -> str:
        assert self._server is not None, "ResponseEdge is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def lambda_env(self) -> dict[str, str]:
        """Network settings of a Lambda process: HTTPS through this edge, local endpoints direct."""
        return {
            "HTTPS_PROXY": self.proxy_url,
            "https_proxy": self.proxy_url,
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            "SSL_CERT_FILE": str(self.ca_file),
        }

    def start(self) -> ResponseEdge:
        edge = self

        class Tunnel(socketserver.StreamRequestHandler):
            rbufsize = 0  # unbuffered: the bytes after the CONNECT header are the client's TLS handshake

            def handle(self) -> None:
                edge._tunnel(self.connection, self.rfile, self.wfile, self.server)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Tunnel)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="cfn-response-edge", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self._dir.cleanup()

    def _tunnel(self, conn: socket.socket, rfile: Any, wfile: Any, server: Any) -> None:
        request_line = rfile.readline(8192).decode("latin-1").split()
        while rfile.readline(8192) not in (b"\r\n", b"\n", b""):
            pass
        method, target = [*request_line, "", ""][:2]
        host, _, port = target.rpartition(":")
        if method != "CONNECT" or port != "443" or host not in response_hosts(self.region):
            body = f"sandbox network edge: no route to {target or 'that host'} (only CloudFormation's response bucket is reachable)\n"
            wfile.write(f"HTTP/1.1 502 Bad Gateway\r\nContent-Length: {len(body)}\r\n\r\n{body}".encode())
            return
        wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        try:
            tls = self._tls.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            return  # the client gave up on the handshake (e.g. it does not trust the certificate)
        _S3Put(tls, ("127.0.0.1", 0), server, edge=self, host=host)
        tls.close()


class _S3Put(http.server.BaseHTTPRequestHandler):
    """One HTTP exchange inside the TLS tunnel, answered as S3 answers a pre-signed PUT."""

    def __init__(
        self, request: Any, client_address: Any, server: Any, *, edge: ResponseEdge, host: str
    ) -> None:
        self.edge, self.host = edge, host
        super().__init__(request, client_address, server)

    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, error = self.edge.check(self.headers.get("Host", self.host).split(":")[0], self.path)
        if status == 200:
            self.edge._receive(body)
        self._answer(status, error, etag=hashlib.md5(body, usedforsecurity=False).hexdigest())

    def do_GET(self) -> None:
        # The URL is signed for PUT only: any other method is a signature mismatch at S3.
        self._answer(403, _s3_error("AccessDenied", "Access Denied"))

    def do_POST(self) -> None:
        self.do_GET()

    def do_DELETE(self) -> None:
        self.do_GET()

    def _answer(self, status: int, error: str, etag: str = "") -> None:
        data = error.encode()
        self.send_response(status)
        if status == 200 and etag:
            self.send_header("ETag", f'"{etag}"')
        if data:
            self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return None


def _s3_error(code: str, message: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>'
