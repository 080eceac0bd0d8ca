"""Which events the seeder acts on: its own stack's, for its own project, answered to CloudFormation only.

Anyone allowed to invoke the function (``lambda:InvokeFunction``) can hand it an event. The seeder therefore
trusts only its environment (:mod:`seeder.environment`) and refuses:

* a ``ResponseURL`` that is not CloudFormation's pre-signed S3 URL: the response would carry the repos'
  URLs and the failure reasons to a host of the caller's choosing, so nothing at all is sent there;
* an event of another stack (``StackId``) or for another project (``ProjectName``/``ProjectId``): it is
  answered ``FAILED`` (at CloudFormation's URL, so that a stack waiting for it does not hang) and nothing
  else happens.

CloudFormation's response URLs are pre-signed PUT URLs into the AWS-owned bucket
``cloudformation-custom-resource-response-<region without dashes>`` of the stack's Region ("When using
custom resources, AWS Region names don't contain dashes. For example, uswest2":
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cfn-vpce-bucketnames.html), addressed
virtual-hosted style on S3's global or Regional endpoint. Events recorded from real stacks (kept in public
projects' tests) show ``https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/arn%3Aaws%3A
cloudformation...`` for us-east-1 and S3's legacy dash-Regional form elsewhere, e.g.
``...-euwest1.s3-eu-west-1.amazonaws.com/...`` and ``...-apnortheast1.s3-ap-northeast-1.amazonaws.com/...``;
S3's current Regional form ``<bucket>.s3.<region>.amazonaws.com``
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html) is accepted too. China Regions
use ``amazonaws.com.cn``. Nothing else is accepted: no other bucket, Region, port, user info or plain http.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from seeder.environment import Environment
from seeder.errors import SeederError

BUCKET_PREFIX = "cloudformation-custom-resource-response-"


def response_hosts(region: str) -> frozenset[str]:
    """The hosts CloudFormation's response URLs use for stacks in ``region``."""
    bucket = BUCKET_PREFIX + region.replace("-", "")
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return frozenset(
        {
            f"{bucket}.s3.{suffix}",
            f"{bucket}.s3.{region}.{suffix}",
            f"{bucket}.s3-{region}.{suffix}",
        }
    )


def response_url_problem(url: object, region: str) -> str | None:
    """Why ``url`` is not CloudFormation's response URL for ``region`` (``None`` if it is)."""
    if not isinstance(url, str) or not url:
        return "the event has no ResponseURL"
    if not region:
        return "AWS_REGION is not set, so CloudFormation's response host is unknown"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "the ResponseURL is not a URL"
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or parts.username is not None or parts.password is not None:
        return f"the ResponseURL is not an https URL of CloudFormation (host {host[:100]!r})"
    if port not in (None, 443) or host not in response_hosts(region):
        return (
            f"the ResponseURL host {host[:100]!r} is not CloudFormation's response bucket for {region} "
            f"({BUCKET_PREFIX}{region.replace('-', '')})"
        )
    return None


def check_identity(event: Mapping[str, Any], env: Environment) -> None:
    """Raise :class:`SeederError` unless the event is for this function's own stack and project."""
    stack = str(event.get("StackId", ""))
    if stack != env.stack_id:
        raise SeederError(
            f"refused: this seeder serves stack {env.stack_id} only, not {stack[:200] or 'an event without StackId'}; "
            "each project stack has its own seeder function"
        )
    raw = event.get("ResourceProperties")
    props: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    for key, expected in (("ProjectName", env.project_name), ("ProjectId", env.project_id)):
        got = props.get(key)
        if got != expected:
            raise SeederError(
                f"refused: property {key} {str(got)[:64]!r} is not this project's {expected!r}; "
                "ProjectName and ProjectId cannot change on an existing project, create a new project instead"
            )
