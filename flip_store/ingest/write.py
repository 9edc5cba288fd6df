"""Writing one prepared run: one transaction, all of it or nothing.

Items and candidates are shared by every run that scored them and are stored once; an item id
already stored with other texts (another copy or revision of the data) refuses the run with a
one-line reason, so no run is ever shown against texts it did not see. The run's row is
checked against its columns (:mod:`flip_store.storable`) before the transaction opens, so
SQLite never stores what PostgreSQL would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from flip_core import __version__ as package_version
from flip_core.errors import FlipInputError
from flip_core.items import content_hash
from flip_core.likelihood import derive
from flip_core.methods import FlipLikelihoodMethod
from flip_core.selection import (
    best_of_n_accuracy,
    bootstrap_interval,
    is_strictly_correct,
    pick_best,
    tie_aware_credit,
)
from flip_store.database import session_scope
from flip_store.ingest.length_metrics import length_metrics
from flip_store.ingest.prepare import PreparedRun
from flip_store.rows import insert_missing, insert_outcomes, insert_rows, metric_rows
from flip_store.schema import CallRow, CandidateRow, ItemRow, MetricRow, ModelRow, RunRow, ScoreRow
from flip_store.storable import check_storable_row

TOKEN_SUBSET_SIZES = (1, 3)
"""Sampled runs: k whose cost (generated tokens of the first k samples) is stored."""


def write_run(engine: Engine, prepared: PreparedRun) -> bool:
    """Write one run in one transaction; False when it is already stored.

    Two processes ingesting the same run at once may both find it missing; the second then
    fails on the unique fingerprint, which means "already stored", not an error.
    """
    try:
        return _write_once(engine, prepared)
    except IntegrityError as error:
        with session_scope(engine) as session:
            stored = select(RunRow.id).where(RunRow.fingerprint == prepared.fingerprint)
            if session.scalar(stored) is not None:
                return False
        reason = str(error.orig).splitlines()[0][:200] if error.orig else "a constraint failed"
        raise FlipInputError(f"{prepared.task}: the database refused the run ({reason})") from None


def _write_once(engine: Engine, prepared: PreparedRun) -> bool:
    """Everything the run writes is built first, outside any transaction: its metrics refit
    the length regression on bootstrap resamples, seconds of CPU on a loaded machine that must
    not hold SQLite's one write lock while other writers wait on it (they give up after the
    busy timeout). The write transaction then only inserts."""
    run = _run_row(prepared)
    check_storable_row(run, "the run")
    with session_scope(engine) as session:
        stored = _stored_run_id(session, prepared)
        if stored is not None:
            _complete_token_counts(session, stored, prepared)
            return False
    rows = _result_rows(prepared)
    with session_scope(engine) as session:
        if _stored_run_id(session, prepared) is not None:
            return False  # another process stored it meanwhile
        run.model_id = _model_id(session, prepared)
        _store_items(session, prepared)
        session.add(run)
        session.flush()
        _store_results(session, run.id, rows)
    return True


def _stored_run_id(session: Session, prepared: PreparedRun) -> int | None:
    return session.scalar(select(RunRow.id).where(RunRow.fingerprint == prepared.fingerprint))


def _model_id(session: Session, prepared: PreparedRun) -> int:
    insert_missing(session, ModelRow, [prepared.model.row()], ["name"])
    return session.scalar(select(ModelRow.id).where(ModelRow.name == prepared.model.name))


def _store_items(session: Session, prepared: PreparedRun) -> None:
    items, candidates = [], []
    for item in prepared.clean_items:
        items.append(
            {
                "id": item.id,
                "benchmark": item.benchmark,
                "domain": item.domain,
                "instruction": item.instruction,
                "gold_index": item.gold_index,
                "dataset_source": prepared.dataset_source,
                "dataset_revision": prepared.dataset_revision,
                "content_hash": content_hash(item),
            }
        )
        candidates += [
            {
                "item_id": item.id,
                "position": position,
                "text": text,
                "length_chars": len(text),
                "is_chosen": None if item.gold_index is None else position == item.gold_index,
                "reference_score": None,
            }
            for position, text in enumerate(item.candidates)
        ]
    _check_stored_copies(session, items)
    insert_missing(session, ItemRow, items, ["id"])
    insert_missing(session, CandidateRow, candidates, ["item_id", "position"])


def _check_stored_copies(session: Session, items: list[dict[str, Any]]) -> None:
    """Items already stored must hold the same texts as this run's."""
    wanted = {row["id"]: row for row in items}
    ids = list(wanted)
    for start in range(0, len(ids), 500):
        for item_id, stored_hash, revision in session.execute(
            select(ItemRow.id, ItemRow.content_hash, ItemRow.dataset_revision).where(
                ItemRow.id.in_(ids[start : start + 500])
            )
        ):
            row = wanted[item_id]
            if stored_hash != row["content_hash"]:
                raise FlipInputError(
                    f"item {item_id} is stored with other texts (data revision {revision}); "
                    f"this run was checked against revision {row['dataset_revision']}: keep one "
                    "copy of the data per store"
                )


def _run_row(prepared: PreparedRun) -> RunRow:
    """The run's row, without its model (known once the model row is stored)."""
    run, spec = prepared.logged.run, prepared.spec
    config = run.config
    return RunRow(
        fingerprint=prepared.fingerprint,
        task=prepared.task,
        method=spec.method,
        benchmark=spec.benchmark,
        domain=spec.domain,
        variant=spec.variant,
        profile=prepared.profile,
        backend=prepared.backend,
        prompt_hash=prepared.samples[0].doc["prompt_hash"],
        dataset_revision=prepared.dataset_revision,
        limit=config.limit,
        lm_eval_version=run.lm_eval_version,
        package_version=package_version,
        generation_settings=prepared.logged.config.generation_kwargs or {},
        seeds={
            "random_seed": config.random_seed,
            "numpy_seed": config.numpy_seed,
            "torch_seed": config.torch_seed,
            "method": prepared.method.settings,
        },
        evaluated_at=run.evaluated_at,
        ingested_at=datetime.now(UTC),
        token_count_method=prepared.token_count_method,
        source_path=str(prepared.logged.results_file),
        verified=True,  # every score was recomputed from the raw outputs
        raw_results=run.storable(),
    )


@dataclass(frozen=True)
class _ResultRows:
    """A run's calls, scores, outcomes and metrics as rows, without the run id yet."""

    calls: list[dict[str, Any]]
    scores: list[dict[str, Any]]
    outcomes: list[dict[str, Any]]
    metrics: dict[str, Any]


def _result_rows(prepared: PreparedRun) -> _ResultRows:
    calls, scores, outcomes = [], [], []
    units = prepared.scored_units or [None] * len(prepared.samples)
    likelihood = not prepared.method.generative
    for sample, item_scores, costs, item_units in zip(
        prepared.samples, prepared.scored, prepared.costs, units, strict=True
    ):
        item = sample.item
        derived = None  # generative calls: parsed values as the method read them
        if likelihood:
            derived = [d.to_dict() for d in derive([o[0] for o in sample.outputs], item_units)]
        annotations = prepared.method.call_annotations(item)
        for index, (call, outputs, cost) in enumerate(
            zip(item_scores.calls, sample.outputs, costs, strict=True)
        ):
            calls.append(
                {
                    "item_id": item.id,
                    "call_index": index,
                    "shown": list(call.shown),
                    "raw_outputs": [list(o) for o in outputs] if likelihood else outputs,
                    "parsed_values": [derived[index]] if derived else list(call.values),
                    "parse_statuses": [status.value for status in call.statuses],
                    "failed": call.failed,
                    "generated_tokens": cost.total or 0,
                    "finished": cost.finished,
                    "guard": annotations[index],
                }
            )
        scores += [
            {"item_id": item.id, "position": position, "value": value}
            for position, value in enumerate(item_scores.scores)
        ]
        outcomes.append(
            {
                "item_id": item.id,
                "picked_position": pick_best(item_scores.scores),
                "correct": is_strictly_correct(item_scores.scores, item.gold_index),
                "tie_aware": tie_aware_credit(item_scores.scores, item.gold_index),
                "parse_fail_rate": item_scores.parse_fail_rate,
            }
        )
    return _ResultRows(calls, scores, outcomes, run_metrics(prepared))


def _store_results(session: Session, run_id: int, rows: _ResultRows) -> None:
    def of_run(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"run_id": run_id, **record} for record in records]

    insert_rows(session, CallRow, of_run(rows.calls))
    insert_rows(session, ScoreRow, of_run(rows.scores))
    insert_outcomes(session, run_id, of_run(rows.outcomes))
    insert_rows(session, MetricRow, metric_rows(run_id, rows.metrics))


def run_metrics(prepared: PreparedRun) -> dict[str, Any]:
    """The run's metrics with 95% intervals: accuracy from the strict and tie-aware credits,
    every other per-item metric of the method (``Method.item_metrics``) averaged, the finished
    rate of generative calls, and the cost per item (generated tokens where they are known;
    forward passes for likelihood methods)."""
    items = [sample.item for sample in prepared.samples]
    accuracy = best_of_n_accuracy(
        [s.scores for s in prepared.scored], [i.gold_index for i in items]
    )
    intervals: dict[str, Any] = {"acc": accuracy.strict, "acc_tie_aware": accuracy.tie_aware}
    per_item: dict[str, list[float]] = {}
    units = prepared.scored_units or [None] * len(items)
    tokens_known = prepared.token_count_method == "tokenizer"
    for sample, scored, costs, item_units in zip(
        prepared.samples, prepared.scored, prepared.costs, units, strict=True
    ):
        metrics = prepared.method.item_metrics(
            sample.item, scored, sample.outputs, prepared.sampled
        )
        metrics = {k: v for k, v in metrics.items() if k not in intervals}
        if prepared.method.generative and tokens_known:
            metrics |= _cost_metrics(costs, prepared.sampled)
        first_shown = prepared.method.first_shown_share(scored)
        if first_shown is not None:
            metrics["first_shown_rate"] = first_shown
        if isinstance(prepared.method, FlipLikelihoodMethod):
            if item_units:
                metrics |= prepared.method.per_token_metrics(metrics, item_units)
            metrics["forward_passes_per_item"] = float(len(scored.calls))
            metrics["generated_tokens_per_item"] = 0.0  # teacher forcing generates nothing
        for name, value in metrics.items():
            per_item.setdefault(name, []).append(value)
    intervals.update({name: bootstrap_interval(values) for name, values in per_item.items()})
    correct = [
        is_strictly_correct(s.scores, i.gold_index)
        for s, i in zip(prepared.scored, items, strict=True)
    ]
    intervals.update(length_metrics(items, correct))
    return intervals


def _cost_metrics(costs: list[Any], sampled: bool) -> dict[str, float]:
    """Generated tokens of one item (of the first k samples for sampled runs) and the share
    of its calls that finished by themselves."""
    metrics = {"generated_tokens_per_item": float(sum(cost.total for cost in costs))}
    if sampled:
        for k in TOKEN_SUBSET_SIZES:
            metrics[f"generated_tokens_per_item_k{k}"] = float(
                sum(sum(cost.tokens[:k]) for cost in costs)
            )
    known = [cost.finished for cost in costs if cost.finished is not None]
    if known:
        metrics["finished_rate"] = sum(known) / len(known)
    return metrics


def _complete_token_counts(session: Session, run_id: int, prepared: PreparedRun) -> None:
    """A run stored where the tokenizer was missing gets its counts when a later ingest has
    them (the same run: identical fingerprint), so the first ingest does not win."""
    stored = session.get(RunRow, run_id)
    if stored is None or stored.token_count_method == "tokenizer":
        return
    if prepared.token_count_method != "tokenizer" or not prepared.method.generative:
        return
    by_key = {}
    for sample, costs in zip(prepared.samples, prepared.costs, strict=True):
        for index, cost in enumerate(costs):
            by_key[(sample.item.id, index)] = cost
    for call in session.scalars(select(CallRow).where(CallRow.run_id == run_id)):
        cost = by_key.get((call.item_id, call.call_index))
        if cost is not None:
            call.generated_tokens, call.finished = cost.total or 0, cost.finished
    stored.token_count_method = "tokenizer"
    metrics = run_metrics(prepared)
    session.query(MetricRow).filter(MetricRow.run_id == run_id).delete()
    insert_rows(session, MetricRow, metric_rows(run_id, metrics))
