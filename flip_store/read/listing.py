"""What the store holds, listed (``flip runs``, the leaderboard's run pickers)."""

from __future__ import annotations

from dataclasses import dataclass

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
    id: int
    task: str
    model: str
    method: str
    benchmark: str
    profile: str
    backend: str | None
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
                RunRow.method,
                RunRow.benchmark,
                RunRow.profile,
                RunRow.backend,
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
    return [RunSummary(*row[:8], n=row[8] or 0, acc=row[9]) for row in rows]
