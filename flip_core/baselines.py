"""Model-free reference scorers: what a number must beat to mean anything.

RewardBench's own tracker notes length confounds (picking the shortest response scores well
above chance on Focus), so every accuracy is shown beside chance and these length rules.
"""

from __future__ import annotations

from collections.abc import Sequence

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
