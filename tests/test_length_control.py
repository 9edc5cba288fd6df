"""Length-controlled accuracy: adversarial subsets and the regression figure, by hand and real."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import require_shared_data
from hypothesis import given, settings
from hypothesis import strategies as st

from flip_core.benchmarks import load_benchmark
from flip_core.errors import FlipConfigError
from flip_core.items import Item
from flip_core.length_buckets import word_count
from flip_core.length_control import (
    ALL,
    CONSTANT_LENGTH,
    CONSTANT_VERDICT,
    LONGEST_RIGHT,
    LONGEST_WRONG,
    MIN_ITEMS,
    OK,
    SEPARATED,
    SHORTEST_RIGHT,
    SHORTEST_WRONG,
    STATUSES,
    SUBSETS,
    TOO_FEW_ITEMS,
    UNSTABLE,
    LengthControlled,
    LengthProfile,
    length_controlled_accuracy,
    length_profile,
    length_profiles,
    length_subsets,
    subset_accuracy,
)
from flip_core.selection import Interval, bootstrap_interval


def text(words: int) -> str:
    return " ".join(["w"] * words)


def item(item_id: str, lengths: list[int], gold: int | None = 0) -> Item:
    return Item(item_id, "an instruction", tuple(text(n) for n in lengths), gold_index=gold)


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def logit(p: float) -> float:
    return math.log(p / (1 - p))


def profile(item_id: str, chosen: int, *rejected: int) -> LengthProfile:
    return length_profile(item(item_id, [chosen, *rejected]), word_count)


# ---- profiles and subsets, by hand ---------------------------------------------------------

# (chosen words, rejected words...), gold first. By hand:
#   A 2 vs 5      shortest right, longest wrong   d = log(3/6)
#   B 6 vs 3      shortest wrong, longest right   d = log(7/4)
#   C 4 vs 4      tie: both rules wrong            d = 0
#   D 3 vs 1, 7   both wrong (1 is shortest, 7 longest)   d = (log(4/2) + log(4/8)) / 2 = 0
#   E 1 vs 2, 2   shortest right, longest wrong   d = log(2/3)
#   G 9 vs 9, 2   tie at the top: longest wrong; shortest wrong   d = log(10/3) / 2
HAND = {
    "A": [2, 5],
    "B": [6, 3],
    "C": [4, 4],
    "D": [3, 1, 7],
    "E": [1, 2, 2],
    "G": [9, 9, 2],
}
HAND_VERDICTS = {"A": True, "B": False, "C": True, "D": True, "E": False, "G": True, "Z": True}


@pytest.fixture
def hand_profiles() -> dict[str, LengthProfile]:
    items = [item(i, lengths) for i, lengths in HAND.items()]
    items.append(item("F", [1, 2], gold=None))  # no gold: left out
    items.append(item("H", [3], gold=0))  # no rejected candidate: left out
    return length_profiles(items, word_count)


def test_profiles_count_words_and_apply_the_strict_rules(hand_profiles):
    assert sorted(hand_profiles) == ["A", "B", "C", "D", "E", "G"]
    d = hand_profiles["D"]
    assert (d.chosen_length, d.rejected_lengths) == (3, (1, 7))
    expected = {
        "A": (False, True, math.log(3 / 6)),
        "B": (True, False, math.log(7 / 4)),
        "C": (True, True, 0.0),
        "D": (True, True, 0.0),
        "E": (False, True, math.log(2 / 3)),
        "G": (True, True, math.log(10 / 3) / 2),
    }
    for item_id, (shortest_wrong, longest_wrong, difference) in expected.items():
        found = hand_profiles[item_id]
        assert (found.shortest_wrong, found.longest_wrong) == (shortest_wrong, longest_wrong)
        assert found.length_difference == pytest.approx(difference, abs=1e-12)


def test_words_are_whitespace_words_as_in_the_length_report():
    found = length_profile(
        Item("x", "i", ("one\ttwo\n three", "a-b, c.d"), gold_index=1), word_count
    )
    assert (found.chosen_length, found.rejected_lengths) == (2, (3,))
    assert not found.shortest_wrong and found.longest_wrong
    assert length_profile(
        Item("x", "i", ("", "a"), gold_index=0), word_count
    ).length_difference == (pytest.approx(math.log(1 / 2)))


def test_subsets_by_hand(hand_profiles):
    subsets = length_subsets(hand_profiles)
    assert tuple(subsets) == SUBSETS
    assert subsets == {
        ALL: frozenset("ABCDEG"),
        SHORTEST_WRONG: frozenset("BCDG"),
        SHORTEST_RIGHT: frozenset("AE"),
        LONGEST_WRONG: frozenset("ACDEG"),
        LONGEST_RIGHT: frozenset("B"),
    }


def test_subset_accuracy_by_hand(hand_profiles):
    accuracy = subset_accuracy(HAND_VERDICTS, length_subsets(hand_profiles))
    values = {name: (a.value, a.n) for name, a in accuracy.items()}
    assert values == {
        ALL: (pytest.approx(4 / 6), 6),  # Z has a verdict but no profile: not counted
        SHORTEST_WRONG: (0.75, 4),
        SHORTEST_RIGHT: (0.5, 2),
        LONGEST_WRONG: (0.8, 5),
        LONGEST_RIGHT: (0.0, 1),
    }
    assert accuracy[LONGEST_RIGHT] == Interval(0.0, 0.0, 0.0, 1)
    for interval in accuracy.values():
        assert 0 <= interval.low <= interval.value <= interval.high <= 1
    # The project's bootstrap, over the subset's items in id order.
    assert accuracy[SHORTEST_WRONG] == bootstrap_interval([0.0, 1.0, 1.0, 1.0])


def test_subset_accuracy_leaves_out_items_without_a_verdict(hand_profiles):
    accuracy = subset_accuracy({"A": True}, length_subsets(hand_profiles))
    assert accuracy[SHORTEST_RIGHT] == Interval(1.0, 1.0, 1.0, 1)
    assert accuracy[SHORTEST_WRONG] is None
    assert subset_accuracy({}, {"empty": frozenset()}) == {"empty": None}


# ---- the regression figure, by hand --------------------------------------------------------


def two_groups(shorter: tuple[int, int], longer: tuple[int, int]):
    """Items whose chosen response is 1 word against 3 (d = -log 2) or 3 against 1
    (d = +log 2), with (correct, total) verdicts in each group."""
    profiles, verdicts = {}, {}
    for label, (correct, total), lengths in (("s", shorter, (1, 3)), ("l", longer, (3, 1))):
        for k in range(total):
            item_id = f"{label}{k}"
            profiles[item_id] = profile(item_id, *lengths)
            verdicts[item_id] = k < correct
    return verdicts, profiles


def test_two_length_groups_give_the_saturated_fit_by_hand():
    # 30 pairs with the chosen response shorter (24 right: 0.8), 10 with it longer (4: 0.4).
    # With two values of d the fit is saturated, p(-log 2) = 0.8 and p(+log 2) = 0.4, so
    #   intercept = (logit 0.8 + logit 0.4) / 2, slope = (logit 0.4 - logit 0.8) / (2 log 2),
    #   balanced  = (0.8 + 0.4) / 2 = 0.6 on every item, while raw = 28 / 40 = 0.7.
    verdicts, profiles = two_groups(shorter=(24, 30), longer=(4, 10))
    result = length_controlled_accuracy(verdicts, profiles, resamples=200)
    assert result.status == OK and result.fitted
    assert result.n == 40
    assert result.raw.value == pytest.approx(0.7)
    intercept = (logit(0.8) + logit(0.4)) / 2
    assert result.intercept == pytest.approx(intercept, abs=1e-4)
    assert result.at_equal_length == pytest.approx(sigmoid(intercept), abs=1e-4)  # 0.6202
    assert result.slope == pytest.approx((logit(0.4) - logit(0.8)) / (2 * math.log(2)), abs=1e-3)
    assert result.balanced == pytest.approx(0.6, abs=1e-4)
    assert result.odds_ratio_per_doubling == pytest.approx(math.exp(result.slope * math.log(2)))
    assert not result.extrapolated
    low, high = result.balanced_interval
    assert low < 0.6 < high
    assert result.slope_interval[0] < result.slope < result.slope_interval[1]
    assert result.length_dependent is (result.slope_interval[1] < 0)


def test_a_verdict_that_ignores_length_keeps_its_raw_accuracy():
    # Same accuracy (0.7) in both groups, groups of different sizes: nothing to remove.
    verdicts, profiles = two_groups(shorter=(21, 30), longer=(7, 10))
    result = length_controlled_accuracy(verdicts, profiles, resamples=200)
    assert result.status == OK
    assert result.slope == pytest.approx(0.0, abs=1e-4)
    assert result.balanced == pytest.approx(0.7, abs=1e-4)
    assert result.at_equal_length == pytest.approx(0.7, abs=1e-4)
    assert result.raw.value == pytest.approx(0.7)
    assert result.length_dependent is False


def random_dataset(n: int, intercept: float, slope: float, seed: int, chosen_max: int = 300):
    """``n`` pairs with random word counts (chosen below ``chosen_max``, rejected below 300)
    and verdicts drawn from sigmoid(a + b d)."""
    rng = np.random.default_rng(seed)
    profiles, verdicts, differences = {}, {}, []
    for k in range(n):
        chosen, rejected = int(rng.integers(0, chosen_max)), int(rng.integers(0, 300))
        found = profile(f"i{k:05d}", chosen, rejected)
        profiles[found.item_id] = found
        differences.append(found.length_difference)
        verdicts[found.item_id] = bool(
            rng.random() < sigmoid(intercept + slope * found.length_difference)
        )
    return verdicts, profiles, np.array(differences)


def test_verdicts_independent_of_length_give_back_the_raw_accuracy():
    verdicts, profiles, _ = random_dataset(2000, intercept=logit(0.7), slope=0.0, seed=1)
    result = length_controlled_accuracy(verdicts, profiles, resamples=200)
    assert result.status == OK
    assert result.balanced == pytest.approx(result.raw.value, abs=0.01)
    assert result.at_equal_length == pytest.approx(result.raw.value, abs=0.02)
    assert result.raw.value == pytest.approx(0.7, abs=0.03)
    assert result.length_dependent is False


def test_a_known_logistic_model_is_recovered():
    a, b = 0.4, -1.5
    # The chosen response is mostly the shorter, as on LLMBar, so the raw accuracy is inflated.
    verdicts, profiles, d = random_dataset(5000, intercept=a, slope=b, seed=2, chosen_max=100)
    result = length_controlled_accuracy(verdicts, profiles, resamples=200)
    assert result.status == OK
    assert result.at_equal_length == pytest.approx(sigmoid(a), abs=0.03)  # 0.599
    assert result.slope == pytest.approx(b, abs=0.15)
    true_balanced = float(np.mean([(sigmoid(a + b * x) + sigmoid(a - b * x)) / 2 for x in d]))
    assert result.balanced == pytest.approx(true_balanced, abs=0.02)
    low, high = result.at_equal_length_interval
    assert low < sigmoid(a) < high
    assert result.slope_interval[0] < b < result.slope_interval[1]
    assert result.length_dependent is True
    # The raw accuracy is confounded by the lengths' distribution; the controlled one is not.
    assert result.raw.value > result.balanced + 0.05


def test_the_result_is_seeded_and_serialisable():
    verdicts, profiles = two_groups(shorter=(24, 30), longer=(4, 10))
    first = length_controlled_accuracy(verdicts, profiles, resamples=100, seed=7)
    assert length_controlled_accuracy(verdicts, profiles, resamples=100, seed=7) == first
    other = length_controlled_accuracy(verdicts, profiles, resamples=100, seed=8)
    assert other.balanced == first.balanced and other.balanced_interval != first.balanced_interval
    data = json.loads(json.dumps(first.to_dict()))
    assert data["status"] == "ok" and data["n"] == 40 and data["resamples"] == 100
    assert data["balanced"] == pytest.approx(0.6, abs=1e-4)
    assert data["raw"]["value"] == pytest.approx(0.7) and data["raw"]["n"] == 40
    assert len(data["slope_interval"]) == 2 and data["length_dependent"] in (True, False)


# ---- degenerate cases ----------------------------------------------------------------------


def assert_refused(result: LengthControlled, status: str) -> None:
    assert result.status == status
    assert not result.fitted
    for name in ("balanced", "at_equal_length", "slope", "intercept"):
        assert getattr(result, name) is None, name
    for name in ("balanced_interval", "at_equal_length_interval", "slope_interval"):
        assert getattr(result, name) is None, name
    assert result.length_dependent is None and result.odds_ratio_per_doubling is None
    json.dumps(result.to_dict())


def test_too_few_items():
    verdicts, profiles = two_groups(shorter=(4, 5), longer=(1, MIN_ITEMS - 6))
    result = length_controlled_accuracy(verdicts, profiles)
    assert_refused(result, TOO_FEW_ITEMS)
    assert result.n == MIN_ITEMS - 1 and result.raw.value == pytest.approx(5 / 9)
    nothing = length_controlled_accuracy({}, profiles)
    assert_refused(nothing, TOO_FEW_ITEMS)
    assert (nothing.n, nothing.raw) == (0, None)
    unmatched = length_controlled_accuracy({"other": True}, profiles)
    assert (unmatched.n, unmatched.raw) == (0, None)


@pytest.mark.parametrize("value", [True, False])
def test_all_verdicts_equal(value):
    verdicts, profiles = two_groups(shorter=(10, 10), longer=(10, 10))
    verdicts = dict.fromkeys(verdicts, value)
    result = length_controlled_accuracy(verdicts, profiles)
    assert_refused(result, CONSTANT_VERDICT)
    assert result.raw.value == float(value)


def test_no_variation_in_length():
    profiles = {f"i{k}": profile(f"i{k}", 5, 9) for k in range(20)}
    verdicts = {f"i{k}": k % 3 == 0 for k in range(20)}
    assert_refused(length_controlled_accuracy(verdicts, profiles), CONSTANT_LENGTH)


def test_perfect_separation_is_refused_not_fitted():
    # Right exactly when the chosen response is the shorter: the always-shortest rule.
    verdicts, profiles = two_groups(shorter=(15, 15), longer=(0, 15))
    assert_refused(length_controlled_accuracy(verdicts, profiles), SEPARATED)
    # Quasi-complete: the verdicts mix only at the boundary value (equal lengths).
    for k in range(6):
        profiles[f"t{k}"] = profile(f"t{k}", 2, 2)
        verdicts[f"t{k}"] = k % 2 == 0
    assert_refused(length_controlled_accuracy(verdicts, profiles), SEPARATED)
    # One item on the wrong side makes the fit exist again.
    verdicts["l0"] = True
    assert length_controlled_accuracy(verdicts, profiles, resamples=50).fitted


def test_an_almost_separated_fit_withholds_its_intervals():
    # Right when the chosen response is shorter, mixed at equal lengths, wrong when it is
    # longer: separated but for one wrong item among the shorter ones, so about a third of the
    # resamples (those that leave that item out) cannot be fitted.
    profiles, verdicts = {}, {}
    for label, lengths, right in (("s", (1, 3), 7), ("e", (2, 2), 4), ("l", (3, 1), 0)):
        for k in range(8):
            profiles[f"{label}{k}"] = profile(f"{label}{k}", *lengths)
            verdicts[f"{label}{k}"] = k < right
    result = length_controlled_accuracy(verdicts, profiles, resamples=100)
    assert result.status == UNSTABLE and result.fitted
    assert 20 < result.degenerate_resamples < 60
    assert result.balanced is not None and result.slope is not None and result.slope < 0
    assert result.balanced_interval is None and result.slope_interval is None
    assert result.length_dependent is None
    json.dumps(result.to_dict())


def test_one_sided_lengths_are_flagged_as_extrapolated():
    profiles = {f"i{k}": profile(f"i{k}", 5 + k, 2) for k in range(30)}  # chosen always longer
    verdicts = {f"i{k}": k % 3 != 0 for k in range(30)}
    result = length_controlled_accuracy(verdicts, profiles, resamples=50)
    assert result.fitted and result.extrapolated


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"confidence": 1.0}, "confidence"), ({"resamples": 0}, "resamples")],
)
def test_bad_options(kwargs, message):
    verdicts, profiles = two_groups(shorter=(24, 30), longer=(4, 10))
    with pytest.raises(FlipConfigError, match=message):
        length_controlled_accuracy(verdicts, profiles, **kwargs)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 6), st.lists(st.integers(0, 6), min_size=1, max_size=3), st.booleans()
        ),
        max_size=30,
    )
)
def test_the_figure_never_raises_and_is_a_probability(rows):
    profiles, verdicts = {}, {}
    for k, (chosen, rejected, correct) in enumerate(rows):
        profiles[f"i{k}"] = profile(f"i{k}", chosen, *rejected)
        verdicts[f"i{k}"] = correct
    result = length_controlled_accuracy(verdicts, profiles, resamples=20)
    assert result.status in STATUSES
    assert result.n == len(rows)
    if result.fitted:
        assert 0 <= result.balanced <= 1 and 0 <= result.at_equal_length <= 1
        assert math.isfinite(result.slope)
    if result.balanced_interval is not None:
        low, high = result.balanced_interval
        assert 0 <= low <= high <= 1
    json.dumps(result.to_dict())


# ---- real LLMBar pairs ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def llmbar_items():
    patch = pytest.MonkeyPatch()
    patch.setenv("FLIP_DATA_DIR", str(require_shared_data()))
    try:
        subsets = ("neighbor", "gptinst", "gptout", "manual")
        return [found for name in subsets for found in load_benchmark("llmbar", name).items]
    finally:
        patch.undo()


def test_llmbar_length_adversarial_subsets(llmbar_items):
    profiles = length_profiles(llmbar_items, word_count)
    subsets = length_subsets(profiles)
    assert {name: len(ids) for name, ids in subsets.items()} == {
        ALL: 319,
        SHORTEST_WRONG: 69,
        SHORTEST_RIGHT: 250,
        LONGEST_WRONG: 262,
        LONGEST_RIGHT: 57,
    }
    shortest = {i: not p.shortest_wrong for i, p in profiles.items()}
    accuracy = subset_accuracy(shortest, subsets)
    assert accuracy[ALL].value == pytest.approx(250 / 319)  # 78.4%, in words
    assert accuracy[SHORTEST_WRONG].value == 0.0  # by construction
    assert accuracy[LONGEST_WRONG].value == pytest.approx(250 / 262)


def test_the_always_shortest_rule_has_no_length_controlled_accuracy_to_speak_of(llmbar_items):
    from flip_core.baselines import length_scores
    from flip_core.selection import is_strictly_correct

    profiles = length_profiles(llmbar_items, word_count)
    # Counted in words, as d is, the rule is a step function of d: no fit, by design.
    in_words = {i: not p.shortest_wrong for i, p in profiles.items()}
    result = length_controlled_accuracy(in_words, profiles)
    assert_refused(result, SEPARATED)
    assert result.raw.value == pytest.approx(250 / 319)
    # Counted in characters (the accuracy tables' reference row), it overlaps a little in d:
    # the length-balanced accuracy is about chance while the raw one is 82%.
    in_chars = {
        found.id: is_strictly_correct(length_scores(found.candidates, "shortest"), found.gold_index)
        for found in llmbar_items
    }
    result = length_controlled_accuracy(in_chars, profiles, resamples=200)
    assert result.fitted
    assert result.raw.value == pytest.approx(261 / 319)  # 81.8%
    assert result.balanced == pytest.approx(0.519, abs=0.001)
    assert result.at_equal_length == pytest.approx(0.758, abs=0.001)
    assert result.slope < -10
