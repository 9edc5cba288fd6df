"""The reranking board: each stored reranking run's mean reference score of its picks, beside
the model-free reference points on the same prompts.

Runs may cover different prompts (a model reranker still running, a refused prompt), so every
row carries its own reference points computed over exactly its prompts from the stored
candidates: the expected score of a uniformly random pick, always the longest, always the
shortest (first of tied lengths, as ``flip rerank`` picks) and the oracle (the best candidate).
Per (model, method, profile) the newest run is shown, with whether the store re-derived its
scores from the logged raw outputs (``verified``) or took them as submitted.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from statistics import mean
from typing import Any

from sqlalchemy import Engine, Row, func, select

from flip_core.selection import Interval, pick_best
from flip_store.schema import CandidateRow, MetricRow, ModelRow, OutcomeRow, RunRow


@dataclass(frozen=True)
class RerankRow:
    """One reranking run: its picks' mean reference score [CI] and the reference points."""

    run_id: int
    model: str
    method: str
    profile: str
    picked: Interval
    oracle_hit_rate: float | None
    refused: int
    random_expected: float
    longest: float
    shortest: float
    oracle: float
    verified: bool
    """Every score was re-derived at ingest; False: submitted, unverified (a picker whose
    scores only its model can recompute, such as FLIP-likelihood's)."""


def rerank_board(engine: Engine, benchmark: str) -> list[RerankRow]:
    """The newest reranking run per model, method and profile on ``benchmark``, best first."""
    newest = (
        select(func.max(RunRow.id))
        .where(RunRow.benchmark == benchmark, RunRow.task.like("rerank\\_%", escape="\\"))
        .group_by(RunRow.model_id, RunRow.method, RunRow.profile)
    )
    with engine.connect() as connection:
        runs = connection.execute(
            select(RunRow.id, ModelRow.name, RunRow.method, RunRow.profile, RunRow.verified)
            .join(ModelRow, ModelRow.id == RunRow.model_id)
            .where(RunRow.id.in_(newest))
        ).all()
        if not runs:
            return []
        ids = [run.id for run in runs]
        metrics: dict[int, dict[str, tuple]] = defaultdict(dict)
        for run_id, name, value, low, high, n in connection.execute(
            select(
                MetricRow.run_id,
                MetricRow.name,
                MetricRow.value,
                MetricRow.ci_low,
                MetricRow.ci_high,
                MetricRow.n,
            ).where(MetricRow.run_id.in_(ids))
        ):
            metrics[run_id][name] = (value, low, high, n)
        items: dict[int, list[str]] = defaultdict(list)
        for run_id, item_id in connection.execute(
            select(OutcomeRow.run_id, OutcomeRow.item_id).where(OutcomeRow.run_id.in_(ids))
        ):
            items[run_id].append(item_id)
        candidates: dict[str, list[tuple[int, float]]] = defaultdict(list)
        wanted = {item for run_items in items.values() for item in run_items}
        for item_id, length, reference in connection.execute(
            select(CandidateRow.item_id, CandidateRow.length_chars, CandidateRow.reference_score)
            .where(CandidateRow.item_id.like(f"{benchmark}:%"))
            .order_by(CandidateRow.item_id, CandidateRow.position)
        ):
            if item_id in wanted:
                candidates[item_id].append((length, reference))
    rows = [_row(run, metrics[run.id], [candidates[i] for i in items[run.id]]) for run in runs]
    return sorted(rows, key=lambda row: -row.picked.value)


def _row(
    run: Row[Any], metrics: dict[str, tuple], prompts: list[list[tuple[int, float]]]
) -> RerankRow:
    """A run's row: its stored metrics and the reference points over its prompts
    (``prompts``: per prompt, each candidate's (length, reference score))."""
    value, low, high, n = metrics["mean_reference_score"]
    hit = metrics.get("oracle_hit_rate")
    refused = metrics.get("refused_prompts")
    return RerankRow(
        run_id=run.id,
        model=run.name,
        method=run.method,
        profile=run.profile,
        picked=Interval(value, low, high, n),
        oracle_hit_rate=None if hit is None else hit[0],
        refused=0 if refused is None else int(refused[0]),
        random_expected=mean(mean(r for _, r in c) for c in prompts),
        longest=mean(c[pick_best([length for length, _ in c])][1] for c in prompts),
        shortest=mean(c[pick_best([-length for length, _ in c])][1] for c in prompts),
        oracle=mean(max(r for _, r in c) for c in prompts),
        verified=bool(run.verified),
    )
