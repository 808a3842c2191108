"""Small statistics for the benchmark: percentiles, medians with their spread."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by the nearest-rank method; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def latency_ms(values: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/max of latencies given in seconds, in milliseconds."""
    return {name: round(percentile(values, q) * 1000, 2)
            for name, q in (("p50", 50), ("p95", 95), ("p99", 99), ("max", 100))}


def spread(values: Sequence[float]) -> dict[str, float]:
    """Median, minimum and maximum of a metric over the rounds."""
    if not values:
        return {"median": 0.0, "min": 0.0, "max": 0.0}
    return {"median": round(statistics.median(values), 2), "min": round(min(values), 2),
            "max": round(max(values), 2)}
