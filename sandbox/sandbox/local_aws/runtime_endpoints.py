"""Extension: InvokeEndpoint runs the deployed model instead of returning moto's canned body.

Resolution as SageMaker hosting does it: endpoint → its endpoint config → the first production variant's model
→ the model's container (`PrimaryContainer` or `Containers[0]`) → `ModelDataUrl`, or `ModelPackageName` → the
package's `InferenceSpecification.Containers[0].ModelDataUrl` → model.tar.gz from the local S3 → the built-in
XGBoost serving emulation (xgboost_container) on `text/csv`. The container's `Environment` (the package
container's, overridden by the model container's, as CreateModel documents for ModelPackageName) selects
the container's mode: with `SAGEMAKER_PROGRAM` present the real container fails its `/ping`, so SageMaker
never brings the endpoint InService; the sandbox answers InvokeEndpoint with a ValidationError naming
SageMaker's health-check failure and the variable to remove (moto marks every endpoint InService at once). Boosters are cached per model data URL and ETag.
Errors: an unknown endpoint is a 400 ValidationError ("Endpoint X of account Y not found."), a payload the
model rejects is a 424 ModelError, as the real runtime answers.
Every call (success or error) is published as an `invocations.Invocation` (contract K1) to the subscribers:
the endpoint metrics, data capture. During a blue/green update endpoint_rollout chooses the config (fleet)
that serves each request (`set_config_chooser`).
Not emulated: several production variants / TargetVariant routing, custom inference images (every model is
served as built-in XGBoost), Accept types other than text/csv.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sandbox.local_aws import invocations, xgboost_container
from sandbox.local_aws.patching import Patches
from sandbox.local_aws.state import LocalAwsState

_CACHE: dict[tuple[str, str], Any] = {}
_CACHE_LOCK = threading.Lock()


class EndpointError(Exception):
    """A runtime error answer; `model_status` is the container's own HTTP status (None: none reached)."""

    def __init__(self, status: int, code: str, message: str, model_status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.model_status = model_status


@dataclass(frozen=True)
class Target:
    """What serves one request: the variant, its endpoint config and model, the model data and environment."""

    variant_name: str
    endpoint_config_name: str
    model_name: str
    model_data_url: str
    environment: dict[str, str]


# Chooses the endpoint config that serves the next request (endpoint_rollout sets it during a blue/green
# update to split traffic between the two fleets); by default the endpoint's current config.
ConfigChooser = Callable[[Any, Any], str]


def _current_config(backend: Any, endpoint: Any) -> str:
    return str(endpoint.endpoint_config_name)


_CHOOSER: list[ConfigChooser] = [_current_config]


def set_config_chooser(chooser: ConfigChooser | None) -> None:
    _CHOOSER[0] = chooser or _current_config


def resolve(backend: Any, endpoint_name: str, config_name: str | None = None) -> Target:
    """The Target serving `endpoint_name` (under `config_name` when given, else the routed config)."""
    endpoint = backend.endpoints.get(endpoint_name)
    if endpoint is None:
        raise EndpointError(
            400, "ValidationError", f"Endpoint {endpoint_name} of account {backend.account_id} not found."
        )
    config_name = config_name or _CHOOSER[0](backend, endpoint)
    config = backend.endpoint_configs.get(config_name)
    if config is None or not config.production_variants:
        raise EndpointError(400, "ValidationError", f"Endpoint {endpoint_name} has no production variant.")
    variant = config.production_variants[0]
    model = backend._models.get(variant["ModelName"])
    if model is None:
        raise EndpointError(400, "ValidationError", f"Model {variant['ModelName']} not found.")
    container = model.primary_container or (model.containers[0] if model.containers else {})
    name = variant.get("VariantName", "AllTraffic")
    environment = dict(container.get("Environment") or {})

    def target(url: str, env: dict[str, str]) -> Target:
        return Target(name, config_name, str(variant["ModelName"]), url, env)

    if container.get("ModelDataUrl"):
        return target(str(container["ModelDataUrl"]), environment)
    package_name = container.get("ModelPackageName")
    if package_name:
        package = backend.describe_model_package(package_name)
        containers = (package.inference_specification or {}).get("Containers") or []
        if containers and containers[0].get("ModelDataUrl"):
            return target(
                str(containers[0]["ModelDataUrl"]),
                {**(containers[0].get("Environment") or {}), **environment},
            )
    raise EndpointError(400, "ValidationError", f"Model {model.model_name} has no model data to serve.")


def _s3_object(account_id: str, url: str) -> tuple[bytes, str]:
    from moto.s3.models import s3_backends

    bucket, _, key = url.removeprefix("s3://").partition("/")
    obj = s3_backends[account_id]["aws"].get_object(bucket, key)
    if obj is None:
        raise KeyError(url)
    return bytes(obj.value), str(obj.etag)


def predict(backend: Any, target: Target, endpoint_name: str, body: str) -> str:
    """text/csv predictions of `target` for one InvokeEndpoint call."""
    failure = xgboost_container.script_mode_failure(target.environment)
    if failure is not None:
        raise EndpointError(
            400,
            "ValidationError",
            f"Endpoint {endpoint_name} is not in service: "
            + xgboost_container.PING_FAILURE.format(variant=target.variant_name)
            + f" ({failure})",
        )
    url = target.model_data_url
    try:
        data, etag = _s3_object(backend.account_id, url)
    except Exception as exc:
        raise EndpointError(424, "ModelError", f"Model data {url} could not be read: {exc}", 500) from exc
    with _CACHE_LOCK:
        booster = _CACHE.get((url, etag))
    try:
        if booster is None:
            booster = xgboost_container.load_booster(data)
            with _CACHE_LOCK:
                _CACHE[(url, etag)] = booster
        return xgboost_container.predict_csv(booster, body)
    except xgboost_container.ContainerError as exc:
        raise EndpointError(424, "ModelError", str(exc), exc.status) from exc


def install(patches: Patches, state: LocalAwsState) -> None:
    from moto.sagemaker.models import sagemaker_backends
    from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

    def invoke_endpoint(self: Any) -> tuple[int, dict[str, str], str]:
        started = time.perf_counter()
        endpoint_name = self.path.split("/")[2]
        backend = sagemaker_backends[self.current_account][self.region]
        raw = self.body if isinstance(self.body, bytes) else (self.body or "").encode("utf-8")
        headers = {str(k).lower(): str(v) for k, v in self.headers.items()}
        target: Target | None = None
        model_us = 0
        error: str | None
        model_status: int | None
        try:
            target = resolve(backend, endpoint_name)
            model_started = time.perf_counter()
            try:
                predictions = predict(backend, target, endpoint_name, raw.decode("utf-8"))
            finally:
                model_us = int((time.perf_counter() - model_started) * 1e6)
            status, error, model_status = 200, None, 200
            answer = (
                200,
                {"Content-Type": "text/csv", "x-Amzn-Invoked-Production-Variant": target.variant_name},
                predictions,
            )
        except EndpointError as exc:
            status, error, model_status = exc.status, exc.code, exc.model_status
            # moto takes the HTTP status from a "status" header of the handler's response.
            error_headers = {
                "Content-Type": "application/json",
                "x-amzn-ErrorType": exc.code,
                "status": str(exc.status),
            }
            answer = (exc.status, error_headers, json.dumps({"__type": exc.code, "message": exc.message}))
        total_us = int((time.perf_counter() - started) * 1e6)
        invocations.publish(
            invocations.Invocation(
                endpoint_name=endpoint_name,
                variant_name=target.variant_name if target else "",
                endpoint_config_name=target.endpoint_config_name if target else "",
                model_name=target.model_name if target else "",
                content_type=headers.get("content-type", ""),
                accept=headers.get("accept", ""),
                request_body=raw,
                response_body=answer[2].encode("utf-8"),
                status_code=status,
                error_code=error,
                model_latency_us=model_us,
                overhead_latency_us=max(0, total_us - model_us),
                timestamp=datetime.now(UTC),
                inference_id=headers.get("x-amzn-sagemaker-inference-id"),
                account_id=self.current_account,
                region=self.region,
                model_status_code=model_status,
            ),
            state.internal_errors,
        )
        return answer

    patches.set(SageMakerRuntimeResponse, "invoke_endpoint", invoke_endpoint)
