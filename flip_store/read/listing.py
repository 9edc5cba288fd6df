"""What the store holds, listed (``flip runs``, the leaderboard's run pickers)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from flip_store.schema import MetricRow, ModelRow, RunRow


@dataclass(frozen=True)
class ModelSummary:
    name: str
    family: str | None
    parameters: int | None
    runs: int


@dataclass(frozen=True)
class RunSummary:
    """One stored run as ``flip runs`` lists it: what it is, its decoding budget, its headline
    accuracy with the interval, and whether its calls parsed and finished (docs/conventions.md,
    "Finished rate of a call": a judge cut off at the budget is no judge)."""

    id: int
    task: str
    model: str
    method: str
    benchmark: str
    variant: str
    profile: str
    backend: str | None
    limit: float | None
    max_new_tokens: int | None
    """The generation budget the run logged (None for likelihood methods: nothing generated)."""
    n: int
    acc: float | None
    acc_ci: tuple[float, float] | None = None
    parse_fail_rate: float | None = None
    finished_rate: float | None = None


LISTED_METRICS = ("acc", "parse_fail_rate", "finished_rate")


def list_models(engine: Engine) -> list[ModelSummary]:
    with Session(engine) as session:
        rows = session.execute(
            select(ModelRow.name, ModelRow.family, ModelRow.parameters, func.count(RunRow.id))
            .join(RunRow, RunRow.model_id == ModelRow.id, isouter=True)
            .group_by(ModelRow.id)
            .order_by(ModelRow.is_baseline, ModelRow.name)
        ).all()
    return [ModelSummary(*row) for row in rows]


def list_runs(engine: Engine, benchmark: str | None = None) -> list[RunSummary]:
    """Every run (of ``benchmark`` when given), by benchmark, method, domain and model."""
    with Session(engine) as session:
        query = (
            select(
                RunRow.id,
                RunRow.task,
                ModelRow.name,
                RunRow.method,
                RunRow.benchmark,
                RunRow.variant,
                RunRow.profile,
                RunRow.backend,
                RunRow.limit,
                RunRow.generation_settings,
            )
            .join(ModelRow, ModelRow.id == RunRow.model_id)
            .order_by(RunRow.benchmark, RunRow.method, RunRow.domain, ModelRow.name, RunRow.id)
        )
        if benchmark is not None:
            query = query.where(RunRow.benchmark == benchmark)
        rows = session.execute(query).all()
        metrics: dict[int, dict[str, MetricRow]] = {}
        for metric in session.scalars(
            select(MetricRow).where(
                MetricRow.name.in_(LISTED_METRICS), MetricRow.run_id.in_([row[0] for row in rows])
            )
        ):
            metrics.setdefault(metric.run_id, {})[metric.name] = metric
    return [_summary(row, metrics.get(row[0], {})) for row in rows]


def _summary(row: Any, metrics: dict[str, MetricRow]) -> RunSummary:
    *identity, settings = row
    acc = metrics.get("acc")
    budget = (settings or {}).get("max_gen_toks")
    return RunSummary(
        *identity,
        max_new_tokens=budget if isinstance(budget, int) else None,
        n=acc.n if acc and acc.n else 0,
        acc=acc.value if acc else None,
        acc_ci=(acc.ci_low, acc.ci_high)
        if acc and acc.ci_low is not None and acc.ci_high is not None
        else None,
        parse_fail_rate=_value(metrics, "parse_fail_rate"),
        finished_rate=_value(metrics, "finished_rate"),
    )


def _value(metrics: dict[str, MetricRow], name: str) -> float | None:
    metric = metrics.get(name)
    return None if metric is None else metric.value
