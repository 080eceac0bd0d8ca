"""Reversible attribute patches on moto's classes: every extension hooks moto, none forks it.

moto's backends live in the process that runs the server, so the sandbox extends behaviour by wrapping a few
methods of moto's model/response classes. `Patches.restore()` puts every original back, which keeps moto usable
by other code in the same process (e.g. tests using `mock_aws`) once the local AWS has stopped.
"""

from __future__ import annotations

from typing import Any


class Patches:
    """A stack of (owner, attribute, original) triples, restored in reverse order."""

    def __init__(self) -> None:
        self._saved: list[tuple[Any, str, Any, bool]] = []

    def set(self, owner: Any, name: str, value: Any) -> None:
        had = name in vars(owner)
        self._saved.append((owner, name, vars(owner).get(name), had))
        setattr(owner, name, value)

    def restore(self) -> None:
        while self._saved:
            owner, name, original, had = self._saved.pop()
            if had:
                setattr(owner, name, original)
            else:
                delattr(owner, name)
