"""The length-adversarial subsets: the items on which a length rule is wrong.

Per item, a :class:`LengthProfile` holds its candidates' lengths, whether the always-shortest
and always-longest rules get it wrong, and the length difference ``d`` the regression
(:mod:`flip_core.length_control.regression`) is fitted on. :func:`length_subsets` groups the
items by the rules' verdicts; :func:`subset_accuracy` reads a method's accuracy on each group.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from flip_core.items import Item
from flip_core.selection import Interval, bootstrap_interval, is_strictly_correct

SHORTEST_WRONG = "shortest_wrong"
SHORTEST_RIGHT = "shortest_right"
LONGEST_WRONG = "longest_wrong"
LONGEST_RIGHT = "longest_right"
ALL = "all"
SUBSETS = (ALL, SHORTEST_WRONG, SHORTEST_RIGHT, LONGEST_WRONG, LONGEST_RIGHT)
"""The subsets :func:`length_subsets` returns, in display order. ``shortest_wrong`` and
``longest_wrong`` are the length-adversarial ones."""


@dataclass(frozen=True)
class LengthProfile:
    """The lengths of one item's candidates (characters unless told otherwise) and what the
    length rules make of it.

    ``shortest_wrong`` / ``longest_wrong``: the always-shortest / always-longest rule is wrong
    on the item under the strict rule (the chosen candidate is not alone at the shortest /
    longest length: a tie counts as wrong).
    """

    item_id: str
    chosen_length: int
    rejected_lengths: tuple[int, ...]
    shortest_wrong: bool
    longest_wrong: bool

    @property
    def length_difference(self) -> float:
        """``d``: the mean over rejected candidates of ``log((1 + chosen) / (1 + rejected))``
        (natural log; > 0 when the chosen response is the longer)."""
        chosen = math.log1p(self.chosen_length)
        return sum(chosen - math.log1p(r) for r in self.rejected_lengths) / len(
            self.rejected_lengths
        )


def length_profile(item: Item, length: Callable[[str], int] = len) -> LengthProfile | None:
    """The :class:`LengthProfile` of an item; None when it has no gold candidate or no
    rejected one (the rules and ``d`` are undefined there). ``length``: characters by default,
    the unit of the leaderboard's always-shortest and always-longest rows, so the subsets are
    exactly the items those rows get wrong (:func:`flip_core.length_buckets.word_count` counts
    words instead)."""
    if item.gold_index is None or len(item.candidates) < 2:
        return None
    words = [length(text) for text in item.candidates]
    rejected = tuple(w for i, w in enumerate(words) if i != item.gold_index)
    return LengthProfile(
        item_id=item.id,
        chosen_length=words[item.gold_index],
        rejected_lengths=rejected,
        shortest_wrong=not is_strictly_correct([-w for w in words], item.gold_index),
        longest_wrong=not is_strictly_correct([float(w) for w in words], item.gold_index),
    )


def length_profiles(
    items: Iterable[Item], length: Callable[[str], int] = len
) -> dict[str, LengthProfile]:
    """``{item_id: profile}`` of the items with a gold candidate (others are left out)."""
    profiles = {}
    for item in items:
        profile = length_profile(item, length)
        if profile is not None:
            profiles[item.id] = profile
    return profiles


def length_subsets(profiles: Mapping[str, LengthProfile]) -> dict[str, frozenset[str]]:
    """The item ids of each of :data:`SUBSETS` (``all`` and the two rules' wrong / right
    items). A property of the items, not of any run: compute it once per benchmark."""
    return {
        ALL: frozenset(profiles),
        SHORTEST_WRONG: frozenset(i for i, p in profiles.items() if p.shortest_wrong),
        SHORTEST_RIGHT: frozenset(i for i, p in profiles.items() if not p.shortest_wrong),
        LONGEST_WRONG: frozenset(i for i, p in profiles.items() if p.longest_wrong),
        LONGEST_RIGHT: frozenset(i for i, p in profiles.items() if not p.longest_wrong),
    }


def subset_accuracy(
    verdicts: Mapping[str, bool],
    subsets: Mapping[str, frozenset[str]],
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, Interval | None]:
    """A method's strict accuracy on each subset, from its ``{item_id: correct}`` verdicts,
    with a percentile-bootstrap interval (:func:`flip_core.selection.bootstrap_interval`).

    Items the verdicts do not cover are left out (the interval's ``n`` counts those that
    count); None for a subset none of whose items is covered.
    """
    result: dict[str, Interval | None] = {}
    for name, ids in subsets.items():
        values = [float(verdicts[i]) for i in sorted(ids) if i in verdicts]
        result[name] = bootstrap_interval(values, confidence, seed=seed) if values else None
    return result
