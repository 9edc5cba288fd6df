"""One item in full with what every run made of it (the Inspect page), and finding items.

Calls are read as plain column rows whose JSON orjson decodes, not ORM objects: at leaderboard
scale an item has thousands of calls, and building tracked instances and decoding with the
standard library cost several times the query itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import orjson
from sqlalchemy import Engine, Text, cast, func, select, true
from sqlalchemy.orm import Session

from flip_store.schema import CallRow, ItemRow, ModelRow, OutcomeRow, RunRow, ScoreRow


@dataclass(frozen=True)
class ItemView:
    """An item's stored fields (plain values)."""

    id: str
    benchmark: str
    domain: str
    instruction: str
    gold_index: int | None
    dataset_source: str
    dataset_revision: str


@dataclass(frozen=True)
class CandidateView:
    position: int
    text: str
    length_chars: int
    is_chosen: bool | None
    reference_score: float | None


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
    finished: bool | None = None
    guard: dict | None = None


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
    item: ItemView
    candidates: list[CandidateView]
    runs: list[RunOnItem]


def _among(column, run_ids: Sequence[int] | None):  # type: ignore[no-untyped-def]
    """``column IN run_ids``, or no condition at all without run ids."""
    return column.in_(list(run_ids)) if run_ids else true()


_CALL_JSON_COLUMNS = (
    CallRow.shown,
    CallRow.raw_outputs,
    CallRow.parsed_values,
    CallRow.parse_statuses,
    CallRow.guard,
)


def item_detail(
    engine: Engine, item_id: str, run_ids: Sequence[int] | None = None
) -> ItemDetail | None:
    """An item with its candidates and every run's calls, scores and outcome on it.

    ``run_ids`` narrows the runs to those (the Inspect page shows two at a time).
    """
    with Session(engine) as session:
        item = session.get(ItemRow, item_id)
        if item is None:
            return None
        view = ItemView(
            item.id,
            item.benchmark,
            item.domain,
            item.instruction,
            item.gold_index,
            item.dataset_source,
            item.dataset_revision,
        )
        candidates = [
            CandidateView(c.position, c.text, c.length_chars, c.is_chosen, c.reference_score)
            for c in item.candidates
        ]
        calls: dict[int, list[CallView]] = {}
        rows = session.execute(
            select(
                CallRow.run_id,
                CallRow.call_index,
                *(cast(column, Text) for column in _CALL_JSON_COLUMNS),
                CallRow.failed,
                CallRow.generated_tokens,
                CallRow.finished,
            )
            .where(CallRow.item_id == item_id, _among(CallRow.run_id, run_ids))
            .order_by(CallRow.run_id, CallRow.call_index)
        ).all()
        for run_id, index, shown, outputs, values, statuses, guard, failed, tokens, done in rows:
            calls.setdefault(run_id, []).append(
                CallView(
                    index,
                    orjson.loads(shown),
                    orjson.loads(outputs),
                    orjson.loads(values),
                    orjson.loads(statuses),
                    bool(failed),
                    tokens,
                    None if done is None else bool(done),
                    orjson.loads(guard) if guard is not None else None,
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
        item=view,
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
