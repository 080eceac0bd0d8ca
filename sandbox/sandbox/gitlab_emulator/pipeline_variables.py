"""Who may set pipeline variables: the project setting ``ci_pipeline_variables_minimum_override_role``.

Sources:
- https://docs.gitlab.com/ci/variables/#restrict-pipeline-variables: values ``no_one_allowed``, ``owner``,
  ``maintainer``, ``developer``; a user below the role who passes pipeline variables gets "Insufficient
  permissions to set pipeline variables"; changing the setting needs Maintainer, and Owner when it is
  ``owner`` or ``no_one_allowed`` (or is being set to ``owner``);
- gitlabhq ``app/services/projects/update_service.rb`` (``validate_restrict_user_defined_variables_change``)
  and ``lib/api/projects.rb`` (``render_api_error!(result[:message], 400)``): those refusals are 400
  ``{"message": "Changing the ci_pipeline_variables_minimum_override_role to the owner role is not allowed"}``
  and ``{"message": "Changing the restrict_user_defined_variables or
  ci_pipeline_variables_minimum_override_role is not allowed"}``; a value outside the four is Grape's 400
  ``{"error": "ci_pipeline_variables_minimum_override_role does not have a valid value"}``;
- ``app/models/project_ci_cd_setting.rb`` (``override_pipeline_variables_allowed?``): ``no_one_allowed``
  refuses everyone, otherwise the user's role must reach the setting's;
- the defaults for new projects: GitLab.com gives new projects in new namespaces ``no_one_allowed`` since
  17.7 (https://gitlab.com/gitlab-org/gitlab/-/issues/502382); self-managed and Dedicated keep the
  backwards-compatible ``developer`` (https://gitlab.com/gitlab-org/gitlab/-/issues/515794: "On
  self-managed/Dedicated, new projects will continue getting ... ``:developer``"; the namespace setting
  ``pipeline_variables_default_role`` defaults to developer, MR 171424). The variables page calls
  ``maintainer`` the "default when not specified" — the column's own default, not what a new project gets;
- the refusal on pipeline creation: ``Ci::PipelineTriggerService`` answers the pipeline's errors as 400, so
  ``{"message": {"base": ["Insufficient permissions to set pipeline variables"]}}``, for
  ``POST /projects/:id/pipeline`` with variables and for ``POST /projects/:id/trigger/pipeline``, where the
  trigger's owner is the user. A trigger always passes ``TRIGGER_PAYLOAD`` (the request as a file variable,
  ``PipelineTriggerService#payload_variable``), which counts as a pipeline variable
  (https://gitlab.com/gitlab-org/gitlab/-/issues/557381): a trigger by an owner who may not set pipeline
  variables is refused even without ``variables``. Newer releases exempt a lone ``TRIGGER_PAYLOAD`` for
  owners with some role; the emulator keeps the stricter answer (it never accepts what GitLab refuses).
Not emulated: the ``TRIGGER_PAYLOAD`` variable itself (jobs do not get it), the group-level
``pipeline_variables_default_role`` API, pipeline schedules and manual-job variables.
"""

from __future__ import annotations

from .errors import ApiError, bad_request
from .models import DEVELOPER, MAINTAINER, OWNER, Project

SETTING = "ci_pipeline_variables_minimum_override_role"
NO_ONE_ALLOWED = "no_one_allowed"
# role -> the lowest access level that may set pipeline variables (None: nobody)
ROLES: dict[str, int | None] = {
    NO_ONE_ALLOWED: None,
    "developer": DEVELOPER,
    "maintainer": MAINTAINER,
    "owner": OWNER,
}
GITLAB_COM = "gitlab.com"
SELF_MANAGED = "self-managed"
DEFAULT_ROLE = {GITLAB_COM: NO_ONE_ALLOWED, SELF_MANAGED: "developer"}
INSUFFICIENT = {"message": {"base": ["Insufficient permissions to set pipeline variables"]}}


def default_role(flavor: str) -> str:
    if flavor not in DEFAULT_ROLE:
        raise ValueError(f"flavor must be {GITLAB_COM!r} or {SELF_MANAGED!r}, not {flavor!r}")
    return DEFAULT_ROLE[flavor]


def role_of(project: Project) -> str:
    return str(project.settings[SETTING])


def check_value(value: object) -> str:
    if value not in ROLES:
        raise bad_request(f"{SETTING} does not have a valid value")
    return str(value)


def may_set_pipeline_variables(project: Project, user_level: int) -> bool:
    needed = ROLES[role_of(project)]
    return needed is not None and user_level >= needed


def refuse_unless_allowed(project: Project, user_level: int) -> None:
    if not may_set_pipeline_variables(project, user_level):
        raise ApiError(400, dict(INSUFFICIENT))


def check_change(project: Project, new_value: str, user_level: int) -> None:
    """Projects::UpdateService#validate_restrict_user_defined_variables_change (the caller is Maintainer+)."""
    if new_value == role_of(project):
        return
    if new_value == "owner" and user_level < OWNER:
        raise ApiError(400, {"message": f"Changing the {SETTING} to the owner role is not allowed"})
    if role_of(project) in ("owner", NO_ONE_ALLOWED) and user_level < OWNER:
        raise ApiError(
            400,
            {"message": f"Changing the restrict_user_defined_variables or {SETTING} is not allowed"},
        )
