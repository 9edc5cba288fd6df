"""Model-free reference scorers: what a number must beat to mean anything.

RewardBench's own tracker notes length confounds (picking the shortest response scores well
above chance on Focus), so every accuracy is shown beside chance and these length rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flip_core.errors import FlipConfigError


def length_scores(candidates: Sequence[str], rule: str) -> list[float]:
    """Scores that make best-of-N pick the longest (``longest``) or shortest (``shortest``)."""
    lengths = [float(len(text)) for text in candidates]
    if rule == "longest":
        return lengths
    if rule == "shortest":
        return [-length for length in lengths]
    raise FlipConfigError(f"unknown length rule {rule!r}; choose 'longest' or 'shortest'")


def chance_accuracy(num_candidates: int) -> float:
    """Expected best-of-N accuracy of a uniformly random pick."""
    if num_candidates < 1:
        raise FlipConfigError("chance accuracy needs at least one candidate")
    return 1.0 / num_candidates


@dataclass(frozen=True)
class ReferencePoints:
    """What a method's strict accuracy on some items must beat: chance and the length rules."""

    chance: float
    longest: float
    shortest: float


def reference_points(
    candidate_lists: Sequence[Sequence[str]], gold_indices: Sequence[int]
) -> ReferencePoints:
    """Chance (expected value of a random pick) and the strict accuracy of always-longest and
    always-shortest on the same items, so that every accuracy table shows them side by side."""
    from flip_core.selection import best_of_n_accuracy

    if not candidate_lists:
        raise FlipConfigError("reference points need at least one item")
    longest, shortest = (
        best_of_n_accuracy(
            [length_scores(candidates, rule) for candidates in candidate_lists], gold_indices
        ).strict.value
        for rule in ("longest", "shortest")
    )
    chance = sum(chance_accuracy(len(c)) for c in candidate_lists) / len(candidate_lists)
    return ReferencePoints(chance, longest, shortest)
