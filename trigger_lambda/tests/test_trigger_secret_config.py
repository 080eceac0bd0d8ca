"""The trigger secret's format and the Lambda's environment (pure)."""

from __future__ import annotations

import json

import pytest

from trigger.config import ConfigError, Settings, load_settings
from trigger.gitlab_trigger import SecretFormatError, TriggerSecret, parse_trigger_secret

TOKEN = "glptt-0123456789abcdefABCDEF"
NAME = "sagemaker-gitlab/abalone-p-abcdefghijkl/deploy-trigger"


def test_secret_parses() -> None:
    text = json.dumps(
        {"gitlab_url": "https://gitlab.example.com/", "project_id": 42, "ref": "main", "token": TOKEN}
    )
    assert parse_trigger_secret(NAME, text) == TriggerSecret("https://gitlab.example.com", 42, "main", TOKEN)


def test_secret_repr_hides_token() -> None:
    secret = TriggerSecret("https://gitlab.example.com", 42, "main", TOKEN)
    assert TOKEN not in repr(secret)
    assert TOKEN not in str(secret)


def test_ref_defaults_to_main() -> None:
    text = json.dumps({"gitlab_url": "https://g.example", "project_id": 1, "token": TOKEN})
    assert parse_trigger_secret(NAME, text).ref == "main"


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ("not json " + TOKEN, "it is not JSON"),
        (json.dumps([TOKEN]), "it is not an object"),
        (json.dumps({"project_id": 1, "token": TOKEN}), "gitlab_url missing"),
        (json.dumps({"gitlab_url": "gitlab.example.com", "project_id": 1, "token": TOKEN}), "gitlab_url"),
        (json.dumps({"gitlab_url": "https://g", "project_id": "42", "token": TOKEN}), "project_id"),
        (json.dumps({"gitlab_url": "https://g", "project_id": True, "token": TOKEN}), "project_id"),
        (json.dumps({"gitlab_url": "https://g", "project_id": 0, "token": TOKEN}), "project_id"),
        (json.dumps({"gitlab_url": "https://g", "project_id": 1, "ref": "", "token": TOKEN}), "ref"),
        (json.dumps({"gitlab_url": "https://g", "project_id": 1}), "token missing"),
        (json.dumps({"gitlab_url": "https://g", "project_id": 1, "token": 12345}), "token missing"),
    ],
)
def test_bad_secret_names_field_and_fix_but_never_the_token(data: str, fragment: str) -> None:
    with pytest.raises(SecretFormatError) as raised:
        parse_trigger_secret(NAME, data)
    message = str(raised.value)
    assert fragment in message
    assert NAME in message
    assert "updating the project stack" in message
    assert TOKEN not in message
    assert raised.value.__cause__ is None


def test_settings_from_environment() -> None:
    env = {
        "TRIGGER_SECRET_NAME": NAME,
        "MODEL_PACKAGE_GROUP_NAME": "abalone-p-abcdefghijkl",
        "NOTIFICATION_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:t",
    }
    assert load_settings(env) == Settings(
        NAME, "abalone-p-abcdefghijkl", "arn:aws:sns:us-east-1:123456789012:t"
    )


def test_missing_settings_are_named() -> None:
    with pytest.raises(ConfigError, match="lacks MODEL_PACKAGE_GROUP_NAME, NOTIFICATION_TOPIC_ARN"):
        load_settings({"TRIGGER_SECRET_NAME": NAME, "MODEL_PACKAGE_GROUP_NAME": ""})


def test_gitlab_client_carries_no_api_token() -> None:
    """Only the trigger token (in the request body) authenticates; no PRIVATE-TOKEN/Authorization header."""
    from trigger.gitlab_trigger import make_client

    client = make_client("https://gitlab.example.com")
    assert client.private_token is None
    assert client.oauth_token is None
    assert client.job_token is None
    assert not {"PRIVATE-TOKEN", "Authorization", "JOB-TOKEN"} & set(client.headers)
    assert client.timeout == 10.0
    assert client.retry_transient_errors is False
