"""The sandbox lifecycle spells the contracts' names (issue 13), checked without running anything."""

from __future__ import annotations

from contracts import names
from sandbox import lifecycle
from sandbox.cloud import GROUP_PATH


def test_stack_and_repo_names_are_the_contracts() -> None:
    ctx = lifecycle.Context(cloud=None, dataset=None, log=print)  # type: ignore[arg-type]
    for stage in names.STAGES:
        assert ctx.deploy_stack(stage) == names.deploy_stack_name(ctx.name, ctx.project_id, stage)
    for kind in names.REPO_KINDS:
        assert ctx.repo_path(kind) == names.repo_full_path(GROUP_PATH, ctx.name, ctx.project_id, kind)
    assert names.PROJECT_ID_PATTERN.fullmatch(ctx.project_id)
