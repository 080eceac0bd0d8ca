"""CI jobs see their commit's real message (CI_COMMIT_MESSAGE, CI_COMMIT_TITLE), not gitlab-ci-local's placeholder.

gitlab-ci-local fills both with "Commit Title" / "More commit text" when it is not told otherwise; a job that
acts on the message (the deploy repo's promotion instructions look for [skip ci]) would then behave unlike
on GitLab (https://docs.gitlab.com/ci/variables/predefined_variables/: the full message and its first line).
"""

from __future__ import annotations

from typing import Any

CI_FILE = (
    'show:\n  script:\n    - echo "title=[$CI_COMMIT_TITLE]"\n    - echo "message=[$CI_COMMIT_MESSAGE]"\n'
)


def test_jobs_see_the_commit_message(ci_gitlab: Any) -> None:
    project, pipeline = ci_gitlab.push_pipeline(CI_FILE, "Add the CI file\n\nWith a body line.")
    job = next(iter(pipeline.jobs.list(get_all=True)))
    trace = project.jobs.get(job.id).trace().decode()
    assert "title=[Add the CI file]" in trace
    assert "message=[Add the CI file" in trace
    assert "With a body line." in trace
    assert "Commit Title" not in trace
