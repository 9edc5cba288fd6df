"""Accuracy by the length of the chosen response, per leaderboard row (``flip report length``).

Which runs: exactly the leaderboard's (:func:`flip_store.queries.leaderboard`, full runs of
clean tasks, the newest comparable run per model, method and domain), so the report never
disagrees with the table. A row pools its domains' runs: item ids carry their domain, so the
runs' verdicts join without overlap. The random-pick baseline is left out: it stores an
expected value, not a pick per item, so its per-item verdicts say nothing about length. The
always-longest and always-shortest baselines stay: by length bucket they show how much of a
bucket's accuracy a length rule alone earns.

Bucketing and the accuracy per bucket are :mod:`flip_core.length_buckets`'s; this module only
reads the store (per-run verdicts from ``run_verdicts``, chosen texts from ``candidate``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import Engine, select

from flip_core.catalog.benchmarks import benchmark as benchmark_spec
from flip_core.length_buckets import (
    DEFAULT_BUCKETS,
    LengthBucket,
    bucket_accuracy,
    length_buckets,
    word_count,
)
from flip_core.selection import Interval
from flip_store.comparisons import pooled_verdicts, run_verdicts
from flip_store.queries import LeaderboardRow, leaderboard
from flip_store.schema import CandidateRow, ItemRow

WITHOUT_ITEM_PICKS = frozenset({"baseline_random"})
"""Methods whose stored per-item verdicts are not picks (see the module docstring)."""


@dataclass(frozen=True)
class LengthAccuracyRow:
    """One leaderboard row's strict accuracy per length bucket (None: no item of the bucket)."""

    leaderboard_row: LeaderboardRow
    accuracy: tuple[Interval | None, ...]

    @property
    def run_ids(self) -> list[int]:
        """The row's runs, one per domain, in domain order."""
        return [cell.run_id for cell in self.leaderboard_row.domains.values()]


@dataclass(frozen=True)
class LengthReport:
    """Length buckets of a benchmark's covered items and every row's accuracy in each.

    ``buckets`` may be fewer than ``requested_buckets`` where ties merged quantile edges; both
    are empty when the store holds no full run of the benchmark by a model (the baselines
    alone are not reported).
    """

    benchmark: str
    requested_buckets: int
    buckets: tuple[LengthBucket, ...]
    rows: tuple[LengthAccuracyRow, ...]

    @property
    def items(self) -> int:
        return sum(bucket.items for bucket in self.buckets)


def length_report(
    engine: Engine,
    benchmark: str,
    buckets: int = DEFAULT_BUCKETS,
    rows: Sequence[LeaderboardRow] | None = None,
    domains: Sequence[str] | None = None,
) -> LengthReport:
    """Strict accuracy by quantile bucket of the chosen response's length, per leaderboard row.

    ``rows``: the leaderboard rows to report (default: all of the benchmark's, full runs of
    clean tasks; the app passes its memoised rows of one model). ``domains``: pool only these
    (default: all the rows have). The edges are taken over the items any of the rows' runs has
    a verdict on, the same edges for every row. Raises :class:`FlipConfigError` for an unknown
    benchmark.
    """
    benchmark_spec(benchmark)  # a one-line error for an unknown name
    if rows is None:
        rows = leaderboard(engine, benchmark, include_limited=False, variant="none")
    if domains is not None:
        rows = [_restricted(row, domains) for row in rows]
    rows = [row for row in rows if row.method not in WITHOUT_ITEM_PICKS and row.domains]
    if all(row.is_baseline for row in rows):
        # Baselines exist as soon as items are stored (a --limit run stores them too), but
        # alone they answer nothing about the models.
        return LengthReport(benchmark, buckets, (), ())
    verdicts = run_verdicts(engine, {c.run_id for row in rows for c in row.domains.values()})
    pooled = [pooled_verdicts(verdicts, [c.run_id for c in row.domains.values()]) for row in rows]
    covered = set().union(*pooled)
    grouped = tuple(length_buckets(_chosen_lengths(engine, benchmark, covered), buckets))
    return LengthReport(
        benchmark,
        buckets,
        grouped,
        tuple(
            LengthAccuracyRow(
                row, tuple(bucket_accuracy(bucket, row_verdicts) for bucket in grouped)
            )
            for row, row_verdicts in zip(rows, pooled, strict=True)
        ),
    )


def _restricted(row: LeaderboardRow, domains: Sequence[str]) -> LeaderboardRow:
    return replace(row, domains={d: cell for d, cell in row.domains.items() if d in domains})


def _chosen_lengths(engine: Engine, benchmark: str, item_ids: set[str]) -> dict[str, int]:
    """Words in the chosen candidate of each of ``item_ids`` (items without one are left out).

    Reads the benchmark's chosen texts and keeps the wanted ids in Python, which spares an
    ``IN`` list of thousands of ids.
    """
    query = (
        select(CandidateRow.item_id, CandidateRow.text)
        .join(ItemRow, ItemRow.id == CandidateRow.item_id)
        .where(ItemRow.benchmark == benchmark, CandidateRow.is_chosen.is_(True))
    )
    with engine.connect() as connection:
        return {
            item_id: word_count(text)
            for item_id, text in connection.execute(query)
            if item_id in item_ids
        }
