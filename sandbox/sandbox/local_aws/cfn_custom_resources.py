"""Extension: CloudFormation custom resources backed by Lambda, with the Create and Delete lifecycle.

moto sends only the Create request (to a Docker-run Lambda) and ignores FAILED answers and deletion. The
sandbox keeps moto's model and adds:
- Create: the request goes to the function (lambda_runtime); its ResponseURL is a pre-signed URL of
  CloudFormation's real form (https, host `cloudformation-custom-resource-response-<region without dashes>
  .s3.amazonaws.com`, see cfn_response_edge), which the Lambda runtime's emulated network edge routes here;
  SUCCESS completes the stack as in moto.
  FAILED makes the stack roll back as CloudFormation does: the other resources are deleted, the custom resource
  gets a Delete with the PhysicalResourceId it returned, the stack ends ROLLBACK_COMPLETE with CloudFormation's
  reason text ("Received response status [FAILED] from custom resource. Message returned: ...").
- Delete (DeleteStack): custom resources are deleted first (they depend on their ServiceToken function), each
  gets a Delete request with its PhysicalResourceId, and a FAILED answer leaves the stack DELETE_FAILED.
Not emulated: Update requests to custom resources (moto re-creates nothing on UpdateStack); the one-hour wait
for a function that never answers (the sandbox fails the resource as soon as the function returns without
answering); `!GetAtt` of a custom resource outside Outputs (moto resolves those before the answer).
"""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any, cast

from sandbox.local_aws import lambda_hooks
from sandbox.local_aws.cfn_response_edge import ResponseEdge
from sandbox.local_aws.patching import Patches
from sandbox.local_aws.state import CfnResponse, LocalAwsState

# RequestId → (RequestType, resource): moto unlists a stack before deleting its resources, so answers to
# Delete requests are matched through this map rather than through the stack list.
_REQUESTS: dict[str, tuple[str, Any]] = {}
_LOCK = threading.Lock()


def _response_url(state: LocalAwsState, resource: Any, request_id: str) -> str:
    edge = state.response_edge
    assert isinstance(edge, ResponseEdge), "the response edge starts with the custom resources extension"
    return edge.presign(resource.sandbox_stack_id, resource.logical_id, request_id)


def _request(
    state: LocalAwsState, resource: Any, request_type: str, physical_id: str | None = None
) -> dict[str, Any]:
    request_id = str(uuid.uuid4())
    with _LOCK:
        _REQUESTS[request_id] = (request_type, resource)
    event: dict[str, Any] = {
        "RequestType": request_type,
        "ServiceToken": resource.sandbox_service_token,
        "ResponseURL": _response_url(state, resource, request_id),
        "StackId": resource.sandbox_stack_id,
        "RequestId": request_id,
        "LogicalResourceId": resource.logical_id,
        "ResourceType": resource.sandbox_resource_type,
        "ResourceProperties": resource.sandbox_properties,
    }
    if physical_id is not None:
        event["PhysicalResourceId"] = physical_id
    return event


def _function(resource: Any) -> Any:
    from moto.awslambda.utils import get_backend

    return get_backend(resource.sandbox_account_id, resource.region_name).get_function(
        resource.sandbox_service_token
    )


def _stack(resource: Any) -> Any:
    from moto.cloudformation.models import cloudformation_backends

    backend = cloudformation_backends[resource.sandbox_account_id][resource.region_name]
    return backend.stacks.get(resource.sandbox_stack_id)


class _NoOutputs(dict[str, Any]):
    exports: list[Any] = []  # noqa: RUF012 - read-only, mirrors moto's OutputMap.exports


def _fail_create(state: LocalAwsState, resource: Any, reason: str) -> None:
    """CloudFormation's answer to a failed Create: roll the whole stack back."""
    stack = _stack(resource)
    if stack is None or stack.status != "CREATE_IN_PROGRESS":
        return
    stack.status = "ROLLBACK_IN_PROGRESS"
    # A stack that never completed has no Outputs (and its resources are going away).
    stack.output_map = _NoOutputs()
    stack._add_stack_event("ROLLBACK_IN_PROGRESS", resource_status_reason=reason)
    try:
        stack.resource_map.delete()
    except Exception as exc:  # rollback failures are reported, as CloudFormation does
        stack.status = "ROLLBACK_FAILED"
        stack._add_stack_event("ROLLBACK_FAILED", resource_status_reason=str(exc))
        return
    stack.status = "ROLLBACK_COMPLETE"
    stack._add_stack_event("ROLLBACK_COMPLETE", resource_status_reason=reason)


def _run_create(state: LocalAwsState, resource: Any, event: dict[str, Any]) -> None:
    result = lambda_hooks.run(state, _function(resource), event, source="cloudformation")
    response = state.cfn_responses.get(event["RequestId"])
    if response is None:
        detail = json.loads(result.payload).get("errorMessage", "") if result.errored else ""
        reason = f"Custom resource {resource.logical_id} did not answer CloudFormation. {detail}".strip()
        _fail_create(state, resource, reason)


def receive(state: LocalAwsState, raw: bytes) -> bool:
    """Take a custom resource's answer (the body PUT to its ResponseURL); False for an unknown RequestId."""
    body = json.loads(raw or b"{}")
    response = CfnResponse(
        stack_id=body.get("StackId", ""),
        logical_id=body.get("LogicalResourceId", ""),
        request_id=body.get("RequestId", ""),
        status=body.get("Status", ""),
        reason=body.get("Reason", ""),
        physical_resource_id=body.get("PhysicalResourceId", ""),
        data=body.get("Data") or {},
    )
    state.cfn_responses[response.request_id] = response
    with _LOCK:
        request_type, resource = _REQUESTS.get(response.request_id, ("", None))
    if resource is None:
        return False
    if response.physical_resource_id:
        resource.sandbox_physical_id = response.physical_resource_id
    if request_type == "Create":
        stack = _stack(resource)
        if response.status == "SUCCESS" and stack is not None:
            resource.set_data(response.data)
            stack.verify_readiness()
        else:
            reason = (
                f"Received response status [FAILED] from custom resource. Message returned: {response.reason}"
            )
            state.background("cfn-rollback", lambda: _fail_create(state, resource, reason))
    return True


def install(patches: Patches, state: LocalAwsState) -> None:
    from moto.cloudformation.custom_model import CustomModel
    from moto.cloudformation.parsing import ResourceMap
    from moto.cloudformation.responses import CloudFormationResponse

    def create_from_cloudformation_json(
        cls: Any,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        from moto.cloudformation.models import cloudformation_backends

        properties = cloudformation_json["Properties"]
        model: Any = CustomModel  # moto declares it abstract; CloudFormation instantiates it all the same
        resource = model(region_name, str(uuid.uuid4()), kwargs["LogicalId"], resource_name)
        resource.sandbox_service_token = properties["ServiceToken"]
        resource.sandbox_stack_id = kwargs["StackId"]
        resource.sandbox_resource_type = kwargs["ResourceType"]
        resource.sandbox_properties = properties
        resource.sandbox_account_id = account_id
        resource.sandbox_physical_id = None
        stack = cloudformation_backends[account_id][region_name].get_stack(kwargs["StackId"])
        stack.add_custom_resource(resource)
        event = _request(state, resource, "Create")
        state.background(f"cfn-create-{resource.logical_id}", lambda: _run_create(state, resource, event))
        return resource

    def delete(self: Any, account_id: str, region_name: str) -> None:
        if not hasattr(self, "sandbox_service_token"):
            return
        physical_id = self.sandbox_physical_id or self.resource_name
        event = _request(state, self, "Delete", physical_id)
        lambda_hooks.run(state, _function(self), event, source="cloudformation")
        response = state.cfn_responses.get(event["RequestId"])
        if response is None:
            raise RuntimeError(f"Custom resource {self.logical_id} did not answer the Delete request")
        if response.status != "SUCCESS":
            raise RuntimeError(
                f"Received response status [FAILED] from custom resource. Message returned: {response.reason}"
            )

    original_map_delete = ResourceMap.delete

    def resource_map_delete(self: Any) -> None:
        # CloudFormation deletes dependents first: a custom resource before its ServiceToken function.
        for logical_id, parsed in list(self._parsed_resources.items()):
            if isinstance(parsed, CustomModel):
                cast(Any, parsed).delete(self._account_id, self._region_name)
                self._parsed_resources.pop(logical_id)
                self._resource_json_map = {
                    k: v for k, v in self._resource_json_map.items() if k != logical_id
                }
        original_map_delete(self)

    def process_cfn_response(self: Any) -> tuple[int, dict[str, int], str]:
        # moto's own route; the sandbox hands out the edge's URLs, but an answer here is treated alike.
        raw = self.body if isinstance(self.body, bytes) else str(self.body or "").encode()
        if not receive(state, raw):
            return 404, {"status": 404}, "Unknown RequestId"
        return 200, {"status": 200}, ""

    def on_answer(body: bytes) -> None:
        # S3 stores whatever a valid pre-signed PUT carries; an unknown RequestId is CloudFormation's problem.
        receive(state, body)

    edge = ResponseEdge(state.region, on_answer).start()
    state.response_edge = edge
    state.lambda_network_env.update(edge.lambda_env())
    state.cleanups.append(edge.stop)

    original_stack_delete = _stack_class().delete

    def stack_delete(self: Any) -> None:
        try:
            original_stack_delete(self)
        except Exception as exc:
            self.status = "DELETE_FAILED"
            self._add_stack_event("DELETE_FAILED", resource_status_reason=str(exc))

    original_backend_delete = _backend_class().delete_stack

    def backend_delete_stack(self: Any, name_or_stack_id: str) -> None:
        original_backend_delete(self, name_or_stack_id)
        # A stack whose deletion failed stays listed, as DELETE_FAILED, like in CloudFormation.
        for stack_id, stack in list(self.deleted_stacks.items()):
            if stack.status == "DELETE_FAILED":
                self.stacks[stack_id] = self.deleted_stacks.pop(stack_id)

    patches.set(
        CustomModel,
        "create_from_cloudformation_json",
        classmethod(cast(Any, create_from_cloudformation_json)),
    )
    patches.set(CustomModel, "delete", delete)
    patches.set(ResourceMap, "delete", resource_map_delete)
    patches.set(CloudFormationResponse, "process_cfn_response", process_cfn_response)
    patches.set(_stack_class(), "delete", stack_delete)
    patches.set(_backend_class(), "delete_stack", backend_delete_stack)


def _stack_class() -> Any:
    from moto.cloudformation.models import Stack

    return Stack


def _backend_class() -> Any:
    from moto.cloudformation.models import CloudFormationBackend

    return CloudFormationBackend
