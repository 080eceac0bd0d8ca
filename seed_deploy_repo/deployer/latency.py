"""Latency percentiles for the smoke test, by linear interpolation between closest ranks.

This is the "inclusive" definition (NumPy's default ``linear`` method, ``statistics.quantiles(...,
method="inclusive")``): for sorted values ``v`` of length ``n``, percentile ``p`` is read at rank
``(n - 1) * p / 100``, interpolating between the two neighbouring values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], p: float) -> float:
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be within 0..100, got {p}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def percentiles(values: Sequence[float], names: Sequence[str]) -> dict[str, float]:
    """``names`` like ``("p50", "p95", "p99")``."""
    return {name: percentile(values, float(name.removeprefix("p"))) for name in names}
