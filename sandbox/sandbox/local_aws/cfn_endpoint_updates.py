"""Extension: CloudFormation's update of AWS::SageMaker::Endpoint runs UpdateEndpoint; a rolled-back one fails the stack.

AWS::SageMaker::Endpoint (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/
aws-resource-sagemaker-endpoint.html): a new EndpointConfigName is "Update requires: No interruption" - the
endpoint is updated in place (UpdateEndpoint with the resource's DeploymentConfig) and CloudFormation waits
for it. moto deleted and re-created the endpoint instead (an outage, and no blue/green). When the update rolls
back (an AutoRollbackConfiguration alarm), the resource's update fails, and CloudFormation rolls the stack
back: UPDATE_ROLLBACK_IN_PROGRESS, the other resources restored to the previous template, then
UPDATE_ROLLBACK_COMPLETE, with the Endpoint's UPDATE_FAILED event naming the reason
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/troubleshooting.html, update rollback).
moto has no update rollback: the sandbox re-applies the previous template and parameters.
"""

from __future__ import annotations

from typing import Any

from sandbox.local_aws import endpoint_rollout
from sandbox.local_aws.patching import Patches
from sandbox.local_aws.state import LocalAwsState


class EndpointUpdateRolledBackError(Exception):
    """The endpoint's blue/green update rolled back; CloudFormation fails the resource update."""


def install(patches: Patches, state: LocalAwsState) -> None:
    from moto.cloudformation.models import Stack
    from moto.sagemaker.models import FakeEndpoint, sagemaker_backends

    # (endpoint name, config) -> reason: moto's update loop retries a failed resource; the retry must fail
    # the same way instead of starting a second deployment.
    failed: dict[tuple[str, str], str] = {}

    def update_endpoint(
        cls: Any,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> Any:
        properties = cloudformation_json.get("Properties", {})
        config = str(properties["EndpointConfigName"])
        name = original_resource.endpoint_name
        if config == original_resource.endpoint_config_name:
            return original_resource
        if (name, config) in failed:
            raise EndpointUpdateRolledBackError(failed[(name, config)])
        backend = sagemaker_backends[account_id][region_name]
        try:
            rollout = endpoint_rollout.start(backend, state, name, config, properties.get("DeploymentConfig"))
        except endpoint_rollout.UpdateError as exc:
            raise EndpointUpdateRolledBackError(str(exc)) from exc
        assert rollout.thread is not None
        rollout.thread.join()
        if rollout.outcome != "completed":
            failed[(name, config)] = str(original_resource.failure_reason or rollout.outcome)
            raise EndpointUpdateRolledBackError(failed[(name, config)])
        return original_resource

    patches.set(FakeEndpoint, "update_from_cloudformation_json", classmethod(update_endpoint))
    original_update = Stack.update

    def apply(self: Any, template: str, role_arn: str | None, parameters: Any, tags: Any) -> None:
        previous_template, previous_parameters = self.template, dict(self.resource_map.input_parameters)
        try:
            original_update(self, template, role_arn, parameters, tags)
        except Exception as exc:
            # A resource whose update fails (the endpoint's rollout, a refused call, anything) fails the
            # stack update, which CloudFormation rolls back; a stack never stays UPDATE_IN_PROGRESS.
            if not isinstance(exc, EndpointUpdateRolledBackError):
                import traceback

                state.internal_errors.append(traceback.format_exc())
            what = (
                "Endpoint update failed"
                if isinstance(exc, EndpointUpdateRolledBackError)
                else "Update failed"
            )
            self._add_stack_event("UPDATE_ROLLBACK_IN_PROGRESS", resource_status_reason=f"{what}: {exc}")
            self.template = previous_template
            self._parse_template()
            self.resource_map.update(self.template_dict, previous_parameters)
            self.output_map = self._create_output_map()
            self._add_stack_event("UPDATE_ROLLBACK_COMPLETE")
            self.status = "UPDATE_ROLLBACK_COMPLETE"
            failed.clear()

    def update_stack(
        self: Any, template: str, role_arn: str | None = None, parameters: Any = None, tags: Any = None
    ) -> None:
        if "DeploymentConfig" not in template:
            apply(self, template, role_arn, parameters, tags)
            return
        # UpdateStack returns at once on AWS and the update runs (a blue/green deployment takes minutes);
        # moto updates inside the request. Async here, so a client can send traffic while the rollout runs.
        self.status = "UPDATE_IN_PROGRESS"
        state.background(
            f"update-stack-{self.name}", lambda: apply(self, template, role_arn, parameters, tags)
        )

    patches.set(Stack, "update", update_stack)
