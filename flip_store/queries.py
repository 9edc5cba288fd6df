"""Every read the CLI and the leaderboard make, as small functions over an engine."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from flip_store.schema import Call, Candidate, Item, Metric, Model, Outcome, Run, Score


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
            select(Model.name, Model.family, Model.parameters, func.count(Run.id))
            .join(Run, Run.model_id == Model.id, isouter=True)
            .group_by(Model.id)
            .order_by(Model.is_baseline, Model.name)
        ).all()
    return [ModelSummary(*row) for row in rows]


def list_runs(engine: Engine) -> list[RunSummary]:
    with Session(engine) as session:
        rows = session.execute(
            select(Run.id, Run.task, Model.name, Run.profile, Run.limit, Metric.n, Metric.value)
            .join(Model, Model.id == Run.model_id)
            .join(Metric, (Metric.run_id == Run.id) & (Metric.name == "acc"), isouter=True)
            .order_by(Run.benchmark, Run.method, Run.domain, Model.name)
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
    def domain_mean(self) -> float | None:
        """Plain mean of the domain accuracies (the paper's average); None if any is missing."""
        if not self.domains:
            return None
        return sum(cell.value for cell in self.domains.values()) / len(self.domains)


_ROW_METRICS = ("acc", "parse_fail_rate", "generated_tokens_per_item")


def leaderboard(
    engine: Engine, benchmark: str, include_limited: bool = False
) -> list[LeaderboardRow]:
    """One row per (model, method, profile, prompt version), each domain from comparable runs.

    A cell is the newest run for its (model, method, domain) among runs with the same decoding
    profile, prompt-template hash and dataset revision (conventions.md); limited runs only
    when asked for, and then marked.
    """
    # Plain columns, not ORM entities: a run row carries its whole raw results JSON, which the
    # table never needs (loading it made this query 10x slower at leaderboard scale).
    run_filter = [Run.benchmark == benchmark]
    if not include_limited:
        run_filter.append(Run.limit.is_(None))
    run = (
        select(
            Run.id,
            Run.method,
            Run.profile,
            Run.prompt_hash,
            Run.dataset_revision,
            Run.domain,
            Run.limit,
            Run.model_id,
        )
        .where(*run_filter)
        .subquery()
    )
    query = (
        select(
            run,
            Model.name.label("model_name"),
            Model.family,
            Model.parameters,
            Model.is_baseline,
            Metric.name.label("metric"),
            Metric.value,
            Metric.ci_low,
            Metric.ci_high,
            Metric.n,
        )
        .join(Model, Model.id == run.c.model_id)
        .join(Metric, Metric.run_id == run.c.id)
        .where(Metric.name.in_(_ROW_METRICS))
    )
    newest: dict[tuple, dict] = {}
    with Session(engine) as session:
        for r in session.execute(query).all():
            key = (r.model_id, r.method, r.profile, r.prompt_hash, r.dataset_revision, r.domain)
            entry = newest.get(key)
            if entry is None or entry["run"].id < r.id:
                entry = newest[key] = {"run": r, "model": r, "metrics": {}}
            if entry["run"].id == r.id:
                entry["metrics"][r.metric] = (r.value, r.ci_low, r.ci_high, r.n)
    rows: dict[tuple, dict] = {}
    for (model_id, method, profile, prompt_hash, _revision, domain), entry in newest.items():
        row = rows.setdefault(
            (model_id, method, profile, prompt_hash),
            {"model": entry["model"], "cells": {}, "parse": [], "tokens": []},
        )
        value, low, high, n = entry["metrics"]["acc"]
        row["cells"][domain] = Cell(
            entry["run"].id, value, low, high, n, entry["run"].limit is not None
        )
        if "parse_fail_rate" in entry["metrics"]:
            row["parse"].append(entry["metrics"]["parse_fail_rate"][0])
        if "generated_tokens_per_item" in entry["metrics"]:
            row["tokens"].append(entry["metrics"]["generated_tokens_per_item"][0])
    result = []
    for (_, method, profile, prompt_hash), row in rows.items():
        model = row["model"]
        result.append(
            LeaderboardRow(
                model=model.model_name,
                family=model.family,
                parameters=model.parameters,
                is_baseline=model.is_baseline,
                method=method,
                profile=profile,
                prompt_hash=prompt_hash,
                domains=dict(sorted(row["cells"].items())),
                parse_fail_rate=sum(row["parse"]) / len(row["parse"]) if row["parse"] else None,
                tokens_per_item=sum(row["tokens"]) / len(row["tokens"]) if row["tokens"] else None,
            )
        )
    return sorted(result, key=lambda r: (r.is_baseline, -(r.domain_mean or 0.0), r.model))


@dataclass(frozen=True)
class RunOnItem:
    """What one run did on one item: its calls (raw outputs, parsed values) and verdict."""

    run_id: int
    model: str
    method: str
    task: str
    calls: list[Call]
    scores: dict[int, float | None]
    outcome: Outcome | None


@dataclass(frozen=True)
class ItemDetail:
    item: Item
    candidates: list[Candidate]
    runs: list[RunOnItem]


def item_detail(engine: Engine, item_id: str) -> ItemDetail | None:
    """An item with its candidates and every run's calls, scores and outcome on it."""
    with Session(engine, expire_on_commit=False) as session:
        item = session.get(Item, item_id)
        if item is None:
            return None
        candidates = list(item.candidates)
        calls: dict[int, list[Call]] = {}
        for call in session.scalars(
            select(Call).where(Call.item_id == item_id).order_by(Call.run_id, Call.call_index)
        ):
            calls.setdefault(call.run_id, []).append(call)
        scores: dict[int, dict[int, float | None]] = {}
        for score in session.scalars(select(Score).where(Score.item_id == item_id)):
            scores.setdefault(score.run_id, {})[score.position] = score.value
        outcomes = {
            o.run_id: o for o in session.scalars(select(Outcome).where(Outcome.item_id == item_id))
        }
        run_ids = sorted(set(calls) | set(outcomes))
        runs = session.execute(
            select(Run.id, Model.name, Run.method, Run.task)
            .join(Model, Model.id == Run.model_id)
            .where(Run.id.in_(run_ids))
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
                outcomes.get(run_id),
            )
            for run_id, model, method, task in runs
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
    query = select(Item.id).where(Item.benchmark == benchmark).order_by(Item.id)
    if domain:
        query = query.where(Item.domain == domain)
    if search:
        query = query.where(func.lower(Item.instruction).contains(search.lower()))
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
        select(Outcome.item_id, Outcome.correct).where(Outcome.run_id == run_id)
    ).all()
    return {item_id: correct for item_id, correct in rows}
