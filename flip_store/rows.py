"""Row-level helpers shared by ingest and the baselines: idempotent inserts and run deletion."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from flip_core.selection import Interval
from flip_store.schema import Base, CallRow, MetricRow, OutcomeRow, RunRow, RunVerdictsRow, ScoreRow

_CHUNK = 500


def insert_missing(
    session: Session, table: type[Base], rows: Sequence[dict[str, Any]], keys: list[str]
) -> None:
    """Insert rows whose key is not stored yet (items and candidates are shared by runs).

    ``INSERT ... ON CONFLICT DO NOTHING`` makes two concurrent ingests of runs over the same
    items both succeed instead of one failing on a duplicate key.
    """
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    module = {"sqlite": sqlite, "postgresql": postgresql}.get(dialect)
    unique = list({tuple(row[k] for k in keys): row for row in rows}.values())
    if module is not None:
        statement = module.insert(table).on_conflict_do_nothing(index_elements=keys)
        session.execute(statement, unique)  # executemany: compiled once, not per row
        return
    # Other back ends: look first (without the concurrent-ingest guarantee).
    columns = [getattr(table, k) for k in keys]
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        wanted = [tuple(row[k] for k in keys) for row in chunk]
        present = set(session.execute(select(*columns).where(tuple_(*columns).in_(wanted))))
        missing = [row for row, key in zip(chunk, wanted, strict=True) if key not in present]
        if missing:
            session.execute(table.__table__.insert(), missing)


def insert_rows(session: Session, table: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """Plain bulk insert (executemany) of new rows, much faster than ORM objects one by one."""
    if rows:
        session.execute(table.__table__.insert(), list(rows))


def insert_outcomes(session: Session, run_id: int, outcomes: Sequence[dict[str, Any]]) -> None:
    """A run's outcome rows, and its verdicts gathered in one row (:class:`RunVerdictsRow`)."""
    insert_rows(session, OutcomeRow, outcomes)
    verdicts = {row["item_id"]: bool(row["correct"]) for row in outcomes}
    insert_rows(session, RunVerdictsRow, [{"run_id": run_id, "verdicts": verdicts}])


def delete_run(session: Session, run_id: int) -> None:
    """Remove a run and everything that belongs to it (items stay: other runs share them)."""
    for table in (MetricRow, RunVerdictsRow, OutcomeRow, ScoreRow, CallRow):
        session.execute(delete(table).where(table.run_id == run_id))
    session.execute(delete(RunRow).where(RunRow.id == run_id))


def metric_rows(run_id: int, intervals: dict[str, Interval]) -> list[dict[str, Any]]:
    """Metric rows of a run from named intervals (value, 95% bounds, n)."""
    return [
        {
            "run_id": run_id,
            "name": name,
            "value": i.value,
            "ci_low": i.low,
            "ci_high": i.high,
            "n": i.n,
        }
        for name, i in intervals.items()
    ]
