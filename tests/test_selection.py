"""Tests for flip_core.selection: best-of-N rules, tie-breaking and bootstrap intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from flip_core.errors import FlipConfigError
from flip_core.selection import (
    Interval,
    best_of_n_accuracy,
    binary_bootstrap_interval,
    bootstrap_interval,
    is_strictly_correct,
    mean_rate_interval,
    pick_best,
    tie_aware_credit,
    top_indices,
)

NAN = math.nan

# (scores, gold index, expected top indices, strictly correct, tie-aware credit)
SELECTION_CASES = [
    pytest.param([9.0, 3.0, 5.0, 1.0], 0, [0], True, 1.0, id="clear-win"),
    pytest.param([2.0, 8.0, 3.0, 1.0], 1, [1], True, 1.0, id="clear-win-gold-not-first"),
    pytest.param([7.0, 7.0, 3.0, 1.0], 0, [0, 1], False, 0.5, id="gold-tied-with-one"),
    pytest.param([8.0, 8.0, 2.0, 8.0], 3, [0, 1, 3], False, 1 / 3, id="three-way-tie-with-gold"),
    pytest.param([3.0, 9.0, 3.0, 1.0], 0, [1], False, 0.0, id="gold-not-at-top"),
    pytest.param([5.0, 9.0, 9.0, 1.0], 0, [1, 2], False, 0.0, id="gold-below-a-tie"),
    pytest.param([0.0, 0.0, 0.0, 0.0], 2, [0, 1, 2, 3], False, 0.25, id="all-zero-f1"),
    pytest.param([1.0, None, None, None], 0, [0], True, 1.0, id="none-is-lowest"),
    pytest.param([None, 0.0, None, None], 0, [1], False, 0.0, id="none-below-zero"),
    pytest.param([None, -5.0, None], 1, [1], True, 1.0, id="none-below-negative"),
    pytest.param([None, None, None, None], 0, [0, 1, 2, 3], False, 0.25, id="all-none"),
    pytest.param([NAN, 2.0, NAN, 1.0], 1, [1], True, 1.0, id="nan-is-lowest"),
    pytest.param([NAN, NAN, NAN], 2, [0, 1, 2], False, 1 / 3, id="all-nan"),
    pytest.param([NAN, None, NAN, None], 3, [0, 1, 2, 3], False, 0.25, id="nan-ties-none"),
    pytest.param([4.0], 0, [0], True, 1.0, id="single-candidate"),
    pytest.param([None], 0, [0], True, 1.0, id="single-candidate-none"),
]


@pytest.mark.parametrize(("scores", "gold", "top", "strict", "credit"), SELECTION_CASES)
def test_selection_rules(scores, gold, top, strict, credit):
    assert top_indices(scores) == top
    assert is_strictly_correct(scores, gold) is strict
    assert tie_aware_credit(scores, gold) == pytest.approx(credit)


def test_empty_scores_raise():
    with pytest.raises(FlipConfigError):
        top_indices([])
    with pytest.raises(FlipConfigError):
        pick_best([])


# --- pick_best -----------------------------------------------------------------------------


def test_pick_best_first_takes_lowest_tied_index():
    assert pick_best([3.0, 7.0, 1.0, 7.0]) == 1
    assert pick_best([3.0, 7.0, 1.0, 7.0], tie_break="first") == 1
    assert pick_best([None, None, 2.0, 2.0], tie_break="first") == 2
    assert pick_best([9.0, 7.0]) == 0


def test_pick_best_clear_winner_ignores_tie_break():
    for seed in range(20):
        assert pick_best([1.0, 2.0, 9.0], tie_break="random", seed=seed) == 2


def test_pick_best_random_is_deterministic_for_a_seed():
    scores = [3.0, 7.0, 1.0, 7.0, 7.0]
    for seed in range(20):
        first = pick_best(scores, tie_break="random", seed=seed)
        assert all(pick_best(scores, tie_break="random", seed=seed) == first for _ in range(5))


def test_pick_best_random_picks_only_among_tied():
    scores = [3.0, 7.0, 1.0, 7.0]
    picks = {pick_best(scores, tie_break="random", seed=seed) for seed in range(200)}
    assert picks == {1, 3}


def test_pick_best_unknown_tie_break_raises():
    with pytest.raises(FlipConfigError, match="tie_break"):
        pick_best([1.0, 1.0], tie_break="last")


# --- bootstrap_interval --------------------------------------------------------------------


def test_bootstrap_interval_brackets_the_mean():
    values = [1.0, 0.0, 1.0, 1.0, 0.0, 0.5, 0.25, 1.0, 0.0, 1.0]
    interval = bootstrap_interval(values)
    assert interval.value == pytest.approx(sum(values) / len(values))
    assert interval.low <= interval.value <= interval.high
    assert interval.n == len(values)


@pytest.mark.parametrize("constant", [0.0, 0.25, 1.0])
def test_bootstrap_interval_constant_data_is_degenerate(constant):
    interval = bootstrap_interval([constant] * 30)
    assert interval.value == pytest.approx(constant)
    assert interval.low == pytest.approx(constant)
    assert interval.high == pytest.approx(constant)
    assert interval.n == 30


def test_bootstrap_interval_single_item_is_degenerate():
    interval = bootstrap_interval([0.5])
    assert (interval.value, interval.low, interval.high, interval.n) == (0.5, 0.5, 0.5, 1)


def test_bootstrap_interval_same_seed_same_result():
    values = [float(i % 3 == 0) for i in range(50)]
    assert bootstrap_interval(values, seed=7) == bootstrap_interval(values, seed=7)


def test_bootstrap_interval_width_for_bernoulli_half():
    # 200 items, mean 0.5: normal approximation width = 2 * 1.96 * sqrt(0.25 / 200) ~= 0.139.
    values = [1.0, 0.0] * 100
    interval = bootstrap_interval(values, confidence=0.95, seed=0)
    assert interval.value == pytest.approx(0.5)
    assert 0.09 <= interval.high - interval.low <= 0.19
    assert interval.low < 0.5 < interval.high


def test_bootstrap_interval_wider_at_higher_confidence():
    values = [1.0, 0.0] * 100
    narrow = bootstrap_interval(values, confidence=0.5)
    wide = bootstrap_interval(values, confidence=0.99)
    assert wide.high - wide.low > narrow.high - narrow.low


def test_bootstrap_interval_empty_raises():
    with pytest.raises(FlipConfigError):
        bootstrap_interval([])


@pytest.mark.parametrize("confidence", [0.0, 1.0, -0.5, 1.5, 95])
def test_bootstrap_interval_confidence_outside_unit_interval_raises(confidence):
    with pytest.raises(FlipConfigError, match="confidence"):
        bootstrap_interval([0.0, 1.0], confidence=confidence)


# --- mean_rate_interval (the Average's interval) -------------------------------------------


def test_one_group_is_the_binary_interval_digit_for_digit():
    assert mean_rate_interval([(37, 92)]) == binary_bootstrap_interval(37, 92)


def test_the_mean_weighs_groups_equally_not_by_items():
    interval = mean_rate_interval([(90, 100), (0, 10)])
    assert interval.value == pytest.approx(0.45)  # pooled would be 90 / 110 = 0.82
    assert interval.n == 110
    assert interval.low <= 0.45 <= interval.high


def test_the_small_group_sets_the_width_as_a_stratified_bootstrap_would():
    # 5 of 10 and 50 of 100: sd of the mean = 0.5 * sqrt(0.25/10 + 0.25/100) = 0.083, so a 95%
    # interval about 0.33 wide; resampling 110 items without strata would give about 0.19.
    interval = mean_rate_interval([(5, 10), (50, 100)], resamples=4000)
    assert 0.26 <= interval.high - interval.low <= 0.40
    # the same figure by resampling items within each group
    rng = np.random.default_rng(1)
    small, large = np.array([1.0] * 5 + [0.0] * 5), np.array([1.0] * 50 + [0.0] * 50)
    means = [
        (rng.choice(small, 10).mean() + rng.choice(large, 100).mean()) / 2 for _ in range(4000)
    ]
    low, high = np.quantile(means, [0.025, 0.975])
    assert interval.low == pytest.approx(low, abs=0.03)
    assert interval.high == pytest.approx(high, abs=0.03)


@pytest.mark.parametrize(
    ("counts", "message"),
    [([], "zero groups"), ([(1, 2), (0, 0)], "zero items"), ([(3, 2)], "successes")],
)
def test_mean_rate_interval_refuses_impossible_counts(counts, message):
    with pytest.raises(FlipConfigError, match=message):
        mean_rate_interval(counts)


# --- best_of_n_accuracy --------------------------------------------------------------------


def test_best_of_n_accuracy_hand_computed():
    item_scores = [
        [9.0, 1.0, 1.0, 1.0],  # gold 0 alone on top: strict 1, tie-aware 1
        [5.0, 5.0, 1.0, 1.0],  # gold 0 tied with one: strict 0, tie-aware 1/2
        [7.0, 7.0, 7.0, 1.0],  # gold 1 in a three-way tie: strict 0, tie-aware 1/3
        [1.0, 9.0, 1.0, 1.0],  # gold 0 not on top: 0, 0
        [None, None, None, None],  # all failed: four-way tie, strict 0, tie-aware 1/4
    ]
    gold = [0, 0, 1, 0, 0]
    result = best_of_n_accuracy(item_scores, gold)
    assert result.strict.value == pytest.approx(1 / 5)
    assert result.tie_aware.value == pytest.approx((1 + 1 / 2 + 1 / 3 + 0 + 1 / 4) / 5)
    assert result.strict.n == result.tie_aware.n == 5
    for interval in (result.strict, result.tie_aware):
        assert interval.low <= interval.value <= interval.high


def test_best_of_n_accuracy_tie_aware_never_below_strict():
    item_scores = [[3.0, 3.0], [4.0, 1.0], [None, 2.0], [2.0, 2.0]]
    result = best_of_n_accuracy(item_scores, [0, 0, 0, 1])
    assert result.strict.value == pytest.approx(1 / 4)
    assert result.tie_aware.value == pytest.approx((0.5 + 1 + 0 + 0.5) / 4)
    assert result.tie_aware.value >= result.strict.value


def test_best_of_n_accuracy_mismatched_lengths_raise():
    with pytest.raises(FlipConfigError):
        best_of_n_accuracy([[1.0, 2.0], [3.0, 1.0]], [0])


# --- Interval.format -----------------------------------------------------------------------


def test_interval_format():
    interval = Interval(value=0.5, low=0.25, high=0.75, n=10)
    assert interval.format() == "50.0 [25.0, 75.0]"
    assert interval.format(digits=2) == "50.00 [25.00, 75.00]"
    assert interval.format(percent=False, digits=3) == "0.500 [0.250, 0.750]"
