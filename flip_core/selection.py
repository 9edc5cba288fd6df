"""Best-of-N selection, the accuracy rules, and bootstrap confidence intervals.

RewardBench 2's rule is strict: an item is correct only when the chosen candidate scores
strictly above every rejected one, so a tie at the top counts as wrong. Ties are common with
1-10 ratings and with F1 = 0, so the tie-aware credit (1/k when the chosen shares the top with
k-1 others, the expected accuracy of a random tie-break) is reported beside it.

A candidate without a score (its judgement failed to parse) ranks below every scored candidate:
``None`` is treated as minus infinity.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from flip_core.errors import FlipConfigError

Score = float | None


def _ranked(scores: Sequence[Score]) -> list[float]:
    if not scores:
        raise FlipConfigError("best-of-N needs at least one candidate score")
    return [-math.inf if s is None or math.isnan(s) else float(s) for s in scores]


def top_indices(scores: Sequence[Score]) -> list[int]:
    """Indices of every candidate that shares the highest score."""
    ranked = _ranked(scores)
    best = max(ranked)
    return [i for i, s in enumerate(ranked) if s == best]


def is_strictly_correct(scores: Sequence[Score], gold_index: int) -> bool:
    """RewardBench 2's best-of-N rule: the gold candidate alone holds the top score."""
    return top_indices(scores) == [gold_index]


def tie_aware_credit(scores: Sequence[Score], gold_index: int) -> float:
    """1/k when the gold candidate is among k candidates tied at the top, else 0."""
    top = top_indices(scores)
    return 1.0 / len(top) if gold_index in top else 0.0


def pick_best(scores: Sequence[Score], tie_break: str = "first", seed: int = 0) -> int:
    """The index a reranker picks: the top score, ties broken by ``tie_break``.

    ``first`` takes the lowest index (deterministic, but favours early positions);
    ``random`` draws among the tied candidates with a generator seeded by ``seed``.
    """
    top = top_indices(scores)
    if tie_break == "first":
        return top[0]
    if tie_break == "random":
        return random.Random(seed).choice(top)
    raise FlipConfigError(f"unknown tie_break {tie_break!r}; choose 'first' or 'random'")


@dataclass(frozen=True)
class Interval:
    """A point estimate with a percentile-bootstrap confidence interval over items."""

    value: float
    low: float
    high: float
    n: int

    def format(self, percent: bool = True, digits: int = 1) -> str:
        scale = 100.0 if percent else 1.0
        return (
            f"{self.value * scale:.{digits}f} "
            f"[{self.low * scale:.{digits}f}, {self.high * scale:.{digits}f}]"
        )


def bootstrap_interval(
    values: Sequence[float],
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> Interval:
    """Mean of per-item values with a percentile bootstrap interval (items resampled).

    Custom lm-eval aggregations report no standard error, so every accuracy in this project
    carries one of these. A single item gives a degenerate interval at its value.
    """
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        raise FlipConfigError("cannot compute an interval over zero items")
    if not 0 < confidence < 1:
        raise FlipConfigError(f"confidence must be in (0, 1), got {confidence}")
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, data.size, size=(resamples, data.size))].mean(axis=1)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return Interval(float(data.mean()), float(low), float(high), int(data.size))


def binary_bootstrap_interval(
    successes: int,
    n: int,
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> Interval:
    """:func:`bootstrap_interval` of ``n`` 0/1 values of which ``successes`` are 1, drawn from
    its exact sampling distribution instead of by resampling items.

    Resampling n items with replacement from 0/1 values yields Binomial(n, successes/n) ones,
    so drawing those counts gives the same percentile bootstrap in O(resamples) instead of
    O(resamples x n): the difference between a chart that waits on thousands of resampled
    items per bucket and one that does not. (The random stream differs from
    :func:`bootstrap_interval`'s, so the two agree in distribution, not digit for digit.)
    """
    return mean_rate_interval([(successes, n)], confidence, resamples, seed)


def mean_rate_interval(
    counts: Sequence[tuple[int, int]],
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> Interval:
    """The plain mean of several groups' 0/1 rates (``counts``: (successes, n) per group), with
    a stratified percentile bootstrap: items are resampled within each group, as the groups
    were sampled, each draw an exact binomial as in :func:`binary_bootstrap_interval` (which is
    the one-group case, digit for digit).

    RewardBench-style averages weigh each subset equally whatever its size, so the pooled
    interval does not describe them; this is their interval. ``n`` of the result counts the
    items of all groups.
    """
    if not counts:
        raise FlipConfigError("cannot compute an interval over zero groups")
    for successes, n in counts:
        if n <= 0:
            raise FlipConfigError("cannot compute an interval over zero items")
        if not 0 <= successes <= n:
            raise FlipConfigError(f"successes must be in [0, {n}], got {successes}")
    if not 0 < confidence < 1:
        raise FlipConfigError(f"confidence must be in (0, 1), got {confidence}")
    rng = np.random.default_rng(seed)
    means = np.zeros(resamples)
    for successes, n in counts:
        means += rng.binomial(n, successes / n, size=resamples) / n
    means /= len(counts)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    value = sum(successes / n for successes, n in counts) / len(counts)
    return Interval(value, float(low), float(high), sum(n for _, n in counts))


@dataclass(frozen=True)
class BestOfNAccuracy:
    """Strict and tie-aware best-of-N accuracy over a set of items, with intervals."""

    strict: Interval
    tie_aware: Interval


def best_of_n_accuracy(
    item_scores: Sequence[Sequence[Score]],
    gold_indices: Sequence[int],
    confidence: float = 0.95,
    seed: int = 0,
) -> BestOfNAccuracy:
    """Accuracy of a scorer over items, each given as its candidates' scores and gold index."""
    if len(item_scores) != len(gold_indices):
        raise FlipConfigError("item_scores and gold_indices must have the same length")
    strict = [
        float(is_strictly_correct(s, g)) for s, g in zip(item_scores, gold_indices, strict=True)
    ]
    tie_aware = [tie_aware_credit(s, g) for s, g in zip(item_scores, gold_indices, strict=True)]
    return BestOfNAccuracy(
        strict=bootstrap_interval(strict, confidence, seed=seed),
        tie_aware=bootstrap_interval(tie_aware, confidence, seed=seed),
    )
