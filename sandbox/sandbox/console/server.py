"""The console's HTTP server: standard library `http.server`, bound to 127.0.0.1 only, one thread per request.

Approving a model deploys it, so the console refuses requests a web page elsewhere could make a browser send:
- the Host header must name the console itself (127.0.0.1 or localhost on its port): a DNS-rebinding page
  on another name cannot read its pages or their per-run token;
- a POST must carry that per-run token (a hidden form field, compared in constant time) and, when the
  browser sends them (current browsers do on POST), an Origin of the console itself and a Sec-Fetch-Site of
  same-origin (or none: typed by the person).
Those are OWASP's CSRF defences (synchronizer token + origin check):
https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html
Nothing runs until a browser asks, so the console costs the lifecycle nothing when nobody opens it.
"""

from __future__ import annotations

import hmac
import re
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from sandbox.console import pages
from sandbox.console.sources import BadRequestError, NotFoundError, Sources

HOST = "127.0.0.1"  # never 0.0.0.0: the console can approve models
MAX_BODY = 64 * 1024
_PIPELINE = re.compile(r"^/gitlab/(?P<path>.+)/-/pipelines/(?P<id>\d+)$")
_JOB = re.compile(r"^/gitlab/(?P<path>.+)/-/jobs/(?P<id>\d+)$")
_REPO = re.compile(r"^/gitlab/(?P<path>[^-].*)$")
_ENDPOINT = re.compile(r"^/sagemaker/endpoints/(?P<name>[^/]+)$")
_INVOKE = re.compile(r"^/sagemaker/endpoints/(?P<name>[^/]+)/invoke$")
POST_ROUTES = ("/sagemaker/packages/approval", _INVOKE)


class HttpError(Exception):
    def __init__(self, code: int, message: str, allow: str = "") -> None:
        super().__init__(message)
        self.code, self.message, self.allow = code, message, allow


class Console:
    """`Console(sources).start()`; `url`; `stop()`. The token is per run and only ever in the pages."""

    def __init__(self, sources: Sources, port: int = 0) -> None:
        self.sources = sources
        self.token = secrets.token_urlsafe(32)
        self._requested_port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, "the console is not started"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> Console:
        console = self

        class Handler(ConsoleHandler):
            owner = console

        self._server = ThreadingHTTPServer((HOST, self._requested_port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="console", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def own_hosts(self) -> set[str]:
        return {f"{HOST}:{self.port}", f"localhost:{self.port}"}


class ConsoleHandler(BaseHTTPRequestHandler):
    owner: Console
    server_version = "sandbox-console"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the terminal belongs to the lifecycle's timeline

    # ---- dispatch -----------------------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def _handle(self, method: str) -> None:
        try:
            self._check_host()
            path = unquote(urlsplit(self.path).path)
            is_post_route = any(
                path == route if isinstance(route, str) else route.match(path) for route in POST_ROUTES
            )
            if is_post_route and method != "POST":
                raise HttpError(
                    405, f"{path} takes POST (a form on the console's pages), not {method}", "POST"
                )
            if not is_post_route and method != "GET":
                raise HttpError(405, f"{path} is a page: use GET, not {method}", "GET")
            if method == "POST":
                self._post(path)
            else:
                self._send(200, self._get(path))
        except HttpError as exc:
            self._send(exc.code, pages.error_page(exc.code, exc.message), exc.allow)
        except NotFoundError as exc:
            self._send(404, pages.error_page(404, str(exc)))
        except BadRequestError as exc:
            self._send(400, pages.error_page(400, str(exc)))
        except Exception as exc:  # a backend error shows on the page instead of a dropped connection
            self._send(502, pages.error_page(502, f"{type(exc).__name__}: {exc}"))

    def _send(self, code: int, html: str, allow: str = "", location: str = "") -> None:
        data = html.encode("utf-8")
        self.send_response(code)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        # The pages are never framed (clickjacking the Approve button) and load nothing from elsewhere.
        self.send_header("X-Frame-Options", "DENY")
        self.send_header(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        )
        self.send_header("Referrer-Policy", "no-referrer")
        if allow:
            self.send_header("Allow", allow)
        self.end_headers()
        self.wfile.write(data)

    # ---- the checks ---------------------------------------------------------------------------------------
    def _check_host(self) -> None:
        host = (self.headers.get("Host") or "").lower()
        if host not in self.owner.own_hosts():
            raise HttpError(421, f"this console answers only as {self.owner.url} (Host {host!r} refused)")

    def _form(self) -> dict[str, str]:
        origin = self.headers.get("Origin")
        allowed = {f"http://{h}" for h in self.owner.own_hosts()}
        if origin is not None and origin.lower() not in allowed:
            raise HttpError(
                403, f"cross-site request refused (Origin {origin!r}); use the console's own page"
            )
        # Fetch metadata (https://www.w3.org/TR/fetch-metadata/): browsers say where a request comes from.
        site = self.headers.get("Sec-Fetch-Site")
        if site is not None and site not in ("same-origin", "none"):
            raise HttpError(
                403, f"cross-site request refused (Sec-Fetch-Site {site}); use the console's own page"
            )
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if content_type != "application/x-www-form-urlencoded":
            raise HttpError(415, "send the console's form (application/x-www-form-urlencoded)")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise HttpError(400, "Content-Length is not a number") from None
        if length > MAX_BODY:
            raise HttpError(413, f"request body over {MAX_BODY} bytes")
        raw = self.rfile.read(length).decode("utf-8", "replace")
        form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        if not hmac.compare_digest(form.get("token", "").encode(), self.owner.token.encode()):
            raise HttpError(
                403, "missing or wrong console token: reload the console page and submit its form again"
            )
        return form

    # ---- GET ----------------------------------------------------------------------------------------------
    def _get(self, path: str) -> str:
        sources, token = self.owner.sources, self.owner.token
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        if path == "/":
            repos = sources.repos()
            data = {
                "projects": sources.projects(),
                "repos": [(r, sources.pipelines(r, limit=5, detailed=True)) for r in repos],
                "executions": sources.executions(),
                "packages": sources.packages(),
                "endpoints": sources.endpoints(),
                "notifications": sources.notifications(),
            }
            return pages.overview(data, token)
        if path == "/notifications":
            return pages.notifications_page(sources.notifications())
        if path == "/sagemaker/executions":
            execution, steps = sources.execution(self._required(query, "arn"))
            metrics = {}
            for step in steps:
                arn = step.get("Metadata", {}).get("RegisterModel", {}).get("Arn")
                if arn:
                    metrics[arn] = sources.package(arn)["Metrics"]
            return pages.execution_page(execution, steps, metrics)
        if path == "/sagemaker/packages":
            package = sources.package(self._required(query, "arn"))
            return pages.package_page(package, token, gitlab_url=sources.gitlab().url)
        if match := _ENDPOINT.match(path):
            return pages.endpoint_page(sources.endpoint(match["name"]), token)
        if match := _PIPELINE.match(path):
            repo = sources.repo(match["path"])
            pipeline, jobs = sources.pipeline(repo, int(match["id"]))
            return pages.pipeline_page(repo.path_with_namespace, pipeline, jobs)
        if match := _JOB.match(path):
            repo = sources.repo(match["path"])
            job, log = sources.job(repo, int(match["id"]))
            return pages.job_page(repo.path_with_namespace, job, log)
        if match := _REPO.match(path):
            repo = sources.repo(match["path"])
            return pages.repo_page(repo, sources.pipelines(repo, limit=20, detailed=True))
        raise HttpError(404, f"no console page {path}; start from /")

    @staticmethod
    def _required(query: dict[str, str], name: str) -> str:
        value = query.get(name, "")
        if not value:
            raise BadRequestError(f"missing query parameter {name!r}")
        return value

    # ---- POST ---------------------------------------------------------------------------------------------
    def _post(self, path: str) -> None:
        form = self._form()
        sources, token = self.owner.sources, self.owner.token
        if path == "/sagemaker/packages/approval":
            arn = form.get("arn", "")
            if not arn:
                raise BadRequestError("missing form field 'arn' (the model package ARN)")
            sources.set_approval(arn, form.get("status", ""), form.get("description", ""))
            # Post/Redirect/Get: reloading the package page never repeats the approval.
            location = "/sagemaker/packages?arn=" + quote(arn, safe="")
            self._send(
                303,
                pages.page("Updated", f'<p><a href="{location}">the package</a></p>', False),
                location=location,
            )
            return
        match = _INVOKE.match(path)
        assert match is not None  # only POST routes reach here
        endpoint = sources.endpoint(match["name"])
        body = form.get("body", "")
        result = sources.invoke(match["name"], body)
        self._send(200, pages.endpoint_page(endpoint, token, result=result, body=body))


__all__ = ["HOST", "Console"]
