"""Shared edge of the command-line entry points: turn known failures into one readable line and exit 1."""

from __future__ import annotations

import sys
from collections.abc import Callable

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from deployer.errors import DeployerError


def run(body: Callable[[], int]) -> int:
    try:
        return body()
    except DeployerError as error:
        print(f"ERROR: {error}", file=sys.stderr)
    except NoCredentialsError:
        print(
            "ERROR: no AWS credentials. In GitLab CI the job needs `id_tokens: AWS_ID_TOKEN` and the stage's role "
            "in AWS_ROLE_ARN (see .gitlab-ci.yml); locally, configure a profile or SSO session.",
            file=sys.stderr,
        )
    except ClientError as error:
        details = error.response.get("Error", {})
        print(
            f"ERROR: AWS refused {error.operation_name}: {details.get('Code', '?')}: {details.get('Message', '')}",
            file=sys.stderr,
        )
    except BotoCoreError as error:
        print(f"ERROR: AWS call failed: {error}", file=sys.stderr)
    return 1
