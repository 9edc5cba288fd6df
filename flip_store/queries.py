"""Every read the CLI and the leaderboard make, as small functions over an engine."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import orjson
from sqlalchemy import Engine, Text, cast, func, select, true
from sqlalchemy.orm import Session, aliased

from flip_store.schema import (
    CallRow,
    CandidateRow,
    ItemRow,
    MetricRow,
    ModelRow,
    OutcomeRow,
    RunRow,
    ScoreRow,
)


@dataclass(frozen=True)
class ModelSummary:
    name: str
    family: str | None
    parameters: int | None
    runs: int


@dataclass(frozen=True)
class RunSummary:
    id: int
    task: str
    model: str
    profile: str
    limit: float | None
    n: int
    acc: float | None


def list_models(engine: Engine) -> list[ModelSummary]:
    with Session(engine) as session:
        rows = session.execute(
            select(ModelRow.name, ModelRow.family, ModelRow.parameters, func.count(RunRow.id))
            .join(RunRow, RunRow.model_id == ModelRow.id, isouter=True)
            .group_by(ModelRow.id)
            .order_by(ModelRow.is_baseline, ModelRow.name)
        ).all()
    return [ModelSummary(*row) for row in rows]


def list_runs(engine: Engine) -> list[RunSummary]:
    with Session(engine) as session:
        rows = session.execute(
            select(
                RunRow.id,
                RunRow.task,
                ModelRow.name,
                RunRow.profile,
                RunRow.limit,
                MetricRow.n,
                MetricRow.value,
            )
            .join(ModelRow, ModelRow.id == RunRow.model_id)
            .join(
                MetricRow, (MetricRow.run_id == RunRow.id) & (MetricRow.name == "acc"), isouter=True
            )
            .order_by(RunRow.benchmark, RunRow.method, RunRow.domain, ModelRow.name)
        ).all()
    return [
        RunSummary(id=r[0], task=r[1], model=r[2], profile=r[3], limit=r[4], n=r[5] or 0, acc=r[6])
        for r in rows
    ]


@dataclass(frozen=True)
class Cell:
    """One domain's accuracy for one (model, method): the newest comparable run."""

    run_id: int
    value: float
    ci_low: float | None
    ci_high: float | None
    n: int
    limited: bool


RowKey = tuple[str, str, str, str | None]


@dataclass(frozen=True)
class LeaderboardRow:
    model: str
    family: str | None
    parameters: int | None
    is_baseline: bool
    method: str
    profile: str
    prompt_hash: str | None
    domains: dict[str, Cell]
    parse_fail_rate: float | None
    tokens_per_item: float | None

    @property
    def key(self) -> RowKey:
        """What identifies a row: model, method, profile and prompt version (a clean row and
        its probe rows, or FLIP and a judge of one model, are matched on parts of it)."""
        return (self.model, self.method, self.profile, self.prompt_hash)

    @property
    def domain_mean(self) -> float | None:
        """Plain mean of the accuracies of the domains this row has (the paper's average when it
        has all of them; the table recomputes it over the domains it shows)."""
        if not self.domains:
            return None
        return sum(cell.value for cell in self.domains.values()) / len(self.domains)


def _newest_comparable_runs(benchmark: str, include_limited: bool, variant: str):  # type: ignore[no-untyped-def]
    """Subquery: the id of the newest run per (model, method, profile, prompt, revision, domain).

    Comparable runs share the decoding profile, prompt-template hash and dataset revision
    (conventions.md); among them the highest id is the newest ingest.
    """
    query = select(func.max(RunRow.id).label("id")).where(
        RunRow.benchmark == benchmark, RunRow.variant == variant
    )
    if not include_limited:
        query = query.where(RunRow.limit.is_(None))
    # Full and limited runs are picked separately, so that a later --limit run never hides a
    # full one (the caller prefers the full run of a cell).
    return query.group_by(
        RunRow.model_id,
        RunRow.method,
        RunRow.profile,
        RunRow.prompt_hash,
        RunRow.dataset_revision,
        RunRow.domain,
        RunRow.limit.is_(None),
    ).subquery()


def leaderboard(
    engine: Engine, benchmark: str, include_limited: bool = False, variant: str = "none"
) -> list[LeaderboardRow]:
    """One row per (model, method, profile, prompt version), each domain from comparable runs.

    A cell is the newest run for its (model, method, domain) among runs with the same decoding
    profile, prompt-template hash and dataset revision (conventions.md); limited runs only
    when asked for, and then marked. ``variant`` picks clean runs (``none``, the default) or
    one robustness probe's runs: a probed run never stands in for a clean one.
    """
    # The database picks the newest run per cell and pivots its three metrics into one row, so
    # Python sees one plain tuple per cell (issue 4's p95 target: picking in Python over every
    # run's metric rows cost 100+ ms at 100 models).
    newest = _newest_comparable_runs(benchmark, include_limited, variant)
    acc = aliased(MetricRow)
    parse = aliased(MetricRow)
    tokens = aliased(MetricRow)
    query = (
        select(
            RunRow.id,
            RunRow.model_id,
            RunRow.method,
            RunRow.profile,
            RunRow.prompt_hash,
            RunRow.domain,
            RunRow.limit,
            ModelRow.name,
            ModelRow.family,
            ModelRow.parameters,
            ModelRow.is_baseline,
            acc.value,
            acc.ci_low,
            acc.ci_high,
            acc.n,
            parse.value,
            tokens.value,
        )
        .join(newest, newest.c.id == RunRow.id)
        .join(ModelRow, ModelRow.id == RunRow.model_id)
        .join(acc, (acc.run_id == RunRow.id) & (acc.name == "acc"))
        .join(parse, (parse.run_id == RunRow.id) & (parse.name == "parse_fail_rate"), isouter=True)
        .join(
            tokens,
            (tokens.run_id == RunRow.id) & (tokens.name == "generated_tokens_per_item"),
            isouter=True,
        )
    )
    with engine.connect() as connection:
        cells = connection.execute(query).all()
    rows: dict[tuple, dict] = {}
    for (
        run_id, model_id, method, profile, prompt_hash, domain, limit,
        name, family, parameters, is_baseline,
        value, low, high, n, parse_rate, tokens_per_item,
    ) in cells:  # fmt: skip
        # A dataset revision belongs to one domain's data file (LLMBar's subsets are files of
        # their own), so the row spans revisions; within a domain the newest full run wins.
        row = rows.setdefault(
            (model_id, method, profile, prompt_hash),
            {
                "head": (name, family, parameters, bool(is_baseline), method, profile, prompt_hash),
                "cells": {},
            },
        )
        cell = (Cell(run_id, value, low, high, n, limit is not None), parse_rate, tokens_per_item)
        held = row["cells"].get(domain)
        if held is None or (held[0].limited, -held[0].run_id) > (cell[0].limited, -run_id):
            row["cells"][domain] = cell
    result = []
    for row in rows.values():
        chosen = [row["cells"][domain] for domain in sorted(row["cells"])]
        result.append(
            LeaderboardRow(
                *row["head"],
                domains={domain: row["cells"][domain][0] for domain in sorted(row["cells"])},
                parse_fail_rate=_mean([parse for _, parse, _ in chosen if parse is not None]),
                tokens_per_item=_mean([tokens for _, _, tokens in chosen if tokens is not None]),
            )
        )
    return sorted(result, key=lambda r: (r.is_baseline, -(r.domain_mean or 0.0), r.model))


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass(frozen=True)
class CallView:
    """One stored model call as the Inspect page reads it (plain values, no ORM state)."""

    call_index: int
    shown: list[int]
    raw_outputs: list[str]
    parsed_values: list[object]
    parse_statuses: list[str]
    failed: bool
    generated_tokens: int


@dataclass(frozen=True)
class OutcomeView:
    """A run's verdict on one item (plain values)."""

    picked_position: int | None
    correct: bool
    tie_aware: float
    parse_fail_rate: float


@dataclass(frozen=True)
class RunOnItem:
    """What one run did on one item: its calls (raw outputs, parsed values) and verdict."""

    run_id: int
    model: str
    method: str
    task: str
    calls: list[CallView]
    scores: dict[int, float | None]
    outcome: OutcomeView
    variant: str = "none"
    """The task variant: a probe run saw its rejected candidates edited (Inspect shows how)."""


@dataclass(frozen=True)
class ItemDetail:
    item: ItemRow
    candidates: list[CandidateRow]
    runs: list[RunOnItem]


def _among(column, run_ids: Sequence[int] | None):  # type: ignore[no-untyped-def]
    """``column IN run_ids``, or no condition at all without run ids."""
    return column.in_(list(run_ids)) if run_ids else true()


_CALL_JSON_COLUMNS = (
    CallRow.shown,
    CallRow.raw_outputs,
    CallRow.parsed_values,
    CallRow.parse_statuses,
)


def item_detail(
    engine: Engine, item_id: str, run_ids: Sequence[int] | None = None
) -> ItemDetail | None:
    """An item with its candidates and every run's calls, scores and outcome on it.

    ``run_ids`` narrows the runs to those (the Inspect page shows two at a time).
    """
    with Session(engine, expire_on_commit=False) as session:
        item = session.get(ItemRow, item_id)
        if item is None:
            return None
        candidates = list(item.candidates)
        # Calls as plain column rows with their JSON decoded by orjson, not ORM objects: at
        # leaderboard scale an item has thousands of calls, and building tracked instances and
        # decoding with the standard library cost several times the query itself.
        calls: dict[int, list[CallView]] = {}
        rows = (
            session.connection()
            .execute(
                select(
                    CallRow.run_id,
                    CallRow.call_index,
                    *(cast(column, Text) for column in _CALL_JSON_COLUMNS),
                    CallRow.failed,
                    CallRow.generated_tokens,
                )
                .where(CallRow.item_id == item_id)
                .order_by(CallRow.run_id, CallRow.call_index)
            )
            .all()
        )
        for run_id, call_index, shown, outputs, values, statuses, failed, tokens in rows:
            calls.setdefault(run_id, []).append(
                CallView(
                    call_index,
                    orjson.loads(shown),
                    orjson.loads(outputs),
                    orjson.loads(values),
                    orjson.loads(statuses),
                    bool(failed),
                    tokens,
                )
            )
        scores: dict[int, dict[int, float | None]] = {}
        for run_id, position, value in session.execute(
            select(ScoreRow.run_id, ScoreRow.position, ScoreRow.value).where(
                ScoreRow.item_id == item_id, _among(ScoreRow.run_id, run_ids)
            )
        ):
            scores.setdefault(run_id, {})[position] = value
        # Every stored run has an outcome on each item it scored: one query names the runs.
        runs = session.execute(
            select(
                OutcomeRow.run_id,
                ModelRow.name,
                RunRow.method,
                RunRow.task,
                RunRow.variant,
                OutcomeRow.picked_position,
                OutcomeRow.correct,
                OutcomeRow.tie_aware,
                OutcomeRow.parse_fail_rate,
            )
            .join(RunRow, RunRow.id == OutcomeRow.run_id)
            .join(ModelRow, ModelRow.id == RunRow.model_id)
            .where(OutcomeRow.item_id == item_id, _among(OutcomeRow.run_id, run_ids))
            .order_by(OutcomeRow.run_id)
        ).all()
    return ItemDetail(
        item=item,
        candidates=candidates,
        runs=[
            RunOnItem(
                run_id,
                model,
                method,
                task,
                calls.get(run_id, []),
                scores.get(run_id, {}),
                OutcomeView(picked, bool(correct), tie_aware, fail_rate),
                variant,
            )
            for run_id, model, method, task, variant, picked, correct, tie_aware, fail_rate in runs
        ],
    )


def find_items(
    engine: Engine,
    benchmark: str,
    domain: str | None = None,
    search: str = "",
    run_a: int | None = None,
    run_b: int | None = None,
    only: str | None = None,
) -> list[str]:
    """Item ids of a benchmark (domain), optionally narrowed for the Inspect page.

    ``search`` matches the instruction (case-insensitive); ``only="disagree"`` keeps items where
    runs ``run_a`` and ``run_b`` are not both right or both wrong; ``only="a_wrong"`` keeps items
    run ``run_a`` got wrong.
    """
    query = select(ItemRow.id).where(ItemRow.benchmark == benchmark).order_by(ItemRow.id)
    if domain:
        query = query.where(ItemRow.domain == domain)
    if search:
        query = query.where(func.lower(ItemRow.instruction).contains(search.lower()))
    with Session(engine) as session:
        ids = list(session.scalars(query))
        if only is None or run_a is None:
            return ids
        correct_a = _correctness(session, run_a)
        if only == "a_wrong":
            return [i for i in ids if correct_a.get(i) is False]
        correct_b = _correctness(session, run_b)
        return [
            i for i in ids if i in correct_a and i in correct_b and correct_a[i] != correct_b[i]
        ]


def _correctness(session: Session, run_id: int | None) -> dict[str, bool]:
    rows = session.execute(
        select(OutcomeRow.item_id, OutcomeRow.correct).where(OutcomeRow.run_id == run_id)
    ).all()
    return {item_id: correct for item_id, correct in rows}
