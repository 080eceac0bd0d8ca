"""Where things live: the source tree's parts, the artifacts built from them and their S3 keys.

One place for these names, because the project template (``ArtifactsPrefix``), the manifest and publish
must agree on them.
"""

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT_NAME = "sagemaker-gitlab-mlops"
# Key prefix of every published version in the artifacts bucket: <S3_PREFIX>/<version>/<artifact>.
S3_PREFIX = "sagemaker-gitlab"
TEMPLATE = "template.yaml"
PLATFORM_TEMPLATE = "platform.yaml"
MANIFEST = "manifest.json"
VERSION_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$")


@dataclass(frozen=True)
class LambdaSource:
    """A Lambda function's sources: ``<folder>/<package>/`` plus ``<folder>/requirements.txt``."""

    artifact: str
    folder: str
    package: str
    handler: str


LAMBDAS = (
    LambdaSource("seeder_lambda.zip", "seeder_lambda", "seeder", "seeder.handler.lambda_handler"),
    LambdaSource("trigger_lambda.zip", "trigger_lambda", "trigger", "trigger.handler.lambda_handler"),
    LambdaSource(
        "token_monitor_lambda.zip",
        "token_monitor_lambda",
        "token_monitor",
        "token_monitor.handler.lambda_handler",
    ),
)
# Packages shared by every Lambda (copied into each zip beside the handler package): ``contracts/<package>/``,
# the one definition of the names and schemas the Lambdas, the template and the sandbox agree on.
SHARED_PACKAGES = (("contracts", "contracts"),)
# Lambda code the project template pins by S3 object version: artifact -> template parameter (issue 12.6).
PINNED_CODE = {"seeder_lambda.zip": "SeederCodeS3Version", "trigger_lambda.zip": "TriggerCodeS3Version"}
# Seed repositories: zipped with their files at the zip's root (the seeder pushes them as one commit).
SEED_REPOS = (("seed_build_repo.zip", "seed_build_repo"), ("seed_deploy_repo.zip", "seed_deploy_repo"))


def project_version(root: Path = ROOT) -> str:
    """The version in ``pyproject.toml`` (the default version of a build)."""
    with (root / "pyproject.toml").open("rb") as handle:
        version = tomllib.load(handle)["project"]["version"]
    if not isinstance(version, str):
        raise ValueError("pyproject.toml: [project].version must be a string")
    return version


def validate_version(version: str) -> str:
    if not VERSION_PATTERN.match(version):
        raise ValueError(
            f"invalid version {version!r}: use letters, digits and . + _ - (up to 64 characters), "
            "e.g. 0.1.0 or 0.1.0+hotfix1"
        )
    return version


def version_prefix(version: str) -> str:
    """The S3 key prefix of a version's artifacts (the template's ``ArtifactsPrefix``)."""
    return f"{S3_PREFIX}/{version}"
