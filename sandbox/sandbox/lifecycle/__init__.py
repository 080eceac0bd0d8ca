"""The lifecycle a team lives through, driven against the local cloud with the product's real code.

Stages (each a function in `stages`; the first failure skips the rest, the report says why):
 1. package              scripts/package (unchanged) into the sandbox's dist/
 2. publish              scripts/publish (unchanged) against the local AWS
 3. create-project       the project stack, created as Studio would (SageMakerProjectName/Id); the seeder
                         creates both repositories in GitLab
 4. build                the build repo's first pipeline (gitlab-ci-local) runs the SageMaker pipeline
                         locally; a model is registered PendingManualApproval
 5. notification        the "awaits approval" message reaches a subscriber of the project's SNS topic
 6. staging              approve → EventBridge → trigger Lambda → deploy pipeline: staging stack,
                         smoke test, the promotion instructions; the sandbox invokes the endpoint itself too
 7. production           a main-branch job's token is refused by the prod role; a Maintainer creates the
                         tag test-staging printed (python-gitlab) → the tag's pipeline deploys and tests prod
 8. rollback             a second model (retrained since stage 6) is approved (staging), then rejected →
                         the trigger rolls staging back to the first one
 9. delete-project       delete the project stack → repos per policy, deploy stacks and endpoints gone

Modules: `context` (the project, facts, waiting), `actions` (what people and the platform do), `observe`
(what is read), `checks` (expectations: raise StageError), `trust` (the prod role's refusal of a main
token), `stages` (act, wait, check, facts), `runner` (stages into a Report).
"""

from __future__ import annotations

from sandbox.lifecycle.context import ROOT, Context, StageError, wait_for
from sandbox.lifecycle.observe import sample_rows
from sandbox.lifecycle.runner import run
from sandbox.lifecycle.stages import STAGES

__all__ = ["ROOT", "STAGES", "Context", "StageError", "run", "sample_rows", "wait_for"]
