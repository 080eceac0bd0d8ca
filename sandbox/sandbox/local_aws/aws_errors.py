"""Extension: operations the local AWS does not implement answer in AWS's error shape, not a 500 traceback.

moto raises NotImplementedError for an operation without a handler (and for parameters some handlers do
not support); its server turned that into HTTP 500 with a Python traceback, which the SDK retried and
then showed the user. AWS answers an operation it does not know with HTTP 400:
- JSON protocols (X-Amz-Target: SageMaker, CloudWatch Logs, EventBridge, Secrets Manager, ...):
  `{"__type": "UnknownOperationException", "message": ...}` (the `__type` error member of the awsJson
  protocols, https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html#operation-error-serialization);
- query protocols (CloudFormation, IAM, SNS, STS, ...): `<ErrorResponse><Error><Type>Sender</Type>
  <Code>InvalidAction</Code>...` ("Common Errors", e.g.
  https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/CommonErrors.html: InvalidAction, 400).
The message names the operation and says that it is the sandbox that lacks it. Any other unexpected error
inside a handler answers 500 `InternalFailure` (the common error for it) without the traceback, which is
kept in `LocalAwsState.internal_errors` for the sandbox report.
"""

from __future__ import annotations

import json
import traceback
from typing import Any
from xml.sax.saxutils import escape

from sandbox.local_aws.patching import Patches
from sandbox.local_aws.state import LocalAwsState


def error_response(
    headers: dict[str, str], status: int, code: str, message: str
) -> tuple[int, dict[str, str], str]:
    """(status, headers, body) of an AWS error in the request's protocol."""
    if any(key.lower() == "x-amz-target" for key in headers):
        body = json.dumps({"__type": code, "message": message})
        return status, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code}, body
    kind = "Sender" if status < 500 else "Receiver"
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error>'
        f"<Type>{kind}</Type><Code>{code}</Code><Message>{escape(message)}</Message>"
        "</Error><RequestId>sandbox</RequestId></ErrorResponse>"
    )
    return status, {"Content-Type": "text/xml", "x-amzn-ErrorType": code}, body


def install(patches: Patches, state: LocalAwsState) -> None:
    from moto.core.responses import BaseResponse
    from werkzeug.exceptions import HTTPException

    original = BaseResponse.call_action

    def call_action(self: Any) -> Any:
        try:
            return original(self)
        except HTTPException:
            raise  # moto's own error responses
        except NotImplementedError as exc:
            headers = {str(k): str(v) for k, v in self.headers.items()}
            operation = self._get_action() or "this operation"
            service = type(self).__name__.removesuffix("Response")
            json_protocol = any(key.lower() == "x-amz-target" for key in headers)
            code = "UnknownOperationException" if json_protocol else "InvalidAction"
            message = (
                f"The sandbox's local AWS does not implement {service} {operation} ({exc}). "
                "Use an operation the sandbox emulates, or add it in sandbox/sandbox/local_aws."
            )
            return error_response(headers, 400, code, message)
        except Exception as exc:
            state.internal_errors.append(traceback.format_exc())
            message = f"The sandbox's local AWS failed on {self._get_action()}: {type(exc).__name__}: {exc}"
            headers = {str(k): str(v) for k, v in self.headers.items()}
            return error_response(headers, 500, "InternalFailure", message)

    patches.set(BaseResponse, "call_action", call_action)
