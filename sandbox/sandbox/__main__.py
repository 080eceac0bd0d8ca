"""scripts/run-sandbox: the whole SageMaker-project lifecycle in a local cloud, or the local cloud kept up.

scripts/run-sandbox                    # lifecycle, timeline, .sandbox/report.json; exit 1 on failure
scripts/run-sandbox --keep-up          # lifecycle up to production, then keep the cloud up (Ctrl-C stops)
scripts/run-sandbox --keep-up --until publish   # just the published product, to explore
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from sandbox import bytecode

# Before the heavy imports below, so they use (and fill) the bytecode cache too.
bytecode.enable()

from sandbox import data as data_module  # noqa: E402
from sandbox.cloud import GROUP_PATH, LocalCloud  # noqa: E402
from sandbox.console import sources_for  # noqa: E402
from sandbox.console.progress import Progress  # noqa: E402
from sandbox.lifecycle import ROOT, STAGES, Context, run  # noqa: E402
from sandbox.report import Report, timeline  # noqa: E402

DEFAULT_REPORT = ROOT / ".sandbox" / "report.json"
DEFAULT_IAM = "enforce"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/run-sandbox",
        description="Run the SageMaker-project lifecycle (package, publish, create project, build, approve, "
        "deploy staging and production, reject, delete) on this machine: local AWS (moto + extensions), a "
        "GitLab emulator and gitlab-ci-local. No AWS account, no GitLab server.",
    )
    parser.add_argument(
        "--data",
        metavar="PATH",
        help="UCI Abalone CSV (9 columns, no header); default: $ABALONE_CSV, else a download from UCI, "
        "else a synthetic set (with a warning)",
    )
    parser.add_argument(
        "--report", type=Path, default=DEFAULT_REPORT, help=f"JSON report path (default: {DEFAULT_REPORT})"
    )
    parser.add_argument(
        "--keep-up",
        action="store_true",
        help="after the stages (default: up to production) keep the local cloud running and print how to reach "
        "it; Ctrl-C or SIGTERM stops it",
    )
    parser.add_argument(
        "--until", choices=[name for name, _, _ in STAGES], help="stop after this stage (default: all stages)"
    )
    parser.add_argument(
        "--iam",
        choices=["enforce", "audit"],
        default=DEFAULT_IAM,
        help="enforce: a call the caller's IAM policies do not allow is refused (AccessDenied) and fails the "
        "run; audit: it is allowed and reported as a warning (default: %(default)s)",
    )
    parser.add_argument(
        "--keep-files",
        action="store_true",
        help="keep the sandbox's temp dir (checkouts, job logs) after it stops",
    )
    return parser.parse_args(argv)


def access_text(cloud: LocalCloud, ctx: Context) -> str:
    aws = cloud.aws
    return f"""
Console      {cloud.console.url}/
             open it in a browser on this machine: the project, both repos' pipelines, jobs and logs,
             SageMaker executions and steps, the model registry (Approve/Reject), endpoints, notifications

The local cloud is up. Stop it with Ctrl-C (or SIGTERM).

AWS (moto + sandbox extensions)
  endpoint   {aws.endpoint_url}   region {aws.region}   credentials: any (e.g. sandbox/sandbox)
  AWS CLI    AWS_ENDPOINT_URL={aws.endpoint_url} AWS_ACCESS_KEY_ID=sandbox AWS_SECRET_ACCESS_KEY=sandbox \\
             AWS_DEFAULT_REGION={aws.region} aws sagemaker list-model-packages --model-package-group-name {ctx.prefix}
  boto3      boto3.client("sagemaker", endpoint_url="{aws.endpoint_url}", region_name="{aws.region}",
                          aws_access_key_id="sandbox", aws_secret_access_key="sandbox")

GitLab (emulator, REST v4)
  URL        {cloud.gitlab_url}        group {GROUP_PATH}
  token      {cloud.person_token}   (user ml-engineer, Maintainer; sandbox-only)
  python     gitlab.Gitlab("{cloud.gitlab_url}", private_token="{cloud.person_token}").projects.list()
  git        git clone http://oauth2:{cloud.person_token}@{cloud.gitlab_url.removeprefix("http://")}/{GROUP_PATH}/{ctx.prefix}-model-build.git
  A push to main runs the repo's .gitlab-ci.yml with gitlab-ci-local.
Project      {ctx.name} ({ctx.project_id})  stack {ctx.project_stack} (if the create-project stage ran)
"""


def report_path_problem(path: Path) -> str | None:
    """Why the JSON report could not be written at ``path`` (checked before the run, not after it)."""
    if path.is_dir():
        return f"--report {path} is a directory; give a file path, e.g. {path / 'report.json'}"
    parent = path.parent
    existing = next((p for p in (parent, *parent.parents) if p.exists()), None)
    if existing is None or not existing.is_dir():
        return f"--report {path}: {existing} is not a directory"
    if not os.access(existing, os.W_OK):
        return f"--report {path}: {existing} is not writable; choose a path you can write"
    return None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # A shell that starts jobs in the background, or a CI runner, can hand us SIGINT ignored, and Python then
    # keeps it ignored: Ctrl-C must always stop the sandbox (and its cloud), so install Python's handler.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    problem = report_path_problem(args.report)
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)

    def log(message: str) -> None:
        print(message, flush=True)

    report = Report()
    try:
        dataset = data_module.load(args.data, log)
    except data_module.DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report.data = {"source": dataset.source, "rows": dataset.rows, "synthetic": dataset.synthetic}
    log(f"data: {dataset.source} ({dataset.rows} rows{', SYNTHETIC' if dataset.synthetic else ''})")
    until = args.until or ("production" if args.keep_up else None)
    cloud = LocalCloud(keep_files=args.keep_files, iam_mode=args.iam)
    interrupted = False
    try:
        cloud.start()
        cloud.platform_prerequisites(dataset)
        log(f"console {cloud.console.url}/ · local AWS {cloud.aws.endpoint_url} · GitLab {cloud.gitlab_url}")
        log(f"workdir {cloud.workdir}")
        ctx = Context(cloud=cloud, dataset=dataset, log=log)
        word = "DENIED" if args.iam == "enforce" else "warning: IAM would deny"
        cloud.aws.iam_log.listeners.append(
            lambda denial: log(
                f"  {'refused, handled by the client' if denial.tolerated else word}: {denial.text()}"
            )
        )
        report.project = {"name": ctx.name, "id": ctx.project_id}
        # Pipeline, job and step state changes as they happen, between the stages' own lines.
        progress = Progress(sources_for(cloud), log).start()
        try:
            run(ctx, report, until=until)
        finally:
            progress.stop(flush=False)
        progress.tick()  # the last changes, before the timeline
        report.iam = cloud.aws.iam_log.summary()
        report.finish()
        print(timeline(report), flush=True)
        report.write(args.report)
        log(f"report: {args.report}")
        if args.keep_up:
            print(access_text(cloud, ctx), flush=True)
            progress.start()  # what a person starts from the console or GitLab shows here too
            try:
                while not stop.wait(1):
                    pass
            finally:
                progress.stop(flush=False)
    except KeyboardInterrupt:
        interrupted = True
        log("stopping the local cloud …")
        if report.duration_s == 0:  # interrupted before the stages ended: say so in the report
            report.finish()
            report.result = "failed"
            print(timeline(report), flush=True)  # which stage was cut, which did not run
            report.write(args.report)
    finally:
        cloud.stop()
    if interrupted and not args.keep_up:
        return 130
    return 0 if report.result == "passed" else 1


if __name__ == "__main__":
    sys.exit(main())
