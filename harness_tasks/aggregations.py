"""Aggregations lm-eval cannot give us: percentile-bootstrap 95% interval bounds over items.

lm-eval reports no standard error for custom aggregations, so each task also emits
``acc_ci_low`` and ``acc_ci_high`` (the per-item strict accuracy again) aggregated by these.
"""

from __future__ import annotations

from collections.abc import Sequence

from flip_core.selection import bootstrap_interval


def ci95_low(values: Sequence[float]) -> float:
    return bootstrap_interval(values).low


def ci95_high(values: Sequence[float]) -> float:
    return bootstrap_interval(values).high
