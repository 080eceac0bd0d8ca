"""A wall-clock budget derived from the Lambda context, shared by every wait and retry."""

from __future__ import annotations

import time
from collections.abc import Callable

from seeder.errors import DeadlineExceededError


class Deadline:
    """Time left before we must stop working and answer CloudFormation.

    ``reserve`` seconds are kept back for the work that must happen after a failure (cleanup, the
    response PUT), so ``remaining()`` reaches zero while there is still time to do that.
    """

    def __init__(self, seconds_left: float, reserve: float, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._hard_end = clock() + seconds_left
        self._end = self._hard_end - reserve

    def remaining(self) -> float:
        """Seconds left for normal work (may be negative)."""
        return self._end - self._clock()

    def hard_remaining(self) -> float:
        """Seconds left before the Lambda itself is killed."""
        return self._hard_end - self._clock()

    def check(self, doing: str) -> None:
        """Raise :class:`DeadlineExceededError` if no time is left for normal work."""
        if self.remaining() <= 0:
            raise DeadlineExceededError(
                f"stopped before the Lambda timeout while {doing}; "
                "raise the seeder Lambda timeout or check GitLab's responsiveness, then retry"
            )

    def release_reserve(self, keep: float) -> None:
        """After a failure, give the reserve to cleanup work, keeping ``keep`` seconds to answer."""
        self._end = self._hard_end - keep
