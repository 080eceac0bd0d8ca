"""The GitLab emulator's PipelineRunner: runs a pipeline's `.gitlab-ci.yml` with gitlab-ci-local.

This module is the process control and the ordering; what a GitLab runner (shell executor) does, per
pipeline the emulator creates:
- its workspace (checkout, CI/CD variables in GitLab's precedence, the gitlab-ci-local command line):
  `ci_workspace.py`; its ID tokens: `ci_tokens.py`; what the listing and preview say about its jobs
  (needs, manual jobs, `id_tokens` audiences, masking): `ci_plan.py`;
- runner-level environment (like a runner's `environment = [...]` setting): AWS_ENDPOINT_URL of the local
  AWS, a PATH whose `python`/`pip` are an isolated virtualenv layered on the project's pinned one (what the
  job image provides), pip/uv caches; no AWS credentials (jobs authenticate with OIDC);
- jobs: `gitlab-ci-local --list-json` (rules evaluated with the pipeline's variables) creates the jobs in the
  emulator; every active non-manual job that does not wait on a manual one runs with
  `--force-shell-executor --shell-isolation`; statuses and traces (masked variables replaced by `[MASKED]`)
  go back into the emulator as they happen; the runs of one project are serialised;
- a played manual job (`POST /projects/:id/jobs/:id/play`) runs in the same checkout, so artifacts and
  dotenv reports of earlier jobs are there, together with the created jobs that `needs` it.
Not emulated: Docker images (jobs run on this host), services, caches between pipelines (`cache:` is local
to gitlab-ci-local's state dir), `resource_group` across projects (runs of one project are serialised, which
is stricter), per-job `id_tokens` audiences that differ for the same variable name (the first one wins),
retries, timeouts, environments/deployments records.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import threading
from pathlib import Path
from typing import Any

from sandbox import oidc
from sandbox.ci_plan import (
    ACTIVE_WHEN,
    JobSpec,
    manual_allows_failure,
    mask,
    needs_of,
    parse_expanded,
    waits_on_manual,
)
from sandbox.ci_tokens import mint_id_tokens
from sandbox.ci_workspace import PipelineRun, command, job_env, prepare, write_variables
from sandbox.gitlab_emulator.resource_groups import ensure_resource_group


class GitlabCiLocalRunner:
    """Implements sandbox.gitlab_emulator.runner.PipelineRunner with gitlab-ci-local."""

    def __init__(
        self,
        workdir: Path,
        runner_env: dict[str, str],
        signer: oidc.Signer | None = None,
        group_variables: dict[str, str] | None = None,
    ) -> None:
        self.workdir = workdir
        self.runner_env = runner_env
        # GitLab group-level CI/CD variables (the emulator has no group variables API): below project
        # variables, above .gitlab-ci.yml variables, as in GitLab.
        self.group_variables = dict(group_variables or {})
        self.signer = signer or oidc.Signer()
        self.state: Any = None  # EmulatorState, attached once the emulator exists
        self.server_url = ""
        self.runs: dict[int, PipelineRun] = {}
        self.errors: list[str] = []
        self._threads: list[threading.Thread] = []
        self._project_locks: dict[int, threading.Lock] = {}
        self._lock = threading.Lock()
        self._processes: set[subprocess.Popen[str]] = set()

    def attach(self, state: Any, server_url: str) -> None:
        self.state = state
        self.server_url = server_url

    # ---- PipelineRunner protocol ---------------------------------------------------------------
    def start(self, project: Any, pipeline: Any) -> None:
        self._spawn(f"ci-pipeline-{pipeline.id}", lambda: self._guarded(project, pipeline, None))

    def play(self, project: Any, pipeline: Any, job: Any) -> None:
        self._spawn(f"ci-play-{job.id}", lambda: self._guarded(project, pipeline, job))

    # ---- lifecycle ------------------------------------------------------------------------------
    def busy(self) -> bool:
        with self._lock:
            return any(t.is_alive() for t in self._threads)

    def wait_idle(self, timeout_s: float) -> bool:
        """Block until no pipeline thread runs (True) or `timeout_s` passed (False), by joining them."""
        import time

        deadline = time.monotonic() + timeout_s
        while True:
            with self._lock:
                alive = [t for t in self._threads if t.is_alive() and t is not threading.current_thread()]
            if not alive:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            alive[0].join(remaining)  # a finished thread may have spawned none or more: look again

    def stop(self) -> None:
        with self._lock:
            processes = list(self._processes)
        for process in processes:
            # gitlab-ci-local runs each job in its own shell: end the whole process group.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        self.wait_idle(30)
        for run in list(self.runs.values()):
            self._discard(run)

    def _spawn(self, name: str, target: Any) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()

    def _project_lock(self, project_id: int) -> threading.Lock:
        with self._lock:
            return self._project_locks.setdefault(project_id, threading.Lock())

    def _guarded(self, project: Any, pipeline: Any, job: Any) -> None:
        try:
            with self._project_lock(project.id):
                if job is None:
                    self._run_pipeline(project, pipeline)
                else:
                    self._run_manual(project, pipeline, job)
        except Exception as exc:  # a runner failure must still end the pipeline, visibly
            import traceback

            self.errors.append(f"pipeline {pipeline.id}: {exc}\n{traceback.format_exc()}")
            self.state.update_pipeline(pipeline, "failed")
            for emulator_job in self._jobs_of(pipeline):
                if emulator_job.status in ("created", "pending", "running"):
                    self.state.append_trace(emulator_job, f"\nsandbox runner error: {exc}\n")
                    self.state.update_job(emulator_job, "failed")
            run = self.runs.get(pipeline.id)
            if run is not None:
                self._discard(run)

    def _jobs_of(self, pipeline: Any) -> list[Any]:
        return [self.state.get_job(job_id) for job_id in list(pipeline.job_ids)]

    # ---- a pipeline -----------------------------------------------------------------------------
    def _discard(self, run: PipelineRun) -> None:
        """Remove a pipeline's temp dir (checkout, job files, variables) once no job of it can run again."""
        self.runs.pop(run.pipeline.id, None)
        shutil.rmtree(run.base, ignore_errors=True)

    def _popen_capture(self, run: PipelineRun, *extra: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            command(run, *extra),
            cwd=run.checkout,
            env=job_env(self.runner_env, run),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def _run_pipeline(self, project: Any, pipeline: Any) -> None:
        run = prepare(self.state, self.server_url, self.workdir, self.group_variables, project, pipeline)
        self.runs[pipeline.id] = run
        write_variables(run, with_tokens=False)
        # Listing (which validates .gitlab-ci.yml against GitLab's schema once per pipeline, as GitLab does
        # when it creates one) and the expanded preview run side by side: each is a node start (~0.3 s).
        listing_process = self._popen_capture(run, "--list-json")
        preview_process = self._popen_capture(run, "--preview", "--no-json-schema-validation")
        listing_out, listing_err = listing_process.communicate()
        preview_out, _ = preview_process.communicate()
        if listing_process.returncode != 0:
            raise RuntimeError(
                f"gitlab-ci-local could not read .gitlab-ci.yml: {(listing_err or listing_out)[-2000:]}"
            )
        listed = json.loads(listing_out[listing_out.index("[") :])
        definitions = parse_expanded(
            preview_out[preview_out.find("---") :] if preview_process.returncode == 0 else ""
        )
        for item in listed:
            if item["when"] == "never":
                continue
            definition = definitions.get(item["name"], {})
            allow_failure = bool(item.get("allow_failure"))
            if item["when"] == "manual":
                allow_failure = manual_allows_failure(definition)
            run.specs[item["name"]] = JobSpec(
                name=item["name"],
                stage=item["stage"],
                when=item["when"],
                allow_failure=allow_failure,
                needs=needs_of(definition),
            )
        for spec_name in run.specs:
            key = definitions.get(spec_name, {}).get("resource_group")
            if key:  # GitLab creates the group with the pipeline (EnsureResourceGroups), before any job runs
                ensure_resource_group(self.state, project, str(key))
        if not run.specs:
            self.state.update_pipeline(pipeline, "skipped")
            self._discard(run)
            return
        for spec in run.specs.values():
            run.jobs[spec.name] = self.state.add_job(
                pipeline,
                name=spec.name,
                stage=spec.stage,
                status="manual" if spec.when == "manual" else "created",
                when=spec.when,
                allow_failure=spec.allow_failure,
            )
        mint_id_tokens(self.state, self.signer, self.server_url, run, definitions)
        now = [n for n, s in run.specs.items() if s.when in ACTIVE_WHEN and not waits_on_manual(n, run.specs)]
        self.state.update_pipeline(pipeline, "running")
        ok = self._execute(run, now)
        self._settle_pipeline(run, ok)

    def _run_manual(self, project: Any, pipeline: Any, job: Any) -> None:
        run = self.runs.get(pipeline.id)
        if run is None:
            raise RuntimeError(f"pipeline {pipeline.id} was not run by this sandbox; cannot play {job.name}")
        followers = [
            n
            for n, s in run.specs.items()
            if run.jobs[n].status == "created" and job.name in self._all_needs(n, run.specs)
        ]
        self.state.update_pipeline(pipeline, "running")
        ok = self._execute(run, [job.name, *followers], manual=[job.name])
        self._settle_pipeline(run, ok)

    def _all_needs(self, name: str, specs: dict[str, JobSpec]) -> set[str]:
        found: set[str] = set()
        stack = list(specs[name].needs)
        while stack:
            need = stack.pop()
            if need in found or need not in specs:
                continue
            found.add(need)
            stack.extend(specs[need].needs)
        return found

    def _execute(self, run: PipelineRun, names: list[str], manual: list[str] | None = None) -> bool:
        """Run `names` in one gitlab-ci-local invocation, streaming statuses and traces to the emulator."""
        if not names:
            return True
        for name in names:
            self.state.update_job(run.jobs[name], "pending")
        extra: list[str] = []
        for name in manual or []:
            extra += ["--manual", name]
        write_variables(run, with_tokens=True)
        try:
            return self._stream(run, names, extra)
        finally:
            write_variables(run, with_tokens=False)

    def _stream(self, run: PipelineRun, names: list[str], extra: list[str]) -> bool:
        process = subprocess.Popen(
            # The listing validated this commit's .gitlab-ci.yml already (~0.3 s a run saved).
            command(run, "--no-json-schema-validation", *extra, *names),
            cwd=run.checkout,
            env=job_env(self.runner_env, run),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        with self._lock:
            self._processes.add(process)
        by_length = sorted(names, key=len, reverse=True)
        results: dict[str, str] = {}
        summary = re.compile(r"^\s*(PASS|FAIL|WARN)\s+(\S+)")
        assert process.stdout is not None
        for raw in process.stdout:
            line = mask(raw, run.masked)
            result = summary.match(line)
            if result and result.group(2) in run.jobs:
                results[result.group(2)] = result.group(1)
                continue
            for name in by_length:
                if line.startswith(name + " "):
                    body = line[len(name) + 1 :]
                    job = run.jobs[name]
                    if body.startswith("starting "):
                        self.state.update_job(job, "running")
                    self.state.append_trace(job, body)
                    if body.startswith("finished in "):
                        # e.g. "finished in 1.3 s" or "finished in 1.3 s  FAIL 1": the job's own end.
                        self.state.update_job(job, "failed" if " FAIL " in body else "success")
                    break
        process.wait()
        with self._lock:
            self._processes.discard(process)
        all_ok = True
        for name in names:
            job = run.jobs[name]
            outcome = results.get(name)
            # The summary is authoritative; a status already set when the job ended keeps its end time.
            if outcome == "PASS":
                if job.status != "success":
                    self.state.update_job(job, "success")
            elif outcome in ("FAIL", "WARN"):
                if job.status != "failed":
                    self.state.update_job(job, "failed")
                all_ok = all_ok and (outcome == "WARN" or run.specs[name].allow_failure)
            else:
                self.state.update_job(job, "skipped" if process.returncode == 0 or results else "failed")
                if not results and process.returncode != 0:
                    self.state.append_trace(job, "gitlab-ci-local failed before running this job\n")
                    all_ok = False
        if process.returncode != 0 and not results:
            all_ok = False
        return all_ok

    def _settle_pipeline(self, run: PipelineRun, ok: bool) -> None:
        statuses = [j.status for j in run.jobs.values()]
        if not ok or "failed" in [
            run.jobs[n].status for n, s in run.specs.items() if not s.allow_failure and s.when != "manual"
        ]:
            self.state.update_pipeline(run.pipeline, "failed")
        elif any(run.jobs[n].status == "manual" and not s.allow_failure for n, s in run.specs.items()):
            self.state.update_pipeline(run.pipeline, "manual")
        elif "running" in statuses or "pending" in statuses:
            self.state.update_pipeline(run.pipeline, "running")
        else:
            self.state.update_pipeline(run.pipeline, "success")
        if run.pipeline.status in ("success", "failed") and not any(
            job.status == "manual" for job in run.jobs.values()
        ):
            self._discard(run)
