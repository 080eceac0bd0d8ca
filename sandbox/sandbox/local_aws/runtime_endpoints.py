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
Not emulated: several production variants / TargetVariant routing, custom inference images (every model is
served as built-in XGBoost), data capture to S3, Accept types other than text/csv.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from sandbox.local_aws import xgboost_container
from sandbox.local_aws.patching import Patches
from sandbox.local_aws.state import LocalAwsState

_CACHE: dict[tuple[str, str], Any] = {}
_CACHE_LOCK = threading.Lock()


class EndpointError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def model_data_url(backend: Any, endpoint_name: str) -> tuple[str, str]:
    """(variant name, model data S3 URL) serving `endpoint_name`."""
    variant, url, _ = serving_container(backend, endpoint_name)
    return variant, url


def serving_container(backend: Any, endpoint_name: str) -> tuple[str, str, dict[str, str]]:
    """(variant name, model data S3 URL, container environment) serving `endpoint_name`."""
    endpoint = backend.endpoints.get(endpoint_name)
    if endpoint is None:
        raise EndpointError(
            400, "ValidationError", f"Endpoint {endpoint_name} of account {backend.account_id} not found."
        )
    config = backend.endpoint_configs.get(endpoint.endpoint_config_name)
    if config is None or not config.production_variants:
        raise EndpointError(400, "ValidationError", f"Endpoint {endpoint_name} has no production variant.")
    variant = config.production_variants[0]
    model = backend._models.get(variant["ModelName"])
    if model is None:
        raise EndpointError(400, "ValidationError", f"Model {variant['ModelName']} not found.")
    container = model.primary_container or (model.containers[0] if model.containers else {})
    name = variant.get("VariantName", "AllTraffic")
    environment = dict(container.get("Environment") or {})
    if container.get("ModelDataUrl"):
        return name, str(container["ModelDataUrl"]), environment
    package_name = container.get("ModelPackageName")
    if package_name:
        package = backend.describe_model_package(package_name)
        containers = (package.inference_specification or {}).get("Containers") or []
        if containers and containers[0].get("ModelDataUrl"):
            return (
                name,
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


def predict(backend: Any, endpoint_name: str, body: str) -> tuple[str, str]:
    """(variant, text/csv predictions) for one InvokeEndpoint call."""
    variant, url, environment = serving_container(backend, endpoint_name)
    failure = xgboost_container.script_mode_failure(environment)
    if failure is not None:
        raise EndpointError(
            400,
            "ValidationError",
            f"Endpoint {endpoint_name} is not in service: "
            + xgboost_container.PING_FAILURE.format(variant=variant)
            + f" ({failure})",
        )
    try:
        data, etag = _s3_object(backend.account_id, url)
    except Exception as exc:
        raise EndpointError(424, "ModelError", f"Model data {url} could not be read: {exc}") from exc
    with _CACHE_LOCK:
        booster = _CACHE.get((url, etag))
    try:
        if booster is None:
            booster = xgboost_container.load_booster(data)
            with _CACHE_LOCK:
                _CACHE[(url, etag)] = booster
        return variant, xgboost_container.predict_csv(booster, body)
    except xgboost_container.ContainerError as exc:
        raise EndpointError(424, "ModelError", str(exc)) from exc


def install(patches: Patches, state: LocalAwsState) -> None:
    from moto.sagemaker.models import sagemaker_backends
    from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

    def invoke_endpoint(self: Any) -> tuple[int, dict[str, str], str]:
        endpoint_name = self.path.split("/")[2]
        backend = sagemaker_backends[self.current_account][self.region]
        body = self.body.decode("utf-8") if isinstance(self.body, bytes) else (self.body or "")
        try:
            variant, predictions = predict(backend, endpoint_name, body)
        except EndpointError as exc:
            # moto takes the HTTP status from a "status" header of the handler's response.
            headers = {
                "Content-Type": "application/json",
                "x-amzn-ErrorType": exc.code,
                "status": str(exc.status),
            }
            return exc.status, headers, json.dumps({"__type": exc.code, "message": exc.message})
        return 200, {"Content-Type": "text/csv", "x-Amzn-Invoked-Production-Variant": variant}, predictions

    patches.set(SageMakerRuntimeResponse, "invoke_endpoint", invoke_endpoint)
