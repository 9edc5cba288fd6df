"""Statistics for two methods scored on the same items (FLIP against a judge, two models).

Two runs over the same items are paired: each item is a matched pair of verdicts, and most of
the items are easy or hard for both. Treating the two accuracies as independent samples would
count that shared difficulty twice and give intervals that are far too wide, so the comparison
works on the items where the runs differ (docs/conventions.md: FLIP vs judge comparisons carry a
paired test on the same items).

- :func:`mcnemar_exact` tests whether the runs differ: McNemar's test looks only at the
  discordant items (one run right, the other wrong), which is the right test when the same
  items are scored by both. It is the exact (binomial) form because at our sizes (LLMBar
  subsets of 46-134 pairs, RB2 domains of a few hundred items) the discordant counts are
  often a dozen or fewer, where the chi-squared approximation is poor.
- :func:`paired_difference` estimates how much they differ: the difference in accuracy with a
  paired percentile bootstrap over items (items resampled, both verdicts of an item kept
  together), using :func:`flip_core.selection.bootstrap_interval` so the seed, resample count
  and percentile conventions match every other interval in the project.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from flip_core.errors import FlipConfigError
from flip_core.selection import bootstrap_interval


def mcnemar_exact(a_only: int, b_only: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts.

    ``a_only``: items only the first run got right; ``b_only``: only the second. Under the null
    hypothesis each discordant item is equally likely to fall either way, so the smaller count
    follows Binomial(a_only + b_only, 1/2); the p-value is twice its lower tail, capped at 1.
    Items both runs got right (or wrong) carry no information about which is better and do not
    enter. No discordant items at all gives 1.0.

    Computed with exact integer arithmetic (``math.comb``), so it stays exact and finite for
    any count a benchmark can produce.
    """
    for name, value in (("a_only", a_only), ("b_only", b_only)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            raise FlipConfigError(f"{name} must be a count (integer >= 0), got {value!r}")
    a_only, b_only = int(a_only), int(b_only)
    n = a_only + b_only
    if n == 0:
        return 1.0
    return _binomial_two_sided(min(a_only, b_only), n)


@lru_cache(maxsize=4096)
def _binomial_two_sided(k: int, n: int) -> float:
    """``min(1, 2 P(X <= k))`` for X ~ Binomial(n, 1/2), exactly.

    The binomial coefficients are built each from the previous one (one multiplication and one
    exact division), not with ``math.comb`` per term: at the leaderboard's scale (hundreds of
    discordant items, a test per FLIP row and chart point) that was seconds per view.
    """
    term = tail = 1
    for i in range(k):
        term = term * (n - i) // (i + 1)
        tail += term
    # int / int is correctly rounded in Python even when 2**n is far beyond a float's range.
    return min(1.0, 2 * tail / 2**n)


@dataclass(frozen=True)
class PairedDifference:
    """Accuracy of two runs on the same items and their difference, ``b - a``.

    ``ci_low``/``ci_high``: a paired percentile bootstrap interval of ``difference``.
    ``a_only``/``b_only``: items on which one run did better than the other (for 0/1
    correctness: right where the other is wrong). ``p_value``: exact McNemar on those counts.
    """

    n: int
    acc_a: float
    acc_b: float
    difference: float
    ci_low: float
    ci_high: float
    a_only: int
    b_only: int
    p_value: float
    confidence: float = 0.95

    @property
    def significant(self) -> bool:
        """Whether McNemar rejects "no difference" at the interval's level (p < 1 - confidence)."""
        return self.p_value < 1 - self.confidence


def paired_difference(
    correct_a: Sequence[bool | float],
    correct_b: Sequence[bool | float],
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> PairedDifference:
    """Compare two runs item by item: ``correct_a[i]`` and ``correct_b[i]`` are the same item.

    Values are per-item credit in [0, 1]: booleans (strict best-of-N) or floats (1.0/0.0, or
    tie-aware credit). The difference is ``acc_b - acc_a`` with a percentile bootstrap interval
    that resamples items and keeps each item's two verdicts together: the bootstrap of the
    per-item differences, which is what makes it paired. Discordant counts are the items where
    one run's credit is higher; for 0/1 values the p-value is exactly McNemar's exact test, for
    fractional (tie-aware) credit the same binomial test is the sign test of the per-item
    differences.

    The seed, resample count and percentile rule are those of
    :func:`flip_core.selection.bootstrap_interval`, so the interval is deterministic.
    """
    a = np.asarray(correct_a, dtype=float)
    b = np.asarray(correct_b, dtype=float)
    if a.ndim != 1 or a.shape != b.shape:
        raise FlipConfigError(
            f"paired values must be two flat sequences of the same length, "
            f"got {a.shape} and {b.shape}"
        )
    if a.size == 0:
        raise FlipConfigError("cannot compare two runs on zero shared items")
    if np.isnan(a).any() or np.isnan(b).any():
        raise FlipConfigError("paired values must not contain NaN")
    interval = bootstrap_interval(b - a, confidence=confidence, resamples=resamples, seed=seed)
    a_only = int(np.count_nonzero(a > b))
    b_only = int(np.count_nonzero(b > a))
    return PairedDifference(
        n=int(a.size),
        acc_a=float(a.mean()),
        acc_b=float(b.mean()),
        difference=interval.value,
        ci_low=interval.low,
        ci_high=interval.high,
        a_only=a_only,
        b_only=b_only,
        p_value=mcnemar_exact(a_only, b_only),
        confidence=confidence,
    )
