"""HTML of the console's pages: plain tables, every value escaped, no scripts.

Pages without a form refresh themselves (`<meta http-equiv="refresh">`) so they follow a running lifecycle;
pages with a text field (the test-invoke form, a package's approval note) do not, so typing is never lost.
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import quote

from sandbox.console.sources import seconds

REFRESH_S = 3
STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
nav a{margin-right:1em} table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3} pre{background:#f7f7f7;border:1px solid #ddd;padding:.8em;overflow:auto;max-height:40em}
.success,.Succeeded,.Approved,.InService,.CREATE_COMPLETE{color:#1a7f37}
.failed,.Failed,.Rejected,.canceled{color:#c0362c} .running,.Executing,.pending{color:#9a6700}
form.inline{display:inline} .muted{color:#777}
"""


def e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def status(value: Any) -> str:
    return f'<span class="{e(value)}">{e(value)}</span>'


def duration(value: Any) -> str:
    return "" if value is None else f"{float(value):.1f} s"


def table(headers: list[str], rows: list[list[str]], empty: str) -> str:
    if not rows:
        return f'<p class="muted">{e(empty)}</p>'
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def page(title: str, body: str, refresh: bool = True) -> str:
    meta = f'<meta http-equiv="refresh" content="{REFRESH_S}">' if refresh else ""
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">{meta}'
        f"<title>{e(title)} · sandbox console</title><style>{STYLE}</style></head><body>"
        '<nav><a href="/">Overview</a><a href="/notifications">Notifications</a></nav>'
        f"<h1>{e(title)}</h1>{body}</body></html>"
    )


def error_page(code: int, message: str) -> str:
    return page(f"Error {code}", f"<p>{e(message)}</p>", refresh=False)


# ---- links ------------------------------------------------------------------------------------------------
def repo_link(path: str) -> str:
    return f'<a href="/gitlab/{e(path)}">{e(path)}</a>'


def pipeline_link(path: str, pipeline_id: int) -> str:
    return f'<a href="/gitlab/{e(path)}/-/pipelines/{int(pipeline_id)}">#{int(pipeline_id)}</a>'


def job_link(path: str, job_id: int, name: str) -> str:
    return f'<a href="/gitlab/{e(path)}/-/jobs/{int(job_id)}">{e(name)}</a>'


def execution_link(arn: str, label: str) -> str:
    return f'<a href="/sagemaker/executions?arn={e(quote(arn, safe=""))}">{e(label)}</a>'


def package_link(arn: str) -> str:
    if not arn:
        return ""
    label = "/".join(arn.rsplit("/", 2)[-2:])
    return f'<a href="/sagemaker/packages?arn={e(quote(arn, safe=""))}">{e(label)}</a>'


def endpoint_link(name: str) -> str:
    return f'<a href="/sagemaker/endpoints/{e(quote(name, safe=""))}">{e(name)}</a>'


def approval_buttons(arn: str, token: str) -> str:
    return (
        '<form class="inline" method="post" action="/sagemaker/packages/approval">'
        f'<input type="hidden" name="token" value="{e(token)}"><input type="hidden" name="arn" value="{e(arn)}">'
        '<button name="status" value="Approved">Approve</button> '
        '<button name="status" value="Rejected">Reject</button></form>'
    )


def metrics_text(metrics: dict[str, float]) -> str:
    return ", ".join(f"{e(k)} {v:.4g}" for k, v in sorted(metrics.items()))


# ---- sections ---------------------------------------------------------------------------------------------
def projects_section(projects: list[dict[str, Any]]) -> str:
    rows = [
        [
            e(p["name"]),
            e(p["id"]),
            e(p["stack"]),
            status(p["status"]),
            e(p["outputs"].get("NotificationTopicArn")),
        ]
        for p in projects
    ]
    return "<h2>Projects</h2>" + table(
        ["project", "id", "stack", "status", "notification topic"], rows, "no project yet"
    )


def pipelines_rows(path: str, pipelines: list[Any]) -> list[list[str]]:
    return [
        [
            pipeline_link(path, p.id),
            e(p.ref),
            e(p.source),
            status(p.status),
            e(p.created_at),
            duration(getattr(p, "duration", None)),
        ]
        for p in pipelines
    ]


PIPELINE_HEADERS = ["pipeline", "ref", "source", "status", "created", "duration"]


def repos_section(repos: list[tuple[Any, list[Any]]]) -> str:
    parts = ["<h2>GitLab repositories</h2>"]
    if not repos:
        parts.append('<p class="muted">no repository yet (the seeder creates them with the project)</p>')
    for repo, pipelines in repos:
        path = repo.path_with_namespace
        parts.append(f"<h3>{repo_link(path)}</h3>")
        parts.append(table(PIPELINE_HEADERS, pipelines_rows(path, pipelines), "no pipeline yet"))
    return "".join(parts)


def executions_rows(executions: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [
            e(x["pipeline"]),
            execution_link(
                x["PipelineExecutionArn"],
                x.get("PipelineExecutionDisplayName") or x["PipelineExecutionArn"].rsplit("/", 1)[-1],
            ),
            status(x["PipelineExecutionStatus"]),
            e(x["StartTime"]),
        ]
        for x in executions
    ]


def packages_rows(packages: list[dict[str, Any]], token: str) -> list[list[str]]:
    return [
        [
            e(p["ModelPackageGroupName"]),
            package_link(p["ModelPackageArn"]),
            status(p["ModelApprovalStatus"]),
            metrics_text(p["Metrics"]),
            e(p.get("CreationTime")),
            approval_buttons(p["ModelPackageArn"], token),
        ]
        for p in packages
    ]


def endpoints_rows(endpoints: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [
            endpoint_link(x["EndpointName"]),
            e(x["Stage"]),
            status(x["EndpointStatus"]),
            package_link(x["ModelPackageArn"]),
        ]
        for x in endpoints
    ]


def notifications_rows(notes: list[dict[str, str]]) -> list[list[str]]:
    return [[e(n["topic"]), e(n["subject"]), f"<pre>{e(n['message'])}</pre>"] for n in notes]


def overview(data: dict[str, Any], token: str) -> str:
    body = [
        projects_section(data["projects"]),
        repos_section(data["repos"]),
        "<h2>SageMaker pipeline executions</h2>",
        table(
            ["pipeline", "execution", "status", "started"],
            executions_rows(data["executions"]),
            "no execution yet",
        ),
        "<h2>Model registry</h2>",
        table(
            ["group", "version", "status", "metrics", "created", ""],
            packages_rows(data["packages"], token),
            "no model package yet",
        ),
        "<h2>Endpoints</h2>",
        table(
            ["endpoint", "stage", "status", "model package"],
            endpoints_rows(data["endpoints"]),
            "no endpoint yet",
        ),
        "<h2>Notifications</h2>",
        table(
            ["topic", "subject", "message"],
            notifications_rows(data["notifications"][-5:]),
            "none received yet",
        ),
    ]
    return page("Sandbox console", "".join(body))


# ---- detail pages -----------------------------------------------------------------------------------------
def repo_page(repo: Any, pipelines: list[Any]) -> str:
    path = repo.path_with_namespace
    return page(path, table(PIPELINE_HEADERS, pipelines_rows(path, pipelines), "no pipeline yet"))


def pipeline_page(path: str, pipeline: Any, jobs: list[Any]) -> str:
    rows = [
        [job_link(path, j.id, j.name), e(j.stage), status(j.status), duration(getattr(j, "duration", None))]
        for j in jobs
    ]
    head = (
        f"<p>{repo_link(path)} · ref {e(pipeline.ref)} · source {e(pipeline.source)} · "
        f"status {status(pipeline.status)} · duration {duration(getattr(pipeline, 'duration', None))}</p>"
    )
    return page(
        f"Pipeline #{pipeline.id}", head + table(["job", "stage", "status", "duration"], rows, "no job yet")
    )


def job_page(path: str, job: Any, log: str) -> str:
    head = (
        f"<p>{repo_link(path)} · pipeline {pipeline_link(path, job.pipeline['id'])} · stage {e(job.stage)} · "
        f"status {status(job.status)} · duration {duration(getattr(job, 'duration', None))}</p>"
    )
    running = job.status in ("created", "pending", "running")
    return page(f"Job {job.name}", head + f"<pre>{e(log) or '(no output yet)'}</pre>", refresh=running)


def execution_page(
    execution: dict[str, Any], steps: list[dict[str, Any]], metrics: dict[str, dict[str, float]]
) -> str:
    rows = []
    for s in steps:
        meta = s.get("Metadata", {})
        detail = ""
        if "RegisterModel" in meta:
            arn = meta["RegisterModel"]["Arn"]
            detail = package_link(arn) + " " + metrics_text(metrics.get(arn, {}))
        elif "Condition" in meta:
            detail = f"outcome {e(meta['Condition']['Outcome'])}"
        elif "Fail" in meta:
            detail = e(meta["Fail"].get("ErrorMessage"))
        rows.append(
            [
                e(s.get("StepDisplayName") or s["StepName"]),
                status(s["StepStatus"]),
                duration(seconds(s.get("StartTime"), s.get("EndTime"))),
                detail
                + (f" <span class='failed'>{e(s['FailureReason'])}</span>" if s.get("FailureReason") else ""),
            ]
        )
    head = (
        f"<p>pipeline {e(execution.get('PipelineArn', '').rsplit('/', 1)[-1])} · "
        f"status {status(execution['PipelineExecutionStatus'])} · started {e(execution.get('CreationTime'))}</p>"
    )
    title = "Execution " + str(
        execution.get("PipelineExecutionDisplayName") or execution["PipelineExecutionArn"].rsplit("/", 1)[-1]
    )
    return page(title, head + table(["step", "status", "duration", "details"], rows, "no step yet"))


def console_link(value: str, gitlab_url: str) -> str:
    """A GitLab web URL (e.g. the package's CiPipelineUrl) as a link to the console's page for it."""
    prefix = gitlab_url.rstrip("/") + "/"
    if gitlab_url and value.startswith(prefix) and "/-/" in value:
        return f'<a href="/gitlab/{e(value.removeprefix(prefix))}">{e(value)}</a>'
    return e(value)


def package_page(package: dict[str, Any], token: str, gitlab_url: str = "") -> str:
    arn = package["ModelPackageArn"]
    lineage = dict(package.get("CustomerMetadataProperties", {}))
    generated_by = package.get("MetadataProperties", {}).get("GeneratedBy")
    rows = [
        ["group", e(package["ModelPackageGroupName"])],
        ["version", e(package.get("ModelPackageVersion"))],
        ["status", status(package["ModelApprovalStatus"])],
        ["approval note", e(package.get("ApprovalDescription"))],
        ["metrics", metrics_text(package["Metrics"])],
        [
            "generated by",
            execution_link(generated_by, generated_by.rsplit("/", 1)[-1]) if generated_by else "",
        ],
        *[[e(k), console_link(str(v), gitlab_url)] for k, v in sorted(lineage.items())],
    ]
    form = (
        '<form method="post" action="/sagemaker/packages/approval">'
        f'<input type="hidden" name="token" value="{e(token)}"><input type="hidden" name="arn" value="{e(arn)}">'
        '<label>note <input name="description" size="40"></label> '
        '<button name="status" value="Approved">Approve</button> '
        '<button name="status" value="Rejected">Reject</button></form>'
    )
    return page(
        f"Model package {package.get('ModelPackageVersion')}",
        f"<p>{e(arn)}</p>" + table(["", ""], rows, "") + form,
        refresh=False,
    )


def endpoint_page(endpoint: dict[str, Any], token: str, result: str = "", body: str = "") -> str:
    name = endpoint["EndpointName"]
    rows = [
        ["stage", e(endpoint["Stage"])],
        ["status", status(endpoint["EndpointStatus"])],
        ["config", e(endpoint["EndpointConfigName"])],
        ["model package", package_link(endpoint["ModelPackageArn"])],
    ]
    form = (
        f'<h2>Test invoke</h2><form method="post" action="/sagemaker/endpoints/{e(quote(name, safe=""))}/invoke">'
        f'<input type="hidden" name="token" value="{e(token)}">'
        "<p>text/csv, one row of features per line (no target column)</p>"
        f'<textarea name="body" rows="4" cols="80">{e(body)}</textarea><br><button>Invoke</button></form>'
    )
    answer = f"<h2>Response</h2><pre>{e(result)}</pre>" if result else ""
    return page(f"Endpoint {name}", table(["", ""], rows, "") + form + answer, refresh=False)


def notifications_page(notes: list[dict[str, str]]) -> str:
    return page(
        "Notifications",
        table(["topic", "subject", "message"], notifications_rows(notes), "none received yet"),
    )
