"""Git smart HTTP (clone, fetch, push) through ``git http-backend``, as GitLab serves it.

``http://oauth2:<token>@host/<group>/<project>.git`` works like on GitLab: HTTP Basic with any user name and
an access token (scopes ``api``, ``read_repository`` or ``write_repository``) as the password. Cloning needs
Reporter, pushing needs Developer; archived projects refuse pushes. After a push, every branch that moved
gets a ``push`` pipeline when its new commit has a CI config (see ``pipeline_start.start_push_pipeline``), and
every new or moved tag a tag pipeline. Protected tags hold for pushes as for the API (``push_hook.py``).

Not emulated: SSH, the dumb HTTP protocol, LFS, CI job tokens (``gitlab-ci-token``), deploy tokens,
protected branches, redirects for URLs without ``.git``.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess

from werkzeug.wrappers import Request, Response

from . import gitrepo, gittags, push_hook
from .pipeline_start import start_push_pipeline
from .state import DEVELOPER, REPORTER, EmulatorState, Project, User

GIT_PATH = re.compile(r"^/(?P<path>.+?)\.git/(?P<rest>info/refs|git-upload-pack|git-receive-pack)$")
HTTP_BACKEND = "git-http-backend"


def route_template(raw_path: str) -> str | None:
    """The request-log name of a git smart HTTP path, or None when it is not one."""
    found = GIT_PATH.match(raw_path)
    return f"/:namespace/:project.git/{found.group('rest')}" if found else None


def _denied(status: int = 401) -> Response:
    body = "HTTP Basic: Access denied. If a password was provided for Git authentication, the password was incorrect or you're required to use a token instead of a password.\n"
    return Response(
        body, status=status, headers={"WWW-Authenticate": 'Basic realm="GitLab"'}, content_type="text/plain"
    )


def _user(state: EmulatorState, request: Request) -> User | None:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        _name, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    token = state.token_by_value(password)
    if token is None or token.revoked or token.expired(state.today()):
        return None
    if not {"api", "read_repository", "write_repository"} & set(token.scopes):
        return None
    return state.users[token.user_id]


def handle(state: EmulatorState, request: Request, raw_path: str) -> tuple[Response, int | None]:
    """Serve one git smart HTTP request; returns the response and the project id (for the request log)."""
    found = GIT_PATH.match(raw_path)
    assert found is not None
    rest = found.group("rest")
    service = request.args.get("service", "") if rest == "info/refs" else rest
    pushing = service == "git-receive-pack"
    user = _user(state, request)
    if user is None:
        return _denied(), None
    project = state.find_project(found.group("path"))
    if project is None:
        return Response("The project you were looking for could not be found.\n", status=404), None
    level = state.access_level(user, state.groups[project.namespace_id])
    if level < REPORTER and project.visibility == "private":
        return Response("The project you were looking for could not be found.\n", status=404), project.id
    if pushing and (level < DEVELOPER or project.archived):
        return Response("You are not allowed to push code to this project.\n", status=403), project.id
    with project.lock if pushing and rest != "info/refs" else _NoLock():
        before = gitrepo.branches(project.repo) if pushing else {}
        tags_before = _tag_commits(project) if pushing else {}
        response = _run_backend(state, project, user, request, rest, level)
        after = gitrepo.branches(project.repo) if pushing else {}
        tags_after = _tag_commits(project) if pushing else {}
    if pushing and not before and after and project.default_branch not in after:
        # GitLab makes the first branch pushed to an empty repository its default branch.
        project.default_branch = sorted(after)[0]
        gitrepo.set_head(project.repo, project.default_branch)
    for branch, sha in sorted(after.items()):
        if before.get(branch) != sha:
            start_push_pipeline(state, project, user, branch, sha, before.get(branch))
    for tag, sha in sorted(tags_after.items()):
        if tags_before.get(tag) != sha:
            start_push_pipeline(state, project, user, tag, sha, tag=True)
    return response, project.id


def _tag_commits(project: Project) -> dict[str, str]:
    return {t.name: t.commit for t in gittags.tags(project.repo)}


class _NoLock:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _run_backend(
    state: EmulatorState, project: Project, user: User, request: Request, rest: str, level: int
) -> Response:
    body = request.get_data()
    env = {
        # What the repository's pre-receive hook (push_hook.py) checks protected tags against.
        push_hook.POLICY_ENV: push_hook.policy(
            level, [(p.name, p.create_access_level) for p in project.protected_tags]
        ),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": gitrepo.empty_config(),
        "GIT_PROJECT_ROOT": str(project.repo.parent),
        "GIT_HTTP_EXPORT_ALL": "1",
        "PATH_INFO": f"/{project.repo.name}/{rest}",
        "QUERY_STRING": request.query_string.decode("latin-1"),
        "REQUEST_METHOD": request.method,
        "CONTENT_TYPE": request.headers.get("Content-Type", ""),
        "CONTENT_LENGTH": str(len(body)),
        "REMOTE_USER": user.username,
        "REMOTE_ADDR": request.remote_addr or "127.0.0.1",
    }
    for header, var in (("Content-Encoding", "HTTP_CONTENT_ENCODING"), ("Git-Protocol", "HTTP_GIT_PROTOCOL")):
        if request.headers.get(header):
            env[var] = request.headers[header]
    proc = subprocess.run(
        [gitrepo.GIT, "http-backend"], input=body, capture_output=True, env=env, check=False
    )
    head, sep, payload = proc.stdout.partition(b"\r\n\r\n")
    if not sep:
        head, _, payload = proc.stdout.partition(b"\n\n")
    status = 200
    headers: list[tuple[str, str]] = []
    for line in head.decode("latin-1").splitlines():
        name, _, value = line.partition(":")
        if name.lower() == "status":
            status = int(value.strip().split()[0])
        elif name:
            headers.append((name, value.strip()))
    return Response(payload, status=status, headers=headers)
