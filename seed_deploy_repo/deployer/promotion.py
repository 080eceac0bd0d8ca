"""``python -m deployer.promotion``: print how to promote the package staging just tested to production.

Production is reached only through a tag ``prod-v<version>[-<anything>]`` on this repo: tags ``prod-*`` are
protected (only Maintainers can create them) and the production role's trust policy accepts only the ID
tokens of pipelines for such tags (``sub`` = ``project_path:<this repo>:ref_type:tag:ref:prod-*``). The tag
names the model package version it promotes; the tag's pipeline (``deployer.resolve_prod``) refuses to
deploy anything else. Run by ``test-staging`` after its smoke test passed.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path

from deployer.cli import run
from deployer.errors import DeployerError

TAG_PREFIX = "prod-"
# prod-v<version>, optionally followed by "-" and anything GitLab allows in a tag name (e.g. the pipeline).
TAG_PATTERN = re.compile(r"prod-v(?P<version>[1-9][0-9]*)(?:-.+)?")
# GitLab skips a push pipeline, a new tag's included, when its commit's message matches this
# (SKIP_PATTERN in lib/gitlab/ci/pipeline/chain/skip.rb); pipelines run from the UI or the API do not skip.
SKIP_CI = re.compile(r"\[(ci[ _-]skip|skip[ _-]ci)\]", re.IGNORECASE)
RUN_PIPELINE_HINT = "GitLab creates that tag's own pipeline as skipped"


def tag_name(version: int, pipeline_id: str = "") -> str:
    """A tag that names the version and, to stay unique when a version is promoted again, the pipeline."""
    suffix = f"-p{pipeline_id.strip()}" if pipeline_id.strip() else ""
    return f"{TAG_PREFIX}v{version}{suffix}"


def tag_version(tag: str) -> int:
    """The model package version a production tag names; refuse a tag that names none."""
    match = TAG_PATTERN.fullmatch(tag.strip())
    if match is None:
        raise DeployerError(
            f"tag {tag!r} does not name the model package version it promotes: production tags are "
            "prod-v<version> or prod-v<version>-<anything>, e.g. prod-v3 or prod-v3-p1234 (the `test-staging` "
            "job of the staging pipeline prints the tag to create). Delete this tag and create one that names "
            "the version staging serves."
        )
    return int(match["version"])


def instructions(env: Mapping[str, str]) -> list[str]:
    """What a Maintainer does to promote the package this pipeline deployed to staging."""
    arn = env.get("RESOLVED_MODEL_PACKAGE_ARN", "").strip()
    version = env.get("RESOLVED_MODEL_PACKAGE_VERSION", "").strip()
    if not arn or not version.isdigit():
        raise DeployerError(
            "RESOLVED_MODEL_PACKAGE_ARN/RESOLVED_MODEL_PACKAGE_VERSION are not set: run "
            "`python -m deployer.resolve` first (in GitLab CI the `resolve` job's dotenv report sets them)"
        )
    tag = tag_name(int(version), env.get("CI_PIPELINE_ID", ""))
    commit = env.get("CI_COMMIT_SHA", "").strip() or "<commit>"
    project_url = env.get("CI_PROJECT_URL", "").strip() or "<project URL>"
    api = env.get("CI_API_V4_URL", "").strip() or "<GitLab URL>/api/v4"
    project_id = env.get("CI_PROJECT_ID", "").strip() or "<project id>"
    lines = [
        f"Staging passed. To promote model package version {version} to production, a Maintainer creates",
        f"the tag {tag} on commit {commit}:",
        f"  model package : {arn}",
        f"  GitLab        : Code > Tags > New tag ({project_url}/-/tags/new): Tag name {tag}, Create from {commit}",
        f'  API           : curl --request POST --header "PRIVATE-TOKEN: <your token>" '
        f'--data "tag_name={tag}&ref={commit}" "{api}/projects/{project_id}/repository/tags"',
        f"  git           : git tag {tag} {commit} && git push origin {tag}",
        f"Tags {TAG_PREFIX}* are protected: only Maintainers can create them, and only their pipelines can "
        "assume the production role.",
        f"The tag's pipeline deploys what staging serves then, if that is still version {version} and still "
        "Approved; otherwise it stops and says why.",
    ]
    if SKIP_CI.search(env.get("CI_COMMIT_MESSAGE", "")):
        lines += [
            f"This commit's message contains [skip ci], so {RUN_PIPELINE_HINT}: after creating the tag, run its",
            f"pipeline: Build > Pipelines > Run pipeline, Run for {tag}, or",
            f'  curl --request POST --header "PRIVATE-TOKEN: <your token>" --data "ref={tag}" '
            f'"{api}/projects/{project_id}/pipeline"',
        ]
    return lines


def superseded_by(smoke_report: Path) -> str:
    """The package that overtook this pipeline's, as the smoke test recorded it ("" when it tested its own)."""
    if not smoke_report.is_file():
        return ""
    try:
        record = json.loads(smoke_report.read_text(encoding="utf-8"))
    except ValueError:
        return ""
    value = record.get("superseded_by", "") if isinstance(record, dict) else ""
    return value if isinstance(value, str) else ""


def main(smoke_report: Path = Path("smoke-test-staging.json")) -> int:
    def body() -> int:
        newer = superseded_by(smoke_report)
        if newer:
            print(
                f"Nothing to promote from this pipeline: {newer} overtook its package; its pipeline prints how."
            )
            return 0
        for line in instructions(dict(os.environ)):
            print(line)
        return 0

    return run(body)


if __name__ == "__main__":
    sys.exit(main())
