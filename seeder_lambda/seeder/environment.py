"""The seeder's trusted configuration: its own Lambda environment, set by the project template (contract C3).

The platform values (GitLab URL, token secret, group) and the project's identity never come from the event:
anyone allowed to invoke the function could otherwise point it at their own GitLab and receive the
platform's token there (issue 12.1). ``product/template.yaml`` sets every variable below.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlparse

from contracts.names import PROJECT_ID_PATTERN, PROJECT_NAME_MAX, PROJECT_NAME_PATTERN
from seeder.errors import SeederError

GITLAB_URL = "GITLAB_URL"
GITLAB_TOKEN_SECRET_ARN = "GITLAB_TOKEN_SECRET_ARN"  # noqa: S105 - a variable name
GITLAB_GROUP_PATH = "GITLAB_GROUP_PATH"
SAGEMAKER_PROJECT_NAME = "SAGEMAKER_PROJECT_NAME"
SAGEMAKER_PROJECT_ID = "SAGEMAKER_PROJECT_ID"
PROJECT_STACK_ID = "PROJECT_STACK_ID"
VARIABLES = (GITLAB_URL, GITLAB_TOKEN_SECRET_ARN, GITLAB_GROUP_PATH, SAGEMAKER_PROJECT_NAME,
             SAGEMAKER_PROJECT_ID, PROJECT_STACK_ID)  # fmt: skip
# Lambda sets AWS_REGION in every function's environment (reserved variable).
AWS_REGION = "AWS_REGION"

_GROUP_SEGMENT = re.compile(r"\A[a-zA-Z0-9_.][a-zA-Z0-9_.-]*\Z")
_STACK_ARN = re.compile(r"\Aarn:aws[a-z-]*:cloudformation:([a-z0-9-]+):[0-9]{12}:stack/[^/]+/[^/]+\Z")


@dataclass(frozen=True)
class Environment:
    gitlab_url: str
    token_secret_arn: str
    group_path: str
    project_name: str
    project_id: str
    stack_id: str
    region: str


def read(env: Mapping[str, str]) -> Environment:
    """The validated configuration, or :class:`SeederError` naming every missing or malformed variable."""
    problems: list[str] = []

    def value(name: str, strip: str = "") -> str:
        text = env.get(name, "").strip().strip(strip)
        if not text:
            problems.append(f"{name} is not set")
        return text

    url = value(GITLAB_URL, "/")
    parsed = urlparse(url)
    if url and (parsed.scheme not in ("https", "http") or not parsed.netloc):
        problems.append(
            f"{GITLAB_URL} '{url[:100]}' is not an http(s) URL such as https://gitlab.example.com"
        )
    secret_arn = value(GITLAB_TOKEN_SECRET_ARN)
    group = value(GITLAB_GROUP_PATH, "/")
    if group and not all(_GROUP_SEGMENT.match(part) for part in group.split("/")):
        problems.append(f"{GITLAB_GROUP_PATH} '{group[:100]}' is not a GitLab group path such as ml/team")
    name = value(SAGEMAKER_PROJECT_NAME)
    if name and (len(name) > PROJECT_NAME_MAX or not PROJECT_NAME_PATTERN.match(name)):
        problems.append(f"{SAGEMAKER_PROJECT_NAME} '{name[:64]}' is not a SageMaker project name")
    project_id = value(SAGEMAKER_PROJECT_ID)
    if project_id and not PROJECT_ID_PATTERN.match(project_id):
        problems.append(f"{SAGEMAKER_PROJECT_ID} '{project_id[:64]}' is not a SageMaker project id")
    stack_id = value(PROJECT_STACK_ID)
    if stack_id and not _STACK_ARN.match(stack_id):
        problems.append(f"{PROJECT_STACK_ID} '{stack_id[:200]}' is not a CloudFormation stack ARN")
    region = value(AWS_REGION)
    if problems:
        raise SeederError(
            "the seeder function's environment is incomplete ("
            + "; ".join(problems)
            + "); the project template sets these variables: update the project stack with the current template"
        )
    return Environment(url, secret_arn, group, name, project_id, stack_id, region)
