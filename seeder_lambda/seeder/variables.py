"""Which CI/CD variables a repo should have, with which flags, and what must change to get there."""

from __future__ import annotations

import re
from collections.abc import Mapping, Set
from dataclasses import dataclass

# GitLab masks a value only if it is one line of at least 8 characters from the Base64 alphabet plus
# "@", ":", ".", "~", "-" and "_" (ARNs qualify). Anything else would be rejected with a 400.
_MASKABLE = re.compile(r"^[A-Za-z0-9+/=@:.~_-]{8,}$")
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
    return bool(_MASKABLE.match(value))


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
