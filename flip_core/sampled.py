"""Sampled FLIP (the ``s5`` task variants): several sampled reconstructions per candidate.

The paper's protocol samples five reconstructions per candidate at temperature 0.7 and rewards
the candidate with the mean F1 of the five. The ``s5`` variants do exactly that (lm-eval's
``repeats``), and keep every sample: the accuracy for k = 1 and 3 samples, and for the max
instead of the mean, follow from the first k samples of the same run, so one run answers "how
many samples are worth their cost?" without generating again. The cost for k follows the same
way, from the tokens of the first k samples (counted at ingest, :mod:`flip_store.ingest`).

Metric names (per item, then averaged): ``acc`` is the headline (mean of all five samples);
``acc_k1`` and ``acc_k3`` use the mean of the first 1 and 3 samples; ``acc_max_k3`` and
``acc_max_k5`` the best F1 of the first 3 and 5 samples. All use the strict best-of-N rule.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from statistics import mean

from flip_core.errors import FlipConfigError
from flip_core.selection import is_strictly_correct

SUBSETS: tuple[tuple[str, int, Callable[[Sequence[float]], float]], ...] = (
    ("acc_k1", 1, mean),
    ("acc_k3", 3, mean),
    ("acc_max_k3", 3, max),
    ("acc_max_k5", 5, max),
)
"""(metric, k, reducer): strict accuracy when each candidate's reward is ``reducer`` of the
F1 of its first k samples."""
SAMPLED_METRICS = tuple(name for name, _, _ in SUBSETS)
TOKEN_SUBSET_SIZES = (1, 3)
"""k whose cost (generated tokens of the first k samples) is stored beside the full cost."""


def subset_rewards(
    rewards: Sequence[Sequence[float]], k: int, reducer: Callable[[Sequence[float]], float]
) -> list[float]:
    """Each candidate's reward from its first ``k`` per-sample rewards."""
    if any(len(samples) < k for samples in rewards):
        raise FlipConfigError(f"sampled FLIP: a candidate has fewer than {k} samples")
    return [reducer(samples[:k]) for samples in rewards]


def sampled_metrics(rewards: Sequence[Sequence[float]], gold_index: int) -> dict[str, float]:
    """Strict accuracy of one item under every subset rule of :data:`SUBSETS`.

    ``rewards[c][s]`` is the F1 of sample ``s`` of candidate ``c`` (samples in generation order).
    """
    return {
        name: float(is_strictly_correct(subset_rewards(rewards, k, reducer), gold_index))
        for name, k, reducer in SUBSETS
    }


def tokens_of_first(tokens_per_sample: Sequence[Sequence[int]], k: int | None) -> int:
    """Generated tokens of one item when only the first ``k`` samples of each call are kept
    (``None``: all of them)."""
    return sum(sum(samples[:k]) for samples in tokens_per_sample)
