"""The leaderboard's rows: one per (model, method, profile, backend, prompt version), one cell
per domain from the newest comparable run.

Comparable runs (docs/conventions.md) share the decoding profile, the backend, the prompt-
template hash and the dataset revision; a cell is the newest such run (the highest id, the
latest ingest) for its model, method and domain. Limited (``--limit``) runs appear only when
asked for, are marked, and never hide a full run of the same cell. Runs of different backends
are different rows, never one cell: their numerics differ.

The database picks the newest run per cell; the cells' metrics are read in one more query, and
rows are assembled in Python from plain tuples. Nothing here orders the rows: the table sorts
by the Average it shows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine, func, select

from flip_store.schema import MetricRow, ModelRow, RunRow

CELL_METRICS = (
    "parse_fail_rate",
    "finished_rate",
    "first_shown_rate",
    "generated_tokens_per_item",
    "forward_passes_per_item",
    "acc_where_shortest_wrong",
    "acc_where_longest_wrong",
    "acc_length_controlled",
)
"""Per-run metrics a cell carries besides its accuracy (absent ones are None)."""
MAX_IDS = 2000


@dataclass(frozen=True)
class Cell:
    """One domain's accuracy for one row: the newest comparable run, and its other metrics."""

    run_id: int
    value: float
    ci_low: float | None
    ci_high: float | None
    n: int
    limited: bool
    metrics: dict[str, float | None] = field(default_factory=dict)


RowKey = tuple[str, str, str, str, str | None]


@dataclass(frozen=True)
class LeaderboardRow:
    model: str
    family: str | None
    parameters: int | None
    method: str
    profile: str
    backend: str
    prompt_hash: str | None
    domains: dict[str, Cell]

    @property
    def key(self) -> RowKey:
        """What identifies a row (a clean row and its probe rows, or FLIP and a judge of one
        model, are matched on parts of it)."""
        return (self.model, self.method, self.profile, self.backend, self.prompt_hash)

    def mean(self, metric: str, domains: Sequence[str] | None = None) -> float | None:
        """Plain mean of a cell metric over ``domains`` (default: all the row has), over the
        cells that have it; ``"acc"`` is the accuracy itself."""
        cells = [c for d, c in self.domains.items() if domains is None or d in domains]
        values = [c.value if metric == "acc" else c.metrics.get(metric) for c in cells]
        known = [v for v in values if v is not None]
        return sum(known) / len(known) if known else None


def _newest_comparable_runs(benchmark: str, include_limited: bool, variant: str):  # type: ignore[no-untyped-def]
    """Subquery: the newest run id per model, method, profile, backend, prompt, revision and
    domain; full and limited runs apart, so a later ``--limit`` run never hides a full one."""
    query = select(func.max(RunRow.id).label("id")).where(
        RunRow.benchmark == benchmark, RunRow.variant == variant
    )
    if not include_limited:
        query = query.where(RunRow.limit.is_(None))
    return query.group_by(
        RunRow.model_id,
        RunRow.method,
        RunRow.profile,
        RunRow.backend,
        RunRow.prompt_hash,
        RunRow.dataset_revision,
        RunRow.domain,
        RunRow.limit.is_(None),
    ).subquery()


def leaderboard(
    engine: Engine, benchmark: str, include_limited: bool = False, variant: str = "none"
) -> list[LeaderboardRow]:
    """The model rows of a benchmark (clean runs by default, or one variant's runs: a probed
    run never stands in for a clean one). Reference points are :mod:`.references`'."""
    newest = _newest_comparable_runs(benchmark, include_limited, variant)
    acc = MetricRow
    query = (
        select(
            RunRow.id,
            RunRow.method,
            RunRow.profile,
            RunRow.backend,
            RunRow.prompt_hash,
            RunRow.domain,
            RunRow.limit,
            RunRow.token_count_method,
            RunRow.model_id,
            ModelRow.name,
            ModelRow.family,
            ModelRow.parameters,
            acc.value,
            acc.ci_low,
            acc.ci_high,
            acc.n,
        )
        .join(newest, newest.c.id == RunRow.id)
        .join(ModelRow, ModelRow.id == RunRow.model_id)
        .join(acc, (acc.run_id == RunRow.id) & (acc.name == "acc"))
        .where(~ModelRow.is_baseline)
    )
    with engine.connect() as connection:
        cells = connection.execute(query).all()
        metrics = _cell_metrics(connection, [cell.id for cell in cells])
    rows: dict[tuple, dict] = {}
    for cell in cells:
        extras = metrics.get(cell.id, {})
        if cell.token_count_method != "tokenizer":  # counted in no unit we show
            extras.pop("generated_tokens_per_item", None)
        extras.setdefault("finished_rate", None)
        key = (cell.model_id, cell.method, cell.profile, cell.backend, cell.prompt_hash)
        row = rows.setdefault(key, {"head": cell, "cells": {}})
        candidate = Cell(
            cell.id, cell.value, cell.ci_low, cell.ci_high, cell.n, cell.limit is not None,
            {name: extras.get(name) for name in CELL_METRICS},
        )  # fmt: skip
        held = row["cells"].get(cell.domain)
        # A dataset revision belongs to one domain's data file, so a row spans revisions;
        # within a domain the newest full run wins.
        if held is None or (held.limited, -held.run_id) > (candidate.limited, -candidate.run_id):
            row["cells"][cell.domain] = candidate
    return [
        LeaderboardRow(
            model=row["head"].name,
            family=row["head"].family,
            parameters=row["head"].parameters,
            method=row["head"].method,
            profile=row["head"].profile,
            backend=row["head"].backend or "unknown",
            prompt_hash=row["head"].prompt_hash,
            domains=dict(sorted(row["cells"].items())),
        )
        for row in rows.values()
    ]


def _cell_metrics(connection, run_ids: list[int]) -> dict[int, dict[str, float]]:  # type: ignore[no-untyped-def]
    found: dict[int, dict[str, float]] = defaultdict(dict)
    for start in range(0, len(run_ids), MAX_IDS):
        for run_id, name, value in connection.execute(
            select(MetricRow.run_id, MetricRow.name, MetricRow.value).where(
                MetricRow.run_id.in_(run_ids[start : start + MAX_IDS]),
                MetricRow.name.in_(CELL_METRICS),
            )
        ):
            found[run_id][name] = value
    return found
