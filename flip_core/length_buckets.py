"""Accuracy by the length of the chosen response: quantile buckets and per-bucket accuracy.

The paper reports that FLIP gains more over the judges on longer outputs. To read that off our
runs, a benchmark's items are grouped by the length of their *chosen* candidate (the gold,
preferred response; RewardBench's "chosen"). That length is a property of the item, not of any
run, so every method and model is bucketed on the same items and a bucket's accuracies compare
across rows. Length is counted in whitespace-separated words: no tokenizer, so it is the same
number for every model.

Bucket edges are quantiles of those lengths, so buckets hold about equally many items whatever
the benchmark's length distribution. Each edge is a length some item has (the inverted-CDF
quantile), and an item whose length equals an edge goes to the lower bucket: tied items never
straddle two buckets, and the buckets' word ranges do not overlap. Where ties (or fewer items
than buckets) make two edges coincide, those buckets merge, so a report may hold fewer buckets
than asked for; no bucket is ever empty.

Accuracy is the strict best-of-N verdict per item (``outcome.correct``, the headline ``acc``)
with the project's 95% percentile bootstrap interval, drawn from its exact binomial form
(:func:`flip_core.selection.binary_bootstrap_interval`: a chart of many rows and buckets
cannot afford to resample every item).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from flip_core.errors import FlipConfigError
from flip_core.selection import Interval, binary_bootstrap_interval

DEFAULT_BUCKETS = 4
"""Quartiles: enough to show a trend on LLMBar's 46-134 pairs per subset without buckets of a
handful of items."""


def word_count(text: str) -> int:
    """Words in ``text``, split on whitespace (the same count whichever model reads it)."""
    return len(text.split())


@dataclass(frozen=True)
class LengthBucket:
    """The items whose chosen response has ``min_words`` to ``max_words`` words (inclusive)."""

    min_words: int
    max_words: int
    item_ids: frozenset[str]

    @property
    def items(self) -> int:
        return len(self.item_ids)

    @property
    def label(self) -> str:
        """The bucket's word range as observed on its items, e.g. ``21-45 words``."""
        if self.min_words == self.max_words:
            return f"{self.min_words} words"
        return f"{self.min_words}-{self.max_words} words"


def quantile_edges(lengths: Sequence[int], buckets: int) -> list[int]:
    """Inclusive upper bounds of every bucket but the last, shortest first.

    The k-th edge is the smallest observed length with at least k/``buckets`` of the items at
    or below it. Edges that repeat, or that equal the longest length (they would leave the
    buckets above them empty), are dropped, so there may be fewer than ``buckets - 1``.
    """
    if buckets < 1:
        raise FlipConfigError(f"the number of length buckets must be >= 1, got {buckets}")
    if not lengths:
        raise FlipConfigError("no items to bucket by length: the runs cover no item")
    ordered = sorted(lengths)
    n = len(ordered)
    # ceil(k * n / buckets) in integers, so no float rounding moves an edge.
    cuts = {ordered[-(-k * n // buckets) - 1] for k in range(1, buckets)}
    return sorted(cut for cut in cuts if cut < ordered[-1])


def length_buckets(
    lengths: Mapping[str, int], buckets: int = DEFAULT_BUCKETS
) -> list[LengthBucket]:
    """Items (``{item_id: words}``) grouped into quantile buckets of length, shortest first."""
    edges = quantile_edges(list(lengths.values()), buckets)
    members: list[dict[str, int]] = [{} for _ in range(len(edges) + 1)]
    for item_id, length in lengths.items():
        members[bisect_left(edges, length)][item_id] = length
    # Every edge is a length some item has, so no bucket is empty (see the module docstring).
    return [LengthBucket(min(m.values()), max(m.values()), frozenset(m)) for m in members]


def bucket_accuracy(bucket: LengthBucket, verdicts: Mapping[str, bool]) -> Interval | None:
    """Strict accuracy on a bucket's items from ``{item_id: correct}``, with a 95% interval.

    Items the verdicts do not cover are left out (the interval's ``n`` counts those that
    count); None when none is covered. The interval depends only on the counts, so it is the
    same in every process.
    """
    values = [verdicts[i] for i in bucket.item_ids if i in verdicts]
    return binary_bootstrap_interval(sum(values), len(values)) if values else None
