"""Best-effort, per-container memory of event ids already acted on.

EventBridge delivers at least once, so the same event (same id) can arrive twice. Correctness does not
depend on this memory: a duplicate starts a second pipeline for the same package, which the deploy repo's
per-stage ``resource_group`` serialises and which redeploys what is already deployed. The memory only saves
that redundant pipeline when the duplicate reaches the same warm container. Ids are remembered only after
success, so a retry of a failed event is never skipped.

SageMaker may also emit several events (different ids) for one state change. They are deliberately not
merged by content: two genuine changes (Approved -> Rejected -> Approved) can look alike within the
timestamps' one-second precision, and skipping one of them would leave the wrong model deployed.
"""

from __future__ import annotations

from collections import OrderedDict

MAX_REMEMBERED = 512


class SeenEvents:
    def __init__(self, capacity: int = MAX_REMEMBERED) -> None:
        self._capacity = capacity
        self._seen: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._seen

    def remember(self, event_id: str) -> None:
        self._seen[event_id] = None
        self._seen.move_to_end(event_id)
        while len(self._seen) > self._capacity:
            self._seen.popitem(last=False)
