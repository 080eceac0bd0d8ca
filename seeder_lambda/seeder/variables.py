"""Which CI/CD variables a repo should have, with which flags, and what must change to get there."""

from __future__ import annotations

import re
from collections.abc import Mapping, Set
from dataclasses import dataclass

# GitLab masks a value only if it is one line of at least 8 characters from the Base64 alphabet plus
# "@", ":", ".", "~", "-" and "_" (ARNs qualify); anything else is refused with a 400. GitLab's rule,
# app/models/concerns/ci/maskable.rb (gitlab-org/gitlab), is REGEX = %r{\A[a-zA-Z0-9_+=/@:.~-]{8,}\z}
# (docs: https://docs.gitlab.com/ci/variables/#mask-a-cicd-variable). Ruby's \A...\z anchor the whole
# string, so can_mask uses re.fullmatch: Python's "^...$" would accept a trailing newline GitLab refuses.
# For raw variables GitLab accepts more (MASK_AND_RAW_REGEX \A\S{8,}\z); the stricter rule is kept so a
# value we judge maskable is maskable either way.
_MASKABLE = re.compile(r"[A-Za-z0-9+/=@:.~_-]{8,}")
# Names whose values are masked (README contract: role ARNs; the rest is defensive).
_MASK_NAME = re.compile(r"(ROLE_ARN|TOKEN|SECRET|PASSWORD)$")


@dataclass(frozen=True)
class Variable:
    key: str
    value: str
    masked: bool
    protected: bool = True
    # raw: GitLab must not expand "$" in our values (they are literal ARNs, URLs and names).
    raw: bool = True


@dataclass(frozen=True)
class VariableChange:
    action: str  # "create" | "update" | "delete"
    key: str
    variable: Variable | None = None


def can_mask(value: str) -> bool:
    return _MASKABLE.fullmatch(value) is not None


def desired_variables(values: Mapping[str, str]) -> dict[str, Variable]:
    """All variables protected (only the protected main branch runs with AWS roles); role ARNs masked."""
    return {
        key: Variable(key=key, value=value, masked=bool(_MASK_NAME.search(key)) and can_mask(value))
        for key, value in values.items()
    }


def plan_changes(
    current: Mapping[str, Variable], desired: Mapping[str, Variable], previously_managed: Set[str]
) -> list[VariableChange]:
    """Changes that turn ``current`` into ``desired``.

    Only variables the seeder set before (``previously_managed``) are ever deleted: variables people
    added by hand stay.
    """
    changes: list[VariableChange] = []
    for key in sorted(desired):
        want = desired[key]
        have = current.get(key)
        if have is None:
            changes.append(VariableChange("create", key, want))
        elif (have.value, have.masked, have.protected, have.raw) != (
            want.value,
            want.masked,
            want.protected,
            want.raw,
        ):
            changes.append(VariableChange("update", key, want))
    for key in sorted(previously_managed):
        if key not in desired and key in current:
            changes.append(VariableChange("delete", key))
    return changes
