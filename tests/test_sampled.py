"""Sampled FLIP's aggregation: k-sample accuracy and cost from the first k samples."""

from __future__ import annotations

import pytest

from flip_core.errors import FlipConfigError
from flip_core.sampled import sampled_metrics, subset_rewards, tokens_of_first


def test_subsets_take_the_first_k_samples_in_order():
    rewards = [[0.0, 1.0, 1.0, 0.0, 0.0], [0.5, 0.5, 0.5, 0.5, 0.5]]
    assert subset_rewards(rewards, 1, max) == [0.0, 0.5]
    assert subset_rewards(rewards, 3, max) == [1.0, 0.5]
    assert subset_rewards(rewards, 5, sum) == [2.0, 2.5]


def test_mean_and_max_rules_can_disagree():
    # gold (0) has one perfect sample among zeros; the rejected one is steady at 0.4
    rewards = [[1.0, 0.0, 0.0, 0.0, 0.0], [0.4, 0.4, 0.4, 0.4, 0.4]]
    metrics = sampled_metrics(rewards, gold_index=0)
    assert metrics == {"acc_k1": 1.0, "acc_k3": 0.0, "acc_max_k3": 1.0, "acc_max_k5": 1.0}
    assert sampled_metrics(rewards, gold_index=1)["acc_k3"] == 1.0


def test_a_tie_is_wrong_under_every_rule():
    assert set(sampled_metrics([[0.5] * 5, [0.5] * 5], gold_index=0).values()) == {0.0}


def test_too_few_samples_is_an_error():
    with pytest.raises(FlipConfigError, match="fewer than 3 samples"):
        subset_rewards([[1.0, 0.0]], 3, max)


def test_cost_of_the_first_k_samples():
    tokens = [[10, 20, 30, 40, 50], [1, 2, 3, 4, 5]]
    assert tokens_of_first(tokens, 1) == 11
    assert tokens_of_first(tokens, 3) == 66
    assert tokens_of_first(tokens, None) == 165
