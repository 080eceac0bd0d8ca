"""Data capture (K1 subscriber): the documented S3 layout and jsonl record, CaptureOptions, sampling."""

from __future__ import annotations

import re
from typing import Any

import pytest

from sandbox.local_aws import data_capture


def test_a_request_is_captured_in_the_documented_layout_and_format(
    local_aws: Any, capturing_endpoint: Any, captured: Any
) -> None:
    endpoint = capturing_endpoint("ep-prod")
    runtime = local_aws.client("sagemaker-runtime")
    answer = (
        runtime.invoke_endpoint(
            EndpointName=endpoint,
            ContentType="text/csv",
            Accept="text/csv",
            Body="0.25,0.5",
            InferenceId="row-7",
        )["Body"]
        .read()
        .decode()
    )
    [(key, record)] = captured(endpoint)
    # <prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/<file>.jsonl ("View captured data").
    assert re.fullmatch(r"data-capture/prod/ep-prod/AllTraffic/\d{4}/\d{2}/\d{2}/\d{2}/[^/]+\.jsonl", key)
    assert record["eventVersion"] == "0"
    assert record["captureData"]["endpointInput"] == {
        "observedContentType": "text/csv",
        "mode": "INPUT",
        "data": "0.25,0.5",
        "encoding": "CSV",
    }
    output = record["captureData"]["endpointOutput"]
    assert (output["mode"], output["encoding"], output["data"]) == ("OUTPUT", "CSV", answer)
    assert record["eventMetadata"]["inferenceId"] == "row-7"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", record["eventMetadata"]["inferenceTime"])
    hour = record["eventMetadata"]["inferenceTime"][:13].replace("-", "/").replace("T", "/")
    assert f"/AllTraffic/{hour}/" in key


def test_only_the_chosen_capture_modes_and_only_answered_requests(
    local_aws: Any, capturing_endpoint: Any, captured: Any
) -> None:
    endpoint = capturing_endpoint("ep-in", modes=("Input",))
    runtime = local_aws.client("sagemaker-runtime")
    runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body="0.1,0.2")
    with pytest.raises(runtime.exceptions.ModelError):
        runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body="1,2,3,4,5")
    [(_, record)] = captured(endpoint)
    assert set(record["captureData"]) == {"endpointInput"}


def test_the_sampling_percentage_is_honoured_exactly(
    local_aws: Any, capturing_endpoint: Any, captured: Any
) -> None:
    endpoint = capturing_endpoint("ep-half", percentage=30)
    runtime = local_aws.client("sagemaker-runtime")
    for i in range(20):
        runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=f"0.{i:02d},0.5")
    rows = sorted(record["captureData"]["endpointInput"]["data"] for _, record in captured(endpoint))
    assert len(rows) == 6  # 30 % of 20
    # Spread evenly: requests 4, 7, 10, 14, 17, 20 (1-based) advance floor(n * 30 / 100).
    assert rows == [f"0.{i - 1:02d},0.5" for i in (4, 7, 10, 14, 17, 20)]


def test_content_types_outside_the_header_are_base64() -> None:
    assert data_capture._encoded(b"\x00\x01", "application/x-npy", {"CsvContentTypes": ["text/csv"]}) == (
        "AAE=",
        "BASE64",
    )
    assert data_capture._encoded(
        b'{"a":1}', "application/json", {"JsonContentTypes": ["application/json"]}
    ) == (
        '{"a":1}',
        "JSON",
    )
