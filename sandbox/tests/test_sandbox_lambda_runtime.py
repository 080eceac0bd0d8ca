"""The local Lambda runs the deployed package's handler (through boto3's Invoke, as a caller sees it)."""

from __future__ import annotations

import base64
import json

SOURCE = """
import json, os
import boto3

def handler(event, context):
    if event.get("fail"):
        raise ValueError("bad input: " + event["fail"])
    if event.get("sleep"):
        import time; time.sleep(event["sleep"])
    print("handling", event.get("n"))
    identity = boto3.client("sts").get_caller_identity()["Arn"] if event.get("whoami") else None
    return {
        "n": event.get("n"),
        "greeting": os.environ.get("GREETING"),
        "remaining_ms": context.get_remaining_time_in_millis(),
        "function": context.function_name,
        "request_id": context.aws_request_id,
        "region": os.environ["AWS_REGION"],
        "identity": identity,
    }
"""


def test_invoke_runs_handler_with_environment_context_and_role(local_aws, make_function):
    make_function("echo", SOURCE, Environment={"Variables": {"GREETING": "hello"}}, Timeout=30)
    response = local_aws.client("lambda").invoke(
        FunctionName="echo", Payload=json.dumps({"n": 7, "whoami": True}), LogType="Tail"
    )
    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    payload = json.loads(response["Payload"].read())
    assert payload["n"] == 7
    assert payload["greeting"] == "hello"
    assert payload["function"] == "echo"
    assert payload["region"] == "us-east-1"
    assert 0 < payload["remaining_ms"] <= 30_000
    # The function runs with its execution role's temporary credentials, issued by the local STS.
    assert payload["identity"].startswith("arn:aws:sts::123456789012:assumed-role/lambda-role/")
    assert "handling 7" in base64.b64decode(response["LogResult"]).decode()


def test_unhandled_exception_is_lambdas_error_document(local_aws, make_function):
    make_function("fails", SOURCE, Timeout=30)
    response = local_aws.client("lambda").invoke(FunctionName="fails", Payload=json.dumps({"fail": "x"}))
    assert response["FunctionError"] == "Handled"
    error = json.loads(response["Payload"].read())
    assert error["errorType"] == "ValueError"
    assert error["errorMessage"] == "bad input: x"
    assert isinstance(error["stackTrace"], list)


def test_timeout_ends_the_invocation_with_lambdas_message(local_aws, make_function):
    make_function("slow", SOURCE, Timeout=1)
    response = local_aws.client("lambda").invoke(FunctionName="slow", Payload=json.dumps({"sleep": 5}))
    error = json.loads(response["Payload"].read())
    assert "Task timed out after 1.00 seconds" in error["errorMessage"]


def test_output_lands_in_cloudwatch_logs(local_aws, make_function):
    make_function("logger", SOURCE, Timeout=30)
    local_aws.client("lambda").invoke(FunctionName="logger", Payload=json.dumps({"n": 42}))
    logs = local_aws.client("logs")
    streams = logs.describe_log_streams(logGroupName="/aws/lambda/logger")["logStreams"]
    assert len(streams) == 1
    events = logs.get_log_events(logGroupName="/aws/lambda/logger", logStreamName=streams[0]["logStreamName"])
    messages = [e["message"] for e in events["events"]]
    assert messages[0].startswith("START RequestId: ")
    assert "handling 42" in messages


LOGGING_SOURCE = """
import logging

logger = logging.getLogger("seeder")
logger.setLevel(logging.INFO)

def handler(event, context):
    logger.info('{"event": "repo.created"}')
    logging.getLogger("quiet").info("below the root's WARNING: dropped, as on AWS")
    print("printed")
    return "ok"
"""


def test_a_functions_logging_records_reach_its_log_group_in_the_runtimes_format(local_aws, make_function):
    make_function("logs-json", LOGGING_SOURCE, Timeout=30)
    response = local_aws.client("lambda").invoke(FunctionName="logs-json", Payload="{}")
    assert json.loads(response["Payload"].read()) == "ok"
    logs = local_aws.client("logs")
    [stream] = logs.describe_log_streams(logGroupName="/aws/lambda/logs-json")["logStreams"]
    events = logs.get_log_events(logGroupName="/aws/lambda/logs-json", logStreamName=stream["logStreamName"])
    messages = [e["message"] for e in events["events"]]
    request_id = messages[0].split()[2]
    [record] = [m for m in messages if "repo.created" in m]
    level, stamp, rid, text = record.split("\t")
    assert (level, rid, text) == ("[INFO]", request_id, '{"event": "repo.created"}')
    assert stamp.endswith("Z")
    assert len(stamp) == len("2026-01-01T00:00:00.000Z")
    assert "printed" in messages
    assert not any("dropped" in m for m in messages)
    assert messages[-1] == f"END RequestId: {request_id}"
