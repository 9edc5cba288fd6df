"""Model-free reference runs, computed from the stored items (conventions.md).

Per benchmark domain, three runs with baseline "models": a uniformly random pick (its
expected accuracy, 1/N per item), always the longest candidate, always the shortest (ties at
the top count as wrong, as for every method). They are refreshed whenever the domain's stored
items change, so they always describe exactly the items the models were scored on.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from flip_core.baselines import chance_accuracy, length_scores
from flip_core.selection import bootstrap_interval, is_strictly_correct, pick_best, tie_aware_credit
from flip_store.rows import delete_run, insert_missing, insert_outcomes, insert_rows, metric_rows
from flip_store.schema import ItemRow, MetricRow, ModelRow, RunRow

BASELINES = {
    "baseline_random": "baseline: random pick (expected value)",
    "baseline_longest": "baseline: always the longest",
    "baseline_shortest": "baseline: always the shortest",
}


def refresh_baselines(session: Session, benchmark: str, domain: str) -> None:
    items = session.scalars(
        select(ItemRow)
        .where(
            ItemRow.benchmark == benchmark,
            ItemRow.domain == domain,
            ItemRow.gold_index.is_not(None),
        )
        .options(selectinload(ItemRow.candidates))
        .order_by(ItemRow.id)
    ).all()
    if not items:
        return
    digest = hashlib.sha256(f"{benchmark}:{domain}:".encode())
    for item in items:
        digest.update(item.id.encode() + b"\0" + item.dataset_revision.encode() + b"\n")
    for method, model_name in BASELINES.items():
        fingerprint = hashlib.sha256(f"{method}:{digest.hexdigest()}".encode()).hexdigest()
        if session.scalar(select(RunRow.id).where(RunRow.fingerprint == fingerprint)) is not None:
            continue
        insert_missing(
            session,
            ModelRow,
            [{"name": model_name, "family": "baseline", "is_baseline": True}],
            ["name"],
        )
        model_id = session.scalar(select(ModelRow.id).where(ModelRow.name == model_name))
        for stale in session.scalars(
            select(RunRow.id).where(
                RunRow.model_id == model_id, RunRow.benchmark == benchmark, RunRow.domain == domain
            )
        ).all():
            delete_run(session, stale)
        run = RunRow(
            fingerprint=fingerprint,
            model_id=model_id,
            task=f"{method}_{benchmark}_{domain}",
            method=method,
            benchmark=benchmark,
            domain=domain,
            profile="none",
            dataset_revision=items[0].dataset_revision,
            ingested_at=datetime.now(UTC),
            token_count_method="none",
        )
        session.add(run)
        session.flush()
        strict, outcomes = [], []
        for item in items:
            texts = [c.text for c in item.candidates]
            if method == "baseline_random":
                expected = chance_accuracy(len(texts))
                outcomes.append(
                    {
                        "run_id": run.id,
                        "item_id": item.id,
                        "picked_position": None,
                        "correct": False,
                        "tie_aware": expected,
                        "parse_fail_rate": 0.0,
                    }
                )
                strict.append(expected)
                continue
            scores = length_scores(texts, method.removeprefix("baseline_"))
            correct = is_strictly_correct(scores, item.gold_index)
            outcomes.append(
                {
                    "run_id": run.id,
                    "item_id": item.id,
                    "picked_position": pick_best(scores),
                    "correct": correct,
                    "tie_aware": tie_aware_credit(scores, item.gold_index),
                    "parse_fail_rate": 0.0,
                }
            )
            strict.append(float(correct))
        insert_outcomes(session, run.id, outcomes)
        tie_aware = [outcome["tie_aware"] for outcome in outcomes]
        insert_rows(
            session,
            MetricRow,
            metric_rows(
                run.id,
                {"acc": bootstrap_interval(strict), "acc_tie_aware": bootstrap_interval(tie_aware)},
            ),
        )
