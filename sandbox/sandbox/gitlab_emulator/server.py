"""The WSGI application and the HTTP server (werkzeug, threaded, 127.0.0.1, port 0 = any free port).

``GitLabEmulator`` bundles state, faults and server::

    emulator = GitLabEmulator(data_dir).start()      # background thread; flavor="gitlab.com" for its defaults
    emulator.url                                      # http://127.0.0.1:<port>
    ...
    emulator.stop()

Every request goes: fault rules -> route -> authentication -> handler -> request log. Request lines are not
logged by the server (werkzeug's default access log would print query strings, where a token may be).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from . import api as _api  # noqa: F401  (registers the REST routes)
from . import githttp, gitrepo
from .errors import ApiError
from .faults import Faults, LoggedRequest
from .pipeline_variables import SELF_MANAGED
from .routing import Ctx, authenticate, json_response, match, parse_params
from .runner import PipelineRunner
from .state import EmulatorState

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

API_PREFIX = "/api/v4"
log = logging.getLogger(__name__)


def _raw_path(environ: WSGIEnvironment) -> str:
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        path = str(raw).split("?", 1)[0]
        if "://" in path:  # absolute-form request target
            path = "/" + path.split("://", 1)[1].split("/", 1)[-1]
        return path
    from urllib.parse import quote

    return quote(str(environ.get("PATH_INFO", "")), safe="/:@")


class EmulatorApp:
    """The WSGI callable: REST API under /api/v4, git smart HTTP under /<namespace>/<project>.git/."""

    def __init__(self, state: EmulatorState, faults: Faults) -> None:
        self.state = state
        self.faults = faults

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        raw_path = _raw_path(environ)
        response, template, project_id = self._dispatch(request, raw_path)
        self.faults.record(LoggedRequest(request.method, template, response.status_code, project_id))
        return response(environ, start_response)

    def _dispatch(self, request: Request, raw_path: str) -> tuple[Response, str, int | None]:
        git_template = githttp.route_template(raw_path)
        method = request.method
        if git_template is not None:
            template = git_template
        elif raw_path.startswith(API_PREFIX + "/"):
            api_path = raw_path[len(API_PREFIX) :]
            found = match(method, api_path)  # HEAD is served (and logged) as GET
            template = found[0].template if found else "<unknown>"
        else:
            return Response("Not Found\n", status=404), "<unknown>", None

        fault = self.faults.take(method, template)
        if fault is not None:
            if fault.delay and self.faults.stop.wait(fault.delay):
                return json_response(503, {"message": "503 Service Unavailable"}), template, None
            if fault.status is not None:
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                return json_response(fault.status, fault.response_body(), headers), template, None

        if git_template is not None:
            response, project_id = githttp.handle(self.state, request, raw_path)
            return response, template, project_id
        if found is None:
            return json_response(404, {"error": "404 Not Found"}), template, None
        route, args = found
        ctx = Ctx(self.state, request, args, {})
        request.environ["glemu.raw_path"] = raw_path[len(API_PREFIX) :]
        try:
            if route.auth:
                ctx.user, ctx.token = authenticate(self.state, request)
            ctx.params = parse_params(request)
            response = route.handler(ctx)
        except ApiError as exc:
            response = json_response(exc.status, exc.body, exc.headers)
        except Exception:  # a bug in the emulator: answer like GitLab, keep the traceback in the log
            log.exception("emulator error on %s %s", request.method, template)
            response = json_response(500, {"message": "500 Internal Server Error"})
        return response, template, ctx.project.id if ctx.project else None


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None  # no access log: request lines can carry tokens


class GitLabEmulator:
    """State + faults + a threaded HTTP server on 127.0.0.1."""

    def __init__(
        self,
        data_dir: Path,
        *,
        runner: PipelineRunner | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        external_url: str | None = None,
        flavor: str = SELF_MANAGED,
    ) -> None:
        self.state = EmulatorState(Path(data_dir), runner, flavor=flavor)
        self.faults = Faults()
        self.app = EmulatorApp(self.state, self.faults)
        self._server: BaseWSGIServer = make_server(
            host, port, self.app, threaded=True, request_handler=_QuietHandler
        )
        self.port: int = self._server.server_port
        self.url = external_url or f"http://{host}:{self.port}"
        self.state.base_url = self.url
        self._thread: threading.Thread | None = None

    @property
    def api_url(self) -> str:
        return f"{self.url}{API_PREFIX}"

    def start(self) -> GitLabEmulator:
        # A short poll interval keeps stop() (and so every test fixture) fast.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="gitlab-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self.faults.stop.set()  # wake delayed (timeout-fault) requests so shutdown never waits on them
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=10)
        self._server.server_close()
        gitrepo.release_empty_config()

    def __enter__(self) -> GitLabEmulator:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def wait_until_listening(url: str, timeout: float = 5.0) -> None:
    """For callers that start the emulator as a process: poll until it answers."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(f"{url}{API_PREFIX}/version", timeout=1)  # noqa: S310 (local http)
            return
        except urllib.error.HTTPError:
            return  # 401 = it is up
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
