"""One invocation of the ``Custom::GitLabRepositories`` resource: check the event, do the work, answer once.

Which events are acted on: :mod:`seeder.event_guard`. The work: :mod:`seeder.create`, :mod:`seeder.update`,
:mod:`seeder.delete`. The answer: :mod:`seeder.cfn_response`, with :mod:`seeder.watchdog` as last resort.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

from seeder import cfn_response, environment, event_guard, logs, names, redact, watchdog
from seeder.clients import Aws
from seeder.create import create
from seeder.deadline import Deadline
from seeder.delete import delete
from seeder.errors import SeederError
from seeder.run import Outcome, Run
from seeder.settings import Settings
from seeder.update import update

_HANDLERS: dict[str, Callable[[Run], Outcome]] = {"Create": create, "Update": update, "Delete": delete}


def handle(
    event: Mapping[str, Any],
    context: Any,
    settings: Settings | None = None,
    aws: Aws | None = None,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Do the requested work and always answer CloudFormation, before the Lambda times out.

    An event whose ResponseURL is not CloudFormation's gets no answer at all (only a log line); one for
    another stack or project is answered FAILED and nothing else is done.
    """
    logs.setup()
    redact.forget_all()
    settings = settings or Settings()
    env_vars = os.environ if environ is None else environ
    request = str(event.get("RequestType", ""))
    stack = str(event.get("StackId", ""))[:300]
    logs.log(
        "request",
        type=request,
        stack=stack,
        logical_id=event.get("LogicalResourceId"),
        physical_id=event.get("PhysicalResourceId"),
    )
    url_problem = event_guard.response_url_problem(
        event.get("ResponseURL"), env_vars.get(environment.AWS_REGION, "")
    )
    if url_problem is not None:
        # Never PUT anywhere else: the answer would tell a stranger's server what the seeder knows.
        logs.log("event.refused", level=logging.ERROR, why=url_problem, stack=stack)
        return
    responder = cfn_response.Responder(event)
    fallback_id = str(event.get("PhysicalResourceId") or names.INVALID_PHYSICAL_ID)
    try:
        env = environment.read(env_vars)
        event_guard.check_identity(event, env)
    except SeederError as exc:
        logs.log("event.refused", level=logging.ERROR, why=str(exc), stack=stack)
        _answer(responder, cfn_response.FAILED, str(exc), fallback_id, {})
        return
    deadline = Deadline(context.get_remaining_time_in_millis() / 1000.0, reserve=settings.reserve_seconds)
    run = Run(event, env, settings, deadline, aws or Aws(), failure_physical_id=fallback_id)

    def last_resort() -> None:
        responder.send(
            cfn_response.FAILED,
            f"seeder ran out of time while {run.stage}; raise the seeder Lambda timeout or check GitLab, then retry",
            run.failure_physical_id,
        )

    timer = watchdog.start(deadline, settings.guard_seconds, last_resort)
    try:
        status, reason, physical_id, data = _work(request, run, context)
        _answer(responder, status, reason, physical_id, data)
    finally:
        timer.cancel()


def _work(request: str, run: Run, context: Any) -> tuple[str, str, str, Mapping[str, str]]:
    """The answer to send: SUCCESS with the outcome, or FAILED with an actionable reason."""
    try:
        handler = _HANDLERS.get(request)
        if handler is None:
            raise SeederError(f"unknown RequestType '{request[:32]}'")
        outcome = handler(run)
        return cfn_response.SUCCESS, outcome.reason, outcome.physical_id, outcome.data
    except SeederError as exc:
        logs.log("failed", level=logging.ERROR, stage=run.stage, reason=str(exc))
        return cfn_response.FAILED, str(exc), run.failure_physical_id, {}
    except Exception as exc:
        logging.getLogger("seeder").exception("unexpected error while %s", run.stage)
        stream = getattr(context, "log_stream_name", "") or "the seeder's CloudWatch logs"
        reason = f"unexpected error while {run.stage} ({type(exc).__name__}: {str(exc)[:200]}); see {stream}"
        return cfn_response.FAILED, reason, run.failure_physical_id, {}


def _answer(
    responder: cfn_response.Responder, status: str, reason: str, physical_id: str, data: Mapping[str, str]
) -> None:
    try:
        responder.send(status, reason, physical_id, data)
    except Exception:
        logging.getLogger("seeder").exception("could not send the response to CloudFormation")
    if responder.sent_status is None:
        # CloudFormation never heard from us: fail the invocation so that Lambda retries it (every
        # request is idempotent), instead of leaving the stack waiting for an hour.
        raise RuntimeError("could not deliver the response to CloudFormation")
