"""CloudFormation's ResponseURL in its real form, and the emulated network edge that routes it (contract C3)."""

from __future__ import annotations

import json
import re
import ssl
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from sandbox.local_aws.cfn_response_edge import ResponseEdge, response_host

# The form real events carry (us-east-1): see cfn_response_edge's docstring for the sources.
URL_FORM = re.compile(
    r"\Ahttps://cloudformation-custom-resource-response-useast1\.s3\.amazonaws\.com/"
    r"arn%3Aaws%3Acloudformation%3Aus-east-1%3A123456789012%3Astack%2Fproject%2F[0-9a-f-]+%7CRepos%7C[0-9a-f-]{36}"
    r"\?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=\d{8}T\d{6}Z&X-Amz-SignedHeaders=host&X-Amz-Expires=7200"
    r"&X-Amz-Credential=AKIA[A-Z0-9]{16}%2F\d{8}%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=[0-9a-f]{64}\Z"
)

SOURCE = """
import json, urllib.request
import boto3

def handler(event, context):
    boto3.client("s3").put_object(Bucket="requests", Key=event["RequestType"], Body=json.dumps(event))
    body = {"Status": "SUCCESS", "PhysicalResourceId": "repos", "StackId": event["StackId"],
            "RequestId": event["RequestId"], "LogicalResourceId": event["LogicalResourceId"], "Data": {}}
    request = urllib.request.Request(event["ResponseURL"], data=json.dumps(body).encode(), method="PUT")
    urllib.request.urlopen(request).read()
"""


def _template(function_arn: str) -> str:
    resources = {"Repos": {"Type": "Custom::Repos", "Properties": {"ServiceToken": function_arn}}}
    return json.dumps({"Resources": resources})


def test_region_hosts_follow_the_documented_bucket_name() -> None:
    assert response_host("us-east-1") == "cloudformation-custom-resource-response-useast1.s3.amazonaws.com"
    assert (
        response_host("eu-west-1")
        == "cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com"
    )


def test_custom_resource_gets_cloudformations_url_form_and_its_answer_completes_the_stack(
    local_aws, make_function
) -> None:
    local_aws.client("s3").create_bucket(Bucket="requests")
    cfn = local_aws.client("cloudformation")
    cfn.create_stack(StackName="project", TemplateBody=_template(make_function("repos", SOURCE, Timeout=30)))
    local_aws.state.drain(timeout_s=60)
    assert cfn.describe_stacks(StackName="project")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    event = json.loads(local_aws.client("s3").get_object(Bucket="requests", Key="Create")["Body"].read())
    assert URL_FORM.match(event["ResponseURL"]), event["ResponseURL"]


def _opener(edge: ResponseEdge) -> urllib.request.OpenerDirector:
    context = ssl.create_default_context(cafile=str(edge.ca_file))
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({"https": edge.proxy_url}), urllib.request.HTTPSHandler(context=context)
    )


@pytest.fixture
def edge():
    received: list[bytes] = []
    running = ResponseEdge("us-east-1", received.append).start()
    running.received = received  # type: ignore[attr-defined]
    yield running
    folder = running.ca_file.parent
    running.stop()
    assert not folder.exists()


def test_edge_keeps_only_its_public_ca_certificate_on_disk(edge) -> None:
    assert sorted(p.name for p in edge.ca_file.parent.iterdir()) == ["ca.pem"]


def test_edge_accepts_its_presigned_put_and_refuses_a_tampered_one(edge) -> None:
    url = edge.presign("arn:aws:cloudformation:us-east-1:123456789012:stack/s/1", "Repos", "r-1")
    request = urllib.request.Request(url, data=b'{"Status": "SUCCESS"}', method="PUT")  # noqa: S310 - https
    with _opener(edge).open(request) as reply:
        assert reply.status == 200
        assert reply.headers["ETag"]
    assert edge.received == [b'{"Status": "SUCCESS"}']

    tampered = url.replace("%7Cr-1", "%7Cr-2")
    with pytest.raises(urllib.error.HTTPError) as refused:
        _opener(edge).open(urllib.request.Request(tampered, data=b"{}", method="PUT"))  # noqa: S310 - https
    assert refused.value.code == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in refused.value.read()
    assert len(edge.received) == 1


def test_edge_refuses_expired_urls_and_other_hosts(edge) -> None:
    url = edge.presign("stack", "Repos", "r-1", now=1_000_000)
    parsed = urllib.parse.urlsplit(url)
    target = f"{parsed.path}?{parsed.query}"
    assert edge.check(parsed.hostname, target, now=1_000_000 + 7200) == (200, "")
    status, error = edge.check(parsed.hostname, target, now=1_000_000 + 7201)
    assert (status, "<Code>AccessDenied</Code>" in error, "Request has expired" in error) == (403, True, True)

    with pytest.raises(urllib.error.URLError, match="502"):
        _opener(edge).open("https://gitlab.com/")


def test_lambda_processes_reach_only_the_edge_and_trust_its_ca(local_aws) -> None:
    env = local_aws.state.lambda_network_env
    assert env["HTTPS_PROXY"] == local_aws.state.response_edge.proxy_url
    assert "127.0.0.1" in env["NO_PROXY"]
    assert Path(env["SSL_CERT_FILE"]).read_text(encoding="ascii").startswith("-----BEGIN CERTIFICATE-----")
