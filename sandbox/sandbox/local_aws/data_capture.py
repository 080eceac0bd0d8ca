"""Extension: an endpoint's DataCaptureConfig honoured — captured requests and responses in S3 (an
invocations subscriber, contract K1).

As "Capture data from real-time endpoint" documents it
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-endpoint.html,
"View captured data"): objects under
`<DestinationS3Uri>/<endpoint name>/<variant name>/yyyy/mm/dd/hh/<file>.jsonl` (the hour of the request,
UTC), one JSON line per captured request:
`{"captureData": {"endpointInput": {"observedContentType", "mode": "INPUT", "data", "encoding"},
"endpointOutput": {... "mode": "OUTPUT" ...}}, "eventMetadata": {"eventId", "inferenceTime", "inferenceId"?},
"eventVersion": "0"}`. `encoding` is CSV for the content types in CaptureContentTypeHeader.CsvContentTypes,
JSON for JsonContentTypes, BASE64 otherwise (API_CaptureContentTypeHeader.html); CaptureOptions choose Input
and/or Output (API_DataCaptureConfig.html). Only requests the model answered are captured.
InitialSamplingPercentage is honoured deterministically: of every 100 requests to an endpoint variant,
exactly that many are captured, spread evenly (request n is captured when floor(n*p/100) advances).
The file name is the sandbox's: `<mm>-<ss>-<mmm>-<event id>.jsonl`, one record per object (AWS batches
several records into one object; readers must accept both).
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from typing import Any

from sandbox.local_aws import invocations
from sandbox.local_aws.patching import Patches
from sandbox.local_aws.state import LocalAwsState

_COUNTS: dict[tuple[str, str, str], int] = {}
_LOCK = threading.Lock()


def _config(invocation: invocations.Invocation) -> dict[str, Any]:
    from moto.sagemaker.models import sagemaker_backends

    backend = sagemaker_backends[invocation.account_id][invocation.region]
    endpoint_config = backend.endpoint_configs.get(invocation.endpoint_config_name)
    return dict(getattr(endpoint_config, "data_capture_config", None) or {})


def sampled(key: tuple[str, str, str], percentage: float) -> bool:
    """Whether the next request of `key` is captured: exactly `percentage` of every 100, evenly spread."""
    with _LOCK:
        n = _COUNTS.get(key, 0) + 1
        _COUNTS[key] = n
    return int(n * percentage // 100) > int((n - 1) * percentage // 100)


def _encoded(body: bytes, content_type: str, header: dict[str, Any]) -> tuple[str, str]:
    base = content_type.split(";", 1)[0].strip().lower()
    if base in {t.lower() for t in header.get("CsvContentTypes", [])}:
        return body.decode("utf-8"), "CSV"
    if base in {t.lower() for t in header.get("JsonContentTypes", [])}:
        return body.decode("utf-8"), "JSON"
    return base64.b64encode(body).decode("ascii"), "BASE64"


def record(invocation: invocations.Invocation, config: dict[str, Any]) -> dict[str, Any]:
    """The capture line of one invocation under `config` (a DataCaptureConfig)."""
    modes = {str(option.get("CaptureMode", "")) for option in config.get("CaptureOptions", [])}
    header = dict(config.get("CaptureContentTypeHeader") or {})
    capture: dict[str, Any] = {}
    if "Input" in modes:
        data, encoding = _encoded(invocation.request_body, invocation.content_type, header)
        capture["endpointInput"] = {
            "observedContentType": invocation.content_type,
            "mode": "INPUT",
            "data": data,
            "encoding": encoding,
        }
    if "Output" in modes:
        # The response's content type is the one the container answered with; the runtime echoes Accept.
        output_type = invocation.accept or invocation.content_type
        data, encoding = _encoded(invocation.response_body, output_type, header)
        capture["endpointOutput"] = {
            "observedContentType": output_type,
            "mode": "OUTPUT",
            "data": data,
            "encoding": encoding,
        }
    metadata: dict[str, Any] = {
        "eventId": str(uuid.uuid4()),
        "inferenceTime": invocation.timestamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if invocation.inference_id:
        metadata["inferenceId"] = invocation.inference_id
    return {"captureData": capture, "eventMetadata": metadata, "eventVersion": "0"}


def object_key(prefix: str, invocation: invocations.Invocation, event_id: str) -> str:
    at = invocation.timestamp
    name = f"{at:%M-%S}-{at.microsecond // 1000:03d}-{event_id}.jsonl"
    parts = [prefix.strip("/"), invocation.endpoint_name, invocation.variant_name, f"{at:%Y/%m/%d/%H}", name]
    return "/".join(part for part in parts if part)


def capture(invocation: invocations.Invocation) -> None:
    """The subscriber: write the capture line of a sampled, answered request to the configured S3 prefix."""
    if invocation.status_code != 200 or not invocation.variant_name:
        return
    config = _config(invocation)
    if not config.get("EnableCapture"):
        return
    key = (invocation.account_id, invocation.endpoint_name, invocation.variant_name)
    if not sampled(key, float(config.get("InitialSamplingPercentage", 0))):
        return
    from moto.s3.models import s3_backends

    destination = str(config["DestinationS3Uri"]).removeprefix("s3://")
    bucket, _, prefix = destination.partition("/")
    line = record(invocation, config)
    body = (json.dumps(line, separators=(",", ":")) + "\n").encode()
    s3_backends[invocation.account_id]["aws"].put_object(
        bucket, object_key(prefix, invocation, line["eventMetadata"]["eventId"]), body
    )


def install(patches: Patches, state: LocalAwsState) -> None:
    _COUNTS.clear()
    state.cleanups.append(_COUNTS.clear)
    state.cleanups.append(invocations.subscribe(capture))
