"""Every GitLab call the seeder makes (python-gitlab), with failures turned into actionable messages."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import gitlab
import requests
from gitlab.v4.objects import Project

from seeder import logs, names, redact
from seeder.errors import SeederError, TransientGitLabError
from seeder.retry import RetryingSession
from seeder.variables import Variable, VariableChange


@dataclass(frozen=True)
class Repo:
    id: int
    full_path: str
    clone_url: str
    web_url: str
    description: str
    empty: bool
    archived: bool

    @classmethod
    def of(cls, project: Project) -> Repo:
        a = project.attributes
        return cls(
            id=int(a["id"]),
            full_path=str(a.get("path_with_namespace", "")),
            clone_url=str(a.get("http_url_to_repo", "")),
            web_url=str(a.get("web_url", "")),
            description=str(a.get("description") or ""),
            empty=bool(a.get("empty_repo", False)),
            archived=bool(a.get("archived", False)),
        )


# The seeder's variables apply to every environment. GitLab answers 409 "There are multiple variables
# with provided parameters" to a PUT/DELETE by key alone once someone adds the same key for another
# scope, so each PUT/DELETE names the scope (Project-level CI/CD variables API, filter parameter:
# https://docs.gitlab.com/api/project_level_variables/#update-a-variable).
_ALL_ENVIRONMENTS = "*"
_OUR_SCOPE = {"filter[environment_scope]": _ALL_ENVIRONMENTS}


def _auth_problem(exc: gitlab.exceptions.GitlabError, secret_arn: str, role: str) -> str:
    detail = ""
    try:
        body = json.loads(exc.response_body or b"{}")
        detail = str(body.get("error_description") or body.get("message") or body.get("error") or "")
    except (ValueError, AttributeError):
        pass
    lowered = detail.lower()
    fix = (
        f"create a new GitLab group access token (api scope, {role} role) and store it in secret {secret_arn}"
    )
    if "expired" in lowered:
        return f"GitLab API token expired (401); {fix}"
    if "revoked" in lowered:
        return f"GitLab API token revoked (401); {fix}"
    return f"GitLab rejected the API token (401: invalid, expired or revoked); {fix}"


def _message(exc: gitlab.exceptions.GitlabError) -> str:
    message = exc.error_message
    return json.dumps(message) if isinstance(message, dict | list) else str(message)


class GitLabOps:
    """One authenticated python-gitlab client plus the few operations the seeder needs."""

    def __init__(
        self,
        url: str,
        token: str,
        session: RetryingSession,
        token_secret_arn: str,
        role: str = "Maintainer",
    ):
        """``role``: the role the token needs for this project's deletion policy, named in 401/403 fixes."""
        self.url = url
        self.session = session
        self.token_secret_arn = token_secret_arn
        self._secret_arn = token_secret_arn
        self._role = role
        self.gl = gitlab.Gitlab(
            url,
            private_token=token,
            session=session,
            timeout=session.request_timeout,
            retry_transient_errors=False,  # RetryingSession retries, bounded by the Lambda deadline
            per_page=100,
        )

    def _translate(
        self, exc: BaseException, doing: str, not_found: str | None = None, forbidden: str | None = None
    ) -> BaseException:
        """The actionable :class:`SeederError` for a python-gitlab/requests failure (others unchanged)."""
        if isinstance(exc, TransientGitLabError | SeederError):
            return exc
        if isinstance(exc, gitlab.exceptions.GitlabAuthenticationError):
            return SeederError(_auth_problem(exc, self._secret_arn, self._role))
        if isinstance(exc, gitlab.exceptions.GitlabError):
            code = exc.response_code
            if code == 404 and not_found:
                return SeederError(not_found)
            if code == 403:
                return SeederError(
                    forbidden
                    or f"the GitLab token lacks permission to {doing} (403); it needs the api scope and the "
                    f"{self._role} role on the group"
                )
            return SeederError(f"GitLab refused to {doing} ({code}: {_message(exc)[:300]})")
        if isinstance(exc, requests.RequestException):
            return SeederError(f"cannot reach GitLab at {self.url} to {doing} ({type(exc).__name__})")
        return exc

    @contextmanager
    def call(self, doing: str, not_found: str | None = None, forbidden: str | None = None) -> Iterator[None]:
        try:
            yield
        except (gitlab.exceptions.GitlabError, requests.RequestException) as exc:
            raise self._translate(exc, doing, not_found, forbidden) from None

    # --- groups and projects -----------------------------------------------------------------------

    def group_id(self, group_path: str) -> int:
        problem = f"group '{group_path}' not found or token lacks access"
        with self.call(f"read group '{group_path}'", not_found=problem, forbidden=problem):
            return int(self.gl.groups.get(group_path, lazy=False).id)

    def find_repo_or_none(self, full_path: str) -> Repo | None:
        """The project at ``full_path``, ``None`` if it does not exist (or is invisible to the token)."""
        try:
            return Repo.of(self.gl.projects.get(full_path))
        # GitlabError, not GitlabGetError: python-gitlab raises a 401 as GitlabAuthenticationError, which
        # is no GitlabGetError, and it must get the token fix like every other call (issue 10.6).
        except (gitlab.exceptions.GitlabError, requests.RequestException) as exc:
            if isinstance(exc, gitlab.exceptions.GitlabGetError) and exc.response_code == 404:
                return None
            raise self._translate(exc, f"read project {full_path}") from None

    def create_or_adopt_repo(
        self, group_id: int, full_path: str, description: str, marker: str
    ) -> tuple[Repo, bool]:
        """Create the empty repo with an explicit path; adopt it if a previous attempt already made it.

        Returns ``(repo, created)``. A repo at the path without our marker belongs to someone else: fail.
        """
        path = full_path.rsplit("/", 1)[1]
        attrs = {
            "name": path,
            "path": path,
            "namespace_id": group_id,
            "description": description,
            "visibility": "private",
            "initialize_with_readme": False,
        }
        try:
            project = self.gl.projects.create(attrs)
            repo = Repo.of(project)
            logs.log("repo.created", path=full_path, id=repo.id)
            return repo, True
        except gitlab.exceptions.GitlabCreateError as exc:
            if exc.response_code != 400 or "taken" not in _message(exc):
                raise self._translate(exc, f"create project {full_path}") from None
        except (gitlab.exceptions.GitlabError, requests.RequestException) as exc:
            raise self._translate(exc, f"create project {full_path}") from None
        existing = self.find_repo_or_none(full_path)
        if existing is None:
            raise SeederError(
                f"GitLab says {full_path} is taken but it is not visible to the token; pick another group"
            )
        if marker not in existing.description:
            raise SeederError(
                f"GitLab project {full_path} already exists and was not created for this SageMaker project; "
                "rename or move it, or use another group"
            )
        logs.log("repo.adopted", path=full_path, id=existing.id)
        return existing, False

    def archive(self, repo: Repo) -> None:
        owner = f"the GitLab token needs the Owner role to archive {repo.full_path} (403); use an Owner token or RepositoryDeletionPolicy Retain"
        with self.call(f"archive project {repo.full_path}", forbidden=owner):
            self.gl.projects.get(repo.id, lazy=True).archive()
        logs.log("repo.archived", path=repo.full_path, id=repo.id)

    def delete(self, repo: Repo, permanently: bool) -> None:
        """Delete the project. ``permanently`` skips GitLab's delayed deletion so the path is free again."""
        owner = f"the GitLab token needs the Owner role to delete {repo.full_path} (403); use an Owner token or RepositoryDeletionPolicy Retain"
        with self.call(f"delete project {repo.full_path}", forbidden=owner):
            try:
                self.gl.projects.delete(repo.id)
            except gitlab.exceptions.GitlabDeleteError as exc:
                if exc.response_code == 404:
                    logs.log("repo.already_gone", path=repo.full_path, id=repo.id)
                    return
                # A retried Delete finds the project already marked for deletion (GitLab >= 18): carry on.
                if not (exc.response_code == 400 and "marked for deletion" in str(exc.error_message)):
                    raise
        if permanently:
            # GitLab >= 18 only marks the project for deletion and renames it to
            # "<path>-deletion_scheduled-<id>"; a second call naming its *current* full path removes it now.
            # Where deletion was immediate the project is already gone.
            current = self.find_repo_or_none(str(repo.id))
            if current is not None:
                with self.call(f"permanently delete project {current.full_path}", forbidden=owner):
                    self.gl.http_delete(
                        f"/projects/{repo.id}",
                        query_data={"permanently_remove": "true", "full_path": current.full_path},
                    )
        logs.log("repo.deleted", path=repo.full_path, id=repo.id, permanently=permanently)

    # --- CI/CD variables ---------------------------------------------------------------------------

    def variables(self, repo: Repo) -> dict[str, Variable]:
        """The repo's variables for every environment (scope ``*``): the only ones the seeder manages.

        GitLab keys variables by name *and* environment scope; ones people scoped to an environment
        (e.g. ``AWS_REGION`` for ``production``) are theirs and stay untouched.
        """
        with self.call(f"list CI/CD variables of {repo.full_path}"):
            found = self.gl.projects.get(repo.id, lazy=True).variables.list(iterator=True)
            return {
                str(v.key): Variable(
                    key=str(v.key),
                    value=str(v.attributes.get("value", "")),
                    masked=bool(v.attributes.get("masked", False)),
                    protected=bool(v.attributes.get("protected", False)),
                    raw=bool(v.attributes.get("raw", False)),
                )
                for v in found
                if str(v.attributes.get("environment_scope", _ALL_ENVIRONMENTS)) == _ALL_ENVIRONMENTS
            }

    def apply_variables(self, repo: Repo, changes: list[VariableChange]) -> None:
        manager = self.gl.projects.get(repo.id, lazy=True).variables
        for change in changes:
            doing = f"{change.action} CI/CD variable {change.key} of {repo.full_path}"
            with self.call(doing):
                if change.action == "delete":
                    try:
                        manager.delete(change.key, query_data=_OUR_SCOPE)
                    except gitlab.exceptions.GitlabDeleteError as exc:
                        if exc.response_code != 404:
                            raise
                else:
                    assert change.variable is not None
                    self._put_variable(manager, change.action, change.variable)
        if changes:
            logs.log(
                "variables.applied", path=repo.full_path, changes=[f"{c.action}:{c.key}" for c in changes]
            )

    def _put_variable(self, manager: Any, action: str, var: Variable) -> None:
        attrs: dict[str, Any] = {
            "key": var.key,
            "value": var.value,
            "masked": var.masked,
            "protected": var.protected,
            "raw": var.raw,
            "environment_scope": _ALL_ENVIRONMENTS,
        }
        try:
            if action == "create":
                manager.create(attrs)
            else:
                manager.update(var.key, attrs, query_data=_OUR_SCOPE)
        except gitlab.exceptions.GitlabCreateError as exc:
            text = _message(exc)
            if exc.response_code == 400 and "taken" in text:
                # a retried POST whose first attempt had succeeded
                manager.update(var.key, attrs, query_data=_OUR_SCOPE)
            elif exc.response_code == 400 and var.masked and "mask" in text.lower():
                logs.log("variable.unmaskable", key=var.key)
                manager.create({**attrs, "masked": False})
            else:
                raise

    # --- commits -----------------------------------------------------------------------------------

    def commit_seed(self, repo: Repo, actions: list[dict[str, Any]], message: str) -> str:
        """Push the seed as one commit creating ``main``; a repeat after an applied attempt is a no-op."""
        project = self.gl.projects.get(repo.id, lazy=True)
        try:
            with self.call(f"commit the seed code to {repo.full_path}"):
                commit = project.commits.create(
                    {"branch": names.DEFAULT_BRANCH, "commit_message": message, "actions": actions}
                )
        except SeederError:
            head = self.branch_head(repo)
            if head is not None:  # the commit landed on an earlier attempt that seemed to fail
                logs.log("seed.already_committed", path=repo.full_path, commit=head)
                return head
            raise
        logs.log("seed.committed", path=repo.full_path, commit=commit.id, files=len(actions))
        return str(commit.id)

    def branch_head(self, repo: Repo) -> str | None:
        try:
            branch = self.gl.projects.get(repo.id, lazy=True).branches.get(names.DEFAULT_BRANCH)
        # As in find_repo_or_none: a 401 is a GitlabAuthenticationError, not a GitlabGetError.
        except (gitlab.exceptions.GitlabError, requests.RequestException) as exc:
            if isinstance(exc, gitlab.exceptions.GitlabGetError) and exc.response_code == 404:
                return None
            raise self._translate(exc, f"read branch main of {repo.full_path}") from None
        return str(branch.commit["id"])

    # --- pipeline trigger tokens -------------------------------------------------------------------

    def _our_triggers(self, repo: Repo, description: str) -> list[Any]:
        with self.call(f"list pipeline triggers of {repo.full_path}"):
            triggers = self.gl.projects.get(repo.id, lazy=True).triggers.list(iterator=True)
            return [t for t in triggers if t.attributes.get("description") == description]

    def ensure_trigger(self, repo: Repo, description: str, keep_token: str | None, look: bool) -> str:
        """Exactly one seeder-managed trigger on ``repo``; returns its token.

        Keeps the trigger whose token is ``keep_token`` if it still exists; otherwise creates one.
        ``look=False`` (a repo we just created) skips listing, as there can be none.
        """
        existing = self._our_triggers(repo, description) if look else []
        keep = next((t for t in existing if keep_token and t.attributes.get("token") == keep_token), None)
        if keep is None:
            with self.call(f"create the pipeline trigger of {repo.full_path}"):
                created = self.gl.projects.get(repo.id, lazy=True).triggers.create(
                    {"description": description}
                )
            token = str(created.attributes["token"])
            redact.register(token)
            logs.log("trigger.created", path=repo.full_path, trigger_id=created.id)
        else:
            token = str(keep.attributes["token"])
            logs.log("trigger.kept", path=repo.full_path, trigger_id=keep.id)
        for stale in existing:
            if stale is not keep:
                self._delete_trigger(repo, stale)
        return token

    def revoke_triggers(self, repo: Repo, description: str) -> int:
        stale = self._our_triggers(repo, description)
        for trigger in stale:
            self._delete_trigger(repo, trigger)
        return len(stale)

    def _delete_trigger(self, repo: Repo, trigger: Any) -> None:
        with self.call(f"delete a pipeline trigger of {repo.full_path}"):
            try:
                trigger.delete()
            except gitlab.exceptions.GitlabDeleteError as exc:
                if exc.response_code != 404:
                    raise
        logs.log("trigger.revoked", path=repo.full_path, trigger_id=trigger.id)


def repo_outputs(build: Repo, deploy: Repo, secret_arn: str) -> Mapping[str, str]:
    """The custom resource's response ``Data`` (README contract)."""
    return {
        "BuildRepoId": str(build.id),
        "BuildRepoUrl": build.clone_url,
        "DeployRepoId": str(deploy.id),
        "DeployRepoUrl": deploy.clone_url,
        "TriggerSecretArn": secret_arn,
    }
