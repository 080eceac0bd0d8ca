"""Create or update the SageMaker pipeline, start it, and follow it step by step until it ends.

    python -m pipelines.run_pipeline                       # defaults from the CI/CD variables
    python -m pipelines.run_pipeline --parameters MseThreshold=5.5 MaxDepth=4
    python -m pipelines.run_pipeline --no-wait             # start and exit

Exit status: 0 when the execution succeeded (or was started with --no-wait), 1 when it failed,
stopped or timed out (the failing step's reason is printed), 2 on bad settings or arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from pipelines.abalone.config import ConfigError, PipelineConfig, config_from_env
from pipelines.abalone.pipeline import get_pipeline
from pipelines.cli_common import add_config_arguments, config_overrides, prepare_environment, quiet_sdk_logging
from pipelines.execution_watch import StepState, Watcher, failed_processing_jobs, failure_lines, format_duration


class ParameterError(ValueError):
    pass


def parse_parameters(items: Sequence[str], definition: Mapping[str, Any]) -> list[dict[str, str]]:
    """``Name=Value`` strings → PipelineParameters, checked against the definition's parameters."""
    known = {p["Name"]: p for p in definition.get("Parameters", [])}
    result = []
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ParameterError(f"--parameters {item!r}: expected Name=Value")
        if name not in known:
            raise ParameterError(f"unknown pipeline parameter {name!r}; known: {', '.join(sorted(known))}")
        kind = known[name].get("Type", "String")
        try:
            if kind == "Integer":
                int(value)
            elif kind == "Float":
                float(value)
        except ValueError:
            raise ParameterError(f"parameter {name} is {kind}, got {value!r}") from None
        result.append({"Name": name, "Value": value})
    return result


def _display_name(env: Mapping[str, str]) -> str | None:
    """Name the execution after the CI pipeline that started it (display names: 82 chars)."""
    pipeline_id = env.get("CI_PIPELINE_ID")
    commit = env.get("CI_COMMIT_SHORT_SHA")
    if pipeline_id:
        return f"gitlab-{pipeline_id}" + (f"-{commit}" if commit else "")
    return None


def upsert_and_start(config: PipelineConfig, parameter_items: Sequence[str], env: Mapping[str, str]) -> tuple[Any, str]:
    """(sagemaker client, execution ARN) after upserting the definition and starting it."""
    pipeline = get_pipeline(config)
    definition = json.loads(pipeline.definition())
    parameters = parse_parameters(parameter_items, definition)
    response = pipeline.upsert(
        role_arn=config.role_arn,
        description="Abalone model build: preprocess, train, evaluate, gate on MSE, register",
        tags=config.tags or None,
    )
    print(f"pipeline {config.pipeline_name} upserted: {response['PipelineArn']}")
    client = pipeline.sagemaker_session.sagemaker_client
    start_args: dict[str, Any] = {"PipelineName": config.pipeline_name, "PipelineParameters": parameters}
    display_name = _display_name(env)
    if display_name:
        start_args["PipelineExecutionDisplayName"] = display_name
    if env.get("CI_PIPELINE_URL"):
        start_args["PipelineExecutionDescription"] = f"Started by {env['CI_PIPELINE_URL']}"
    execution_arn = client.start_pipeline_execution(**start_args)["PipelineExecutionArn"]
    return client, execution_arn


def exit_messages(client: Any, states: Mapping[str, StepState]) -> dict[str, str]:
    """The ExitMessage each failed processing job left (our scripts write their error there)."""
    messages = {}
    for step, job in failed_processing_jobs(states).items():
        try:
            message = client.describe_processing_job(ProcessingJobName=job).get("ExitMessage")
        except (ClientError, BotoCoreError):
            continue  # the step's FailureReason is still printed
        if message:
            messages[step] = message
    return messages


def console_url(region: str, execution_arn: str) -> str:
    return (
        f"https://{region}.console.aws.amazon.com/sagemaker/home?region={region}#/pipelines (execution {execution_arn})"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_config_arguments(parser)
    parser.add_argument(
        "--parameters", nargs="*", default=[], metavar="NAME=VALUE", help="pipeline parameters for this execution"
    )
    parser.add_argument("--no-wait", action="store_true", help="start the execution and exit")
    parser.add_argument("--poll-seconds", type=float, default=float(os.environ.get("PIPELINE_POLL_SECONDS", "30")))
    parser.add_argument(
        "--timeout-minutes", type=float, default=float(os.environ.get("PIPELINE_TIMEOUT_MINUTES", "360"))
    )
    args = parser.parse_args(argv)
    prepare_environment()
    quiet_sdk_logging()
    try:
        config = config_from_env(os.environ, **config_overrides(args))
        client, execution_arn = upsert_and_start(config, args.parameters, os.environ)
    except (ConfigError, ParameterError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (ClientError, BotoCoreError) as error:
        # AccessDenied, a missing bucket, no credentials...: AWS's message names what is wrong.
        print(f"error: could not create or start the pipeline: {error}", file=sys.stderr)
        return 1
    print(f"execution started: {execution_arn}")
    print(f"follow it in SageMaker Studio (Pipelines) or {console_url(config.region, execution_arn)}")
    if args.no_wait:
        return 0

    watcher = Watcher(
        client=client,
        execution_arn=execution_arn,
        poll_seconds=args.poll_seconds,
        timeout_seconds=args.timeout_minutes * 60,
    )
    try:
        status, states, execution = watcher.run()
    except (ClientError, BotoCoreError) as error:
        print(f"error: lost track of {execution_arn}: {error}", file=sys.stderr)
        return 1
    durations = [s.duration_seconds for s in states.values() if s.duration_seconds is not None]
    started, modified = execution.get("CreationTime"), execution.get("LastModifiedTime")
    total = (modified - started).total_seconds() if started and modified else (sum(durations) or None)
    print(f"execution {status} after {format_duration(total)}")
    if status == "Succeeded":
        return 0
    for line in failure_lines(states, execution, exit_messages(client, states)):
        print(line, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
