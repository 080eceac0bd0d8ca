"""The last-resort answer: FAILED shortly before Lambda would kill an invocation whose call hangs."""

from __future__ import annotations

import threading
from collections.abc import Callable

from seeder.deadline import Deadline


def start(deadline: Deadline, guard_seconds: float, answer: Callable[[], None]) -> threading.Timer:
    """Call ``answer`` ``guard_seconds`` before the hard deadline unless cancelled first.

    Cooperative deadline checks normally stop the work earlier, with cleanup; this covers a single call
    that hangs where no check can run.
    """
    timer = threading.Timer(max(0.0, deadline.hard_remaining() - guard_seconds), answer)
    timer.daemon = True
    timer.start()
    return timer
