"""flip_core.paired: exact McNemar and the paired bootstrap difference of two runs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from flip_core.errors import FlipConfigError
from flip_core.paired import mcnemar_exact, paired_difference
from flip_core.selection import bootstrap_interval


@pytest.mark.parametrize(
    ("a_only", "b_only", "expected"),
    [
        (0, 6, 0.03125),  # 2 * (1/2)**6
        (1, 5, 0.21875),  # 2 * (1 + 6) / 64
        (2, 10, 0.038574),  # 2 * (1 + 12 + 66) / 4096 (statsmodels' mcnemar(exact=True))
        (0, 1, 1.0),  # one discordant item says nothing: capped at 1
        (3, 3, 1.0),
        (0, 0, 1.0),  # no discordant items at all
        (0, 20, 1.9073e-06),  # 2 / 2**20
    ],
)
def test_mcnemar_exact_known_values(a_only, b_only, expected):
    assert mcnemar_exact(a_only, b_only) == pytest.approx(expected, rel=1e-4)


def test_mcnemar_is_symmetric_and_stays_finite_at_benchmark_sizes():
    for a, b in [(0, 6), (4, 11), (17, 40), (100, 130)]:
        assert mcnemar_exact(a, b) == mcnemar_exact(b, a)
    big = mcnemar_exact(600, 713)  # 2**1313 is far beyond a float: exact integers throughout
    assert 0 < big < 0.01 and math.isfinite(big)
    assert mcnemar_exact(0, 1500) == 0.0  # underflows to zero, never an error
    assert mcnemar_exact(np.int64(0), np.int64(6)) == pytest.approx(0.03125)


@pytest.mark.parametrize(("a_only", "b_only"), [(-1, 3), (2.5, 1), (True, 1), ("3", 1)])
def test_mcnemar_rejects_non_counts(a_only, b_only):
    with pytest.raises(FlipConfigError, match="must be a count"):
        mcnemar_exact(a_only, b_only)


def _runs(n_items: int = 120, seed: int = 3) -> tuple[list[bool], list[bool]]:
    rng = np.random.default_rng(seed)
    a = rng.random(n_items) < 0.5
    b = a.copy()
    flips = rng.choice(n_items, size=20, replace=False)
    b[flips[:15]] = True  # b fixes (some of) these
    b[flips[15:]] = False
    return a.tolist(), b.tolist()


def test_paired_difference_counts_and_contains_its_difference():
    a, b = _runs()
    result = paired_difference(a, b)
    assert result.n == 120
    assert result.acc_a == pytest.approx(sum(a) / 120) and result.acc_b == pytest.approx(
        sum(b) / 120
    )
    assert result.difference == pytest.approx(result.acc_b - result.acc_a)  # b minus a
    assert result.ci_low <= result.difference <= result.ci_high
    assert result.a_only == sum(x and not y for x, y in zip(a, b, strict=True))
    assert result.b_only == sum(y and not x for x, y in zip(a, b, strict=True))
    assert result.p_value == mcnemar_exact(result.a_only, result.b_only)
    assert result.confidence == 0.95 and result.significant == (result.p_value < 0.05)


def test_paired_interval_is_deterministic_and_uses_the_shared_bootstrap():
    a, b = _runs()
    assert paired_difference(a, b) == paired_difference(a, b)
    diffs = [float(y) - float(x) for x, y in zip(a, b, strict=True)]
    interval = bootstrap_interval(diffs, seed=0)
    result = paired_difference(a, b)
    assert (result.ci_low, result.ci_high) == (interval.low, interval.high)
    other_seed = paired_difference(a, b, seed=1)
    assert other_seed.difference == result.difference


def test_pairing_narrows_the_interval_when_runs_share_difficulty():
    a, b = _runs()
    paired = paired_difference(a, b)
    alone = bootstrap_interval([float(x) for x in b])
    # Most items are right or wrong in both runs: pairing removes that shared variance.
    assert paired.ci_high - paired.ci_low < alone.high - alone.low


def test_identical_runs_and_float_credit():
    same = paired_difference([True, False, True], [True, False, True])
    assert (same.difference, same.ci_low, same.ci_high) == (0.0, 0.0, 0.0)
    assert same.a_only == same.b_only == 0 and same.p_value == 1.0
    ties = paired_difference([1.0, 0.5, 0.0, 0.25], [1.0, 1.0, 0.5, 0.25])
    assert ties.difference == pytest.approx(0.25) and (ties.a_only, ties.b_only) == (0, 2)
    assert ties.p_value == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [
        ([], [], "zero shared items"),
        ([True], [True, False], "same length"),
        ([1.0, math.nan], [1.0, 0.0], "NaN"),
    ],
)
def test_paired_difference_rejects_bad_input(a, b, message):
    with pytest.raises(FlipConfigError, match=message):
        paired_difference(a, b)
