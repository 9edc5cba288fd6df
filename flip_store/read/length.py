"""Accuracy by the length of the chosen response, per leaderboard row (``flip report length``).

Which runs: exactly the leaderboard's (:func:`flip_store.read.leaderboard.leaderboard`, full
runs of clean tasks, the newest comparable run per model, method and domain), so the report
never disagrees with the table. A row pools its domains' runs: item ids carry their domain, so
the runs' verdicts join without overlap. Beside the models, the always-longest and
always-shortest rules (:mod:`.references`) show by bucket how much of a bucket's accuracy a
length rule alone earns; chance has no per-item pick, so it has no accuracy by length.

Bucketing and the accuracy per bucket are :mod:`flip_core.length_buckets`'s; this module only
reads the store (per-run verdicts from ``run_verdicts``, chosen texts from ``candidate``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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
from flip_store.read.leaderboard import LeaderboardRow, leaderboard
from flip_store.read.references import RULES, rule_verdicts
from flip_store.read.verdicts import pooled_verdicts, run_verdicts
from flip_store.schema import CandidateRow, ItemRow

LENGTH_RULES = ("longest", "shortest")
"""The rules with a pick per item (chance has none)."""


@dataclass(frozen=True)
class LengthAccuracyRow:
    """One row's strict accuracy per length bucket (None: no item of the bucket).

    ``kind`` is ``model`` (a leaderboard row: ``model``, ``method``, ``profile``, its runs) or
    ``rule`` (a length rule: ``model`` is its label, ``method`` the rule's name).
    """

    kind: str
    model: str
    method: str
    profile: str
    backend: str
    prompt_hash: str | None
    run_ids: tuple[int, ...]
    accuracy: tuple[Interval | None, ...]


@dataclass(frozen=True)
class LengthReport:
    """Length buckets of a benchmark's covered items and every row's accuracy in each.

    ``buckets`` may be fewer than ``requested_buckets`` where ties merged quantile edges; both
    are empty when the store holds no full run of the benchmark by a model (the rules alone
    are not reported).
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
    """Strict accuracy by quantile bucket of the chosen response's length, per leaderboard row,
    then the length rules.

    ``rows``: the leaderboard rows to report (default: all of the benchmark's, full runs of
    clean tasks). ``domains``: pool only these (default: all the rows have). The edges are taken
    over the items any of the rows' runs has a verdict on, the same edges for every row.
    Raises :class:`FlipConfigError` for an unknown benchmark.
    """
    benchmark_spec(benchmark)  # a one-line error for an unknown name
    if rows is None:
        rows = leaderboard(engine, benchmark, include_limited=False, variant="none")
    chosen_runs = [
        {d: c.run_id for d, c in row.domains.items() if domains is None or d in domains}
        for row in rows
    ]
    kept = [(row, runs) for row, runs in zip(rows, chosen_runs, strict=True) if runs]
    if not kept:
        return LengthReport(benchmark, buckets, (), ())
    verdicts = run_verdicts(engine, {run for _, runs in kept for run in runs.values()})
    pooled = [pooled_verdicts(verdicts, list(runs.values())) for _, runs in kept]
    covered = set().union(*pooled)
    grouped = tuple(length_buckets(_chosen_lengths(engine, benchmark, covered), buckets))
    report_rows = [
        LengthAccuracyRow(
            "model",
            row.model,
            row.method,
            row.profile,
            row.backend,
            row.prompt_hash,
            tuple(runs.values()),
            tuple(bucket_accuracy(bucket, row_verdicts) for bucket in grouped),
        )
        for (row, runs), row_verdicts in zip(kept, pooled, strict=True)
    ]
    used = sorted({d for _, runs in kept for d in runs})
    rules = rule_verdicts(engine, benchmark, used)
    for rule in LENGTH_RULES:
        credits = {item: bool(v) for item, v in rules[rule].items() if item in covered}
        report_rows.append(
            LengthAccuracyRow(
                "rule",
                RULES[rule],
                rule,
                "",
                "",
                None,
                (),
                tuple(bucket_accuracy(bucket, credits) for bucket in grouped),
            )
        )
    return LengthReport(benchmark, buckets, grouped, tuple(report_rows))


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
