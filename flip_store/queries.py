"""Every read the CLI and the leaderboard make, as small functions over an engine."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from flip_store.schema import Metric, Model, Run


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
