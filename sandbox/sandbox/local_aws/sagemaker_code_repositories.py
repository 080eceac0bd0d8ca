"""Extension: SageMaker code repositories (moto has none): Create/Describe/List/Update/DeleteCodeRepository.

Shapes from the SageMaker API reference (https://docs.aws.amazon.com/sagemaker/latest/APIReference/
API_CreateCodeRepository.html, API_DescribeCodeRepository.html, API_CodeRepositorySummary.html, API_GitConfig.html):
CodeRepositoryName matches `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`; GitConfig {RepositoryUrl, Branch (1-1024),
SecretArn}; the ARN is `arn:aws:sagemaker:<region>:<account>:code-repository/<name in lower case>`.
Errors are SageMaker's ValidationException (400) as for its other Describe/Create calls; their wording is
the sandbox's.
Not emulated: RepositoryUrl's `https://` pattern (the sandbox's GitLab listens on plain http://127.0.0.1);
tags are kept but not listed by ListTags.
"""

from __future__ import annotations

import datetime
import re
import threading
from typing import Any

from sandbox.local_aws.patching import Patches
from sandbox.local_aws.state import LocalAwsState

NAME_PATTERN = re.compile(r"\A[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}\Z")


class CodeRepositories:
    """One account-region's repositories."""

    def __init__(self, account_id: str, region: str) -> None:
        self.account_id, self.region = account_id, region
        self.repositories: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()

    def create(self, name: str, git_config: dict[str, Any], tags: list[Any]) -> dict[str, Any]:
        from moto.sagemaker.exceptions import ValidationError

        if not NAME_PATTERN.match(name):
            raise ValidationError(
                f"1 validation error detected: Value '{name}' at 'codeRepositoryName' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
            )
        if not str(git_config.get("RepositoryUrl", "")):
            raise ValidationError("GitConfig.RepositoryUrl is required")
        now = datetime.datetime.now(datetime.UTC)
        repository = {
            "CodeRepositoryName": name,
            "CodeRepositoryArn": f"arn:aws:sagemaker:{self.region}:{self.account_id}:code-repository/{name.lower()}",
            "CreationTime": now,
            "LastModifiedTime": now,
            "GitConfig": {
                k: str(v) for k, v in git_config.items() if k in ("RepositoryUrl", "Branch", "SecretArn")
            },
        }
        with self.lock:
            if name in self.repositories:
                raise ValidationError(f"Code repository {name} already exists")
            self.repositories[name] = {**repository, "Tags": list(tags)}
        return repository

    def get(self, name: str) -> dict[str, Any]:
        from moto.sagemaker.exceptions import ValidationError

        with self.lock:
            if name not in self.repositories:
                raise ValidationError(f"Cannot find code repository {name}")
            return {k: v for k, v in self.repositories[name].items() if k != "Tags"}

    def delete(self, name: str) -> None:
        with self.lock:
            self.repositories.pop(name, None)


_STORES: dict[tuple[str, str], CodeRepositories] = {}
_LOCK = threading.Lock()


def store(account_id: str, region: str) -> CodeRepositories:
    with _LOCK:
        return _STORES.setdefault((account_id, region), CodeRepositories(account_id, region))


def _wire(repository: dict[str, Any]) -> dict[str, Any]:
    return {k: v.timestamp() if isinstance(v, datetime.datetime) else v for k, v in repository.items()}


def install(patches: Patches, state: LocalAwsState) -> None:
    import json

    from moto.sagemaker.responses import SageMakerResponse

    _STORES.clear()  # a new local AWS starts from an empty cloud, as moto's reset does
    state.cleanups.append(_STORES.clear)

    def create_code_repository(self: Any) -> str:
        repository = store(self.current_account, self.region).create(
            self._get_param("CodeRepositoryName"),
            self._get_param("GitConfig") or {},
            self._get_param("Tags") or [],
        )
        return json.dumps({"CodeRepositoryArn": repository["CodeRepositoryArn"]})

    def describe_code_repository(self: Any) -> str:
        return json.dumps(
            _wire(store(self.current_account, self.region).get(self._get_param("CodeRepositoryName")))
        )

    def list_code_repositories(self: Any) -> str:
        repositories = store(self.current_account, self.region)
        with repositories.lock:
            names = sorted(repositories.repositories)
        summaries = [_wire(repositories.get(name)) for name in names]
        return json.dumps({"CodeRepositorySummaryList": summaries})

    def update_code_repository(self: Any) -> str:
        repositories = store(self.current_account, self.region)
        name = self._get_param("CodeRepositoryName")
        repositories.get(name)  # ValidationException when absent
        with repositories.lock:
            entry = repositories.repositories[name]
            secret = (self._get_param("GitConfig") or {}).get("SecretArn")
            if secret:
                entry["GitConfig"]["SecretArn"] = secret
            entry["LastModifiedTime"] = datetime.datetime.now(datetime.UTC)
        return json.dumps({"CodeRepositoryArn": entry["CodeRepositoryArn"]})

    def delete_code_repository(self: Any) -> str:
        store(self.current_account, self.region).delete(self._get_param("CodeRepositoryName"))
        return "{}"

    for handler in (
        create_code_repository,
        describe_code_repository,
        list_code_repositories,
        update_code_repository,
        delete_code_repository,
    ):
        patches.set(SageMakerResponse, handler.__name__, handler)
