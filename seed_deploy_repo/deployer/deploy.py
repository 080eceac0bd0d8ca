"""``python -m deployer.deploy --stage staging``: deploy the resolved model package to one stage.

Takes the package from ``--model-package-arn`` or ``RESOLVED_MODEL_PACKAGE_ARN`` (written by
``deployer.resolve``), checks again that it is in this project's group and still Approved (it may have been
rejected since staging was tested), and creates or updates ``sagemaker-N-I-deploy-<stage>`` from
``templates/endpoint.yaml`` with the settings in ``config/<stage>.json``, printing stack events as they happen.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from pathlib import Path

import boto3

from deployer import baseline, registry, rollout, rollout_watch, settings, superseded
from deployer.cli import run
from deployer.errors import DeployerError
from deployer.rollout_config import rollout_parameters
from deployer.serving import CONTENT_TYPE, load_sample_rows
from deployer.stack import StackRequest, Waiting, deploy_stack, describe, outputs_of
from deployer.stage_config import StageConfig, config_path, load_stage_config
from deployer.traffic import SteadyTraffic

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = REPO_ROOT / "templates" / "endpoint.yaml"


def stack_parameters(
    project: settings.ProjectSettings,
    stage: str,
    config: StageConfig,
    model_package_arn: str,
    quality_baseline: baseline.DataQualityBaseline | None = None,
) -> dict[str, str]:
    """The template's parameters (CloudFormation takes every value as a string)."""
    parameters = {
        "SageMakerProjectName": project.project_name,
        "SageMakerProjectId": project.project_id,
        "StageName": settings.check_stage(stage),
        "ModelPackageArn": model_package_arn,
        "ModelExecutionRoleArn": project.model_execution_role_arn,
        "ArtifactBucket": project.artifact_bucket,
        "InstanceType": config.endpoint.instance_type,
        "InitialInstanceCount": str(config.endpoint.initial_instance_count),
        "DataCaptureEnabled": "true" if config.data_capture.enabled else "false",
        "DataCaptureSamplingPercentage": str(config.data_capture.sampling_percentage),
    }
    parameters["ResourceSuffix"] = deployment_fingerprint(parameters)
    # After the fingerprint: how updates roll out does not change the Model or EndpointConfig.
    parameters.update(rollout_parameters(config))
    # After the fingerprint: a monitoring change must not replace the Model and EndpointConfig.
    parameters.update(monitoring_parameters(config, quality_baseline))
    return parameters


def monitoring_parameters(
    config: StageConfig, quality_baseline: baseline.DataQualityBaseline | None
) -> dict[str, str]:
    """The template's monitoring parameters; the baseline is required when monitoring is enabled."""
    monitoring = config.monitoring
    if not monitoring.enabled:
        return {"MonitoringEnabled": "false"}
    if quality_baseline is None:
        raise DeployerError("monitoring is enabled but no data-quality baseline was given")
    parameters = {
        "MonitoringEnabled": "true",
        "MonitoringScheduleExpression": monitoring.schedule_expression,
        "MonitoringInstanceType": monitoring.instance_type,
        "MonitoringMaxRuntimeSeconds": str(monitoring.max_runtime_seconds),
        "BaselineStatisticsS3Uri": quality_baseline.statistics_s3_uri,
        "BaselineConstraintsS3Uri": quality_baseline.constraints_s3_uri,
    }
    parameters["MonitoringSuffix"] = deployment_fingerprint(parameters)
    return parameters


def deployment_fingerprint(parameters: Mapping[str, str]) -> str:
    """A short, deterministic digest of everything that shapes the Model and EndpointConfig.

    The same deployment twice gives the same names ("no changes"); any change gives new names, which
    CloudFormation needs to replace these immutable resources while the Endpoint still serves the old ones.
    """
    canonical = json.dumps(dict(sorted(parameters.items())), separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:10]


def endpoint_invoker(endpoint_name: str) -> Callable[[str], object]:
    runtime = boto3.client("sagemaker-runtime")

    def invoke(row: str) -> object:
        answer = runtime.invoke_endpoint(
            EndpointName=endpoint_name, ContentType=CONTENT_TYPE, Body=row.encode()
        )
        return answer["Body"].read()

    return invoke


def requested_package(cli_value: str | None, env: Mapping[str, str]) -> str:
    arn = (cli_value or env.get("RESOLVED_MODEL_PACKAGE_ARN", "")).strip()
    if not arn:
        raise DeployerError(
            "no model package to deploy: pass --model-package-arn, or run `python -m deployer.resolve` first "
            "(in GitLab CI the `resolve` job passes RESOLVED_MODEL_PACKAGE_ARN through its dotenv report)"
        )
    return arn


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deployer.deploy", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", required=True, choices=settings.STAGES)
    parser.add_argument("--model-package-arn", help="default: $RESOLVED_MODEL_PACKAGE_ARN")
    parser.add_argument("--config", type=Path, help="stage config (default: config/<stage>.json)")
    parser.add_argument("--template", type=Path, default=TEMPLATE, help="default: templates/endpoint.yaml")
    parser.add_argument(
        "--poll-seconds",
        type=float,
        # The same project variable as the build repo's pipeline wait (unset in CI: 10 s).
        default=float(os.environ.get("PIPELINE_POLL_SECONDS", "10")),
        help="stack and rollout poll interval (default: $PIPELINE_POLL_SECONDS or 10)",
    )
    parser.add_argument(
        "--traffic-per-second",
        type=float,
        default=2.0,
        help="sample-row requests per second during an update, so the rollback alarms have data (0: none)",
    )
    parser.add_argument("--timeout-minutes", type=float, default=60.0, help="give up waiting after this long")
    parser.add_argument("--report", type=Path, help="JSON record to write (default: deploy-<stage>.json)")
    args = parser.parse_args(argv)

    def body() -> int:
        env = dict(os.environ)
        project = settings.project_settings(env)
        config = load_stage_config(args.config or config_path(args.stage, REPO_ROOT))
        sagemaker = boto3.client("sagemaker")
        package = registry.verify(
            sagemaker,
            requested_package(args.model_package_arn, env),
            project.model_package_group,
        )
        target = args.report or Path(f"deploy-{args.stage}.json")
        newer = superseded.check(
            sagemaker,
            package.arn,
            project.model_package_group,
            superseded.resolved_reason(env),
        )
        if newer is not None:
            for line in superseded.message(f"deploy to {args.stage}", package.arn, newer):
                print(line)
            record = {"stage": args.stage, "model_package_arn": package.arn, "superseded_by": newer.arn}
            target.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
            return 0
        request = StackRequest(
            name=project.stack_name(args.stage),
            template_body=args.template.read_text(encoding="utf-8"),
            parameters=stack_parameters(
                project,
                args.stage,
                config,
                package.arn,
                baseline.of_package(sagemaker, package.arn) if config.monitoring.enabled else None,
            ),
            role_arn=project.deploy_cfn_role_arn,
            tags=project.tags(args.stage),
        )
        print(f"Deploying model package version {package.version} to {args.stage}")
        print(f"  model package : {package.arn}")
        print(
            f"  endpoint      : {config.endpoint.initial_instance_count} x {config.endpoint.instance_type}, "
            "data capture "
            + (f"on ({config.data_capture.sampling_percentage}%)" if config.data_capture.enabled else "off")
        )
        print(f"  rollout       : {rollout.plan_line(config.rollout)}")
        cloudformation = boto3.client("cloudformation")
        previous = describe(cloudformation, request.name)
        watch = rollout_watch.for_stack(sagemaker, boto3.client("cloudwatch"), previous)
        traffic = (
            SteadyTraffic(
                endpoint_invoker(watch.endpoint_name),
                load_sample_rows(REPO_ROOT / config.smoke_test.sample_rows_file),
                args.traffic_per_second,
            )
            if watch is not None
            else None
        )
        waiting = Waiting(
            poll_seconds=args.poll_seconds,
            timeout_seconds=args.timeout_minutes * 60,
            on_poll=watch.poll if watch is not None else None,
        )
        try:
            with traffic or nullcontext():
                result = deploy_stack(cloudformation, request, waiting=waiting)
        except DeployerError as error:
            explained = watch and rollout_watch.rollback_failure(
                watch,
                str(error),
                stage=args.stage,
                rejected_package=package.arn,
                serving_package=outputs_of(previous or {}).get("ModelPackageArn", "the previous package"),
                sns=boto3.client("sns"),
                topic_arn=env.get("NOTIFICATION_TOPIC_ARN", "").strip() or None,
            )
            if explained:
                raise DeployerError(explained) from error
            raise
        finally:
            if traffic is not None:
                print(f"  rollout: {traffic.summary()}")
        print(f"Stack {request.name}: {result.action} ({result.status})")
        for key, value in sorted(result.outputs.items()):
            print(f"  {key:<20}: {value}")
        target.write_text(
            json.dumps(
                {
                    "stage": args.stage,
                    "stack_name": request.name,
                    "stack_id": result.stack_id,
                    "action": result.action,
                    "status": result.status,
                    "changed": result.changed,
                    "model_package_arn": package.arn,
                    "model_package_version": package.version,
                    "outputs": result.outputs,
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
        return 0

    return run(body)


if __name__ == "__main__":
    sys.exit(main())
