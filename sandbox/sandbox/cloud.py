"""The local cloud: local AWS (moto + extensions), the GitLab emulator, and gitlab-ci-local as its runner.

Also what a platform team has before it publishes: a GitLab group with a group access token stored in
Secrets Manager, and the public Abalone object at s3://sagemaker-sample-files/... (the template's default
InputDataUrl), so seed code needs no sandbox special case.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from sandbox import data as data_module
from sandbox.ci_runner import GitlabCiLocalRunner
from sandbox.job_python import job_python_env
from sandbox.local_aws.server import LocalAws

GROUP_PATH = "ml/team"
# CI/CD variables of the sandbox's GitLab group: local executions take seconds, so poll them every half second
# (the build repo's .gitlab-ci.yml polls every 30 s, right for SageMaker in AWS).
GROUP_VARIABLES = {"PIPELINE_POLL_SECONDS": "0.5"}
TOKEN_SECRET_NAME = "sagemaker-gitlab/gitlab-api-token"  # noqa: S105 - a secret's name, not a secret


class LocalCloud:
    """Everything the lifecycle talks to; `stop()` leaves nothing running and removes its temp files."""

    def __init__(
        self, workdir: Path | None = None, keep_files: bool = False, iam_mode: str = "enforce"
    ) -> None:
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="sagemaker-gitlab-sandbox-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.keep_files = keep_files
        self.aws = LocalAws(iam_mode=iam_mode)
        self.runner: GitlabCiLocalRunner | None = None
        self.gitlab: Any = None
        self.seed: Any = None
        self.token_secret_arn = ""
        self.person_token = ""
        self._warm_up: threading.Thread | None = None
        self.console: Any = None  # sandbox.console.Console, started with the cloud

    @property
    def gitlab_url(self) -> str:
        return str(self.gitlab.url)

    def start(self) -> Self:
        from sandbox.gitlab_emulator.seed import seed
        from sandbox.gitlab_emulator.server import GitLabEmulator
        from sandbox.gitlab_emulator.state import MAINTAINER

        self.aws.start()
        from sandbox.local_aws import xgboost_container

        # Off the critical path: the first Train step would otherwise pay the import.
        self._warm_up = threading.Thread(
            target=xgboost_container.warm_up, name="xgboost-warm-up", daemon=True
        )
        self._warm_up.start()
        ci_python = job_python_env(self.workdir)
        self.runner = GitlabCiLocalRunner(
            self.workdir / "ci",
            runner_environment(self.aws.endpoint_url, ci_python),
            group_variables=GROUP_VARIABLES,
        )
        (self.workdir / "ci").mkdir(exist_ok=True)
        # GitLab.com's stricter defaults for new projects (pipeline_variables.py: no_one_allowed), so the
        # lifecycle proves the seeder lifts them; the self-managed default is covered by the emulator's tests.
        self.gitlab = GitLabEmulator(self.workdir / "gitlab", runner=self.runner, flavor="gitlab.com").start()
        self.runner.attach(self.gitlab.state, self.gitlab.url)
        self.seed = seed(self.gitlab.state, GROUP_PATH)
        # A person of the team (Maintainer) who approves deployments to production in GitLab.
        state = self.gitlab.state
        person = state.create_user("ml-engineer", name="ML Engineer")
        state.add_member(self.seed.group, person, MAINTAINER)
        self.person_token = state.create_token(person, name="ml-engineer", scopes=["api"]).value
        from sandbox.console import Console, sources_for

        # The local web console, as that person; it idles (no polling) until a browser asks.
        self.console = Console(sources_for(self)).start()
        return self

    def platform_prerequisites(self, dataset: data_module.Dataset) -> None:
        """What the platform team prepares by hand before `scripts/publish`."""
        secrets = self.aws.client("secretsmanager")
        self.token_secret_arn = secrets.create_secret(
            Name=TOKEN_SECRET_NAME,
            SecretString=self.seed.group_token.value,
            Description="GitLab group access token (api scope) for the SageMaker project seeder",
        )["ARN"]
        s3 = self.aws.client("s3")
        s3.create_bucket(Bucket=data_module.SAMPLE_FILES_BUCKET)
        s3.put_object(
            Bucket=data_module.SAMPLE_FILES_BUCKET, Key=data_module.SAMPLE_KEY, Body=dataset.content
        )

    def gitlab_client(self, token: str | None = None) -> Any:
        import gitlab

        return gitlab.Gitlab(self.gitlab.url, private_token=token or self.person_token, timeout=30)

    def stop(self) -> None:
        if self.console is not None:
            self.console.stop()
        if self._warm_up is not None:
            self._warm_up.join(timeout=30)  # never end the interpreter in the middle of an import
        if self.runner is not None:
            self.runner.stop()
        if self.gitlab is not None:
            self.gitlab.stop()
        self.aws.stop()
        if not self.keep_files:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


PASS_THROUGH = {
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
    "GIT_SSL_CAINFO",
    "AWS_CA_BUNDLE",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "PYENV_ROOT",
}


def runner_environment(endpoint_url: str, ci_python: Path) -> dict[str, str]:
    """The runner's configured environment (a GitLab runner's `environment = [...]`): no AWS keys."""
    node_dir = Path(shutil.which("node") or "/usr/bin/node").parent
    uv = shutil.which("uv")
    path = [str(ci_python / "bin"), str(node_dir)]
    if uv:
        path.append(str(Path(uv).parent))
    path += ["/usr/local/bin", "/usr/bin", "/bin"]
    env = {
        "PATH": os.pathsep.join(dict.fromkeys(path)),
        "LANG": "C.UTF-8",
        "AWS_ENDPOINT_URL": endpoint_url,
        "CI_SERVER": "yes",
    }
    # The host's network settings (CA bundles, proxies, package indexes), as a runner on it would have.
    for key, value in os.environ.items():
        if key in PASS_THROUGH or key.startswith(("UV_", "PIP_")):
            env[key] = value
    if "UV_CACHE_DIR" not in env:
        env["UV_CACHE_DIR"] = str(Path.home() / ".cache" / "uv")
    return env
