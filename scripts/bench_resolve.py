#!/usr/bin/env python3
"""Benchmark: resolve the newest Approved model package among 1,000 in one group (moto, in process).

What the deploy repo's ``resolve`` job does when a pipeline is started without ``MODEL_PACKAGE_ARN``: read
every page of ``ListModelPackages`` (100 per page) and pick the newest Approved package. The group holds
``--packages`` versions; every ``--approve-every``-th one is Approved, the newest package is *not* Approved
and the newest Approved one is *not* on the first page in the API's default (ascending) order, so a
first-page or default-order shortcut gives a wrong answer. The answer is checked, then timed.

    .venv/bin/python scripts/bench_resolve.py [--packages 1000] [--approve-every 3] [--repeat 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "seed_deploy_repo"))

GROUP = "abalone-regression-with-a-32char-p-abcdefghijkl"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=1000)
    parser.add_argument("--approve-every", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    if args.packages < 2 or args.approve_every < 1 or args.repeat < 1:
        parser.error("--packages >= 2, --approve-every >= 1 and --repeat >= 1")

    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        os.environ.pop(name, None)
    os.environ.update(
        {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}
    )
    import boto3
    from moto import mock_aws

    from deployer.registry import newest_approved

    with mock_aws():
        client = boto3.client("sagemaker")
        client.create_model_package_group(ModelPackageGroupName=GROUP)
        started = time.perf_counter()
        arns = []
        for version in range(1, args.packages + 1):
            approved = version % args.approve_every == 0 and version != args.packages
            arns.append(
                client.create_model_package(
                    ModelPackageGroupName=GROUP,
                    ModelApprovalStatus="Approved" if approved else "PendingManualApproval",
                    InferenceSpecification={
                        "Containers": [
                            {"Image": IMAGE, "ModelDataUrl": f"s3://bucket/model-{version}.tar.gz"}
                        ],
                        "SupportedContentTypes": ["text/csv"],
                        "SupportedResponseMIMETypes": ["text/csv"],
                    },
                )["ModelPackageArn"]
            )
        setup_seconds = time.perf_counter() - started
        expected_version = max(
            v for v in range(1, args.packages + 1) if v % args.approve_every == 0 and v != args.packages
        )
        expected_count = sum(
            1 for v in range(1, args.packages + 1) if v % args.approve_every == 0 and v != args.packages
        )
        default_first = client.list_model_packages(
            ModelPackageGroupName=GROUP, ModelApprovalStatus="Approved"
        )["ModelPackageSummaryList"][0]["ModelPackageArn"]

        timings = []
        for _ in range(args.repeat):
            began = time.perf_counter()
            found = newest_approved(client, GROUP)
            timings.append(time.perf_counter() - began)
            if found.newest.arn != arns[expected_version - 1] or found.count != expected_count:
                print(
                    f"WRONG: resolved {found.newest.arn} ({found.count} Approved), expected "
                    f"{arns[expected_version - 1]} ({expected_count} Approved)",
                    file=sys.stderr,
                )
                return 1

    print(
        f"packages in group      : {args.packages} ({expected_count} Approved; newest package not Approved)"
    )
    print(
        f"resolved               : version {found.newest.version} (correct; the default order's first is {default_first.rsplit('/', 1)[1]})"
    )
    print(f"pages read per resolve : {found.pages}")
    print(
        f"resolve time           : median {statistics.median(timings) * 1000:.0f} ms, "
        f"min {min(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms over {args.repeat} runs "
        "(moto in process; real AWS adds one round trip per page)"
    )
    print(f"setup                  : {setup_seconds:.1f} s to register {args.packages} packages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
