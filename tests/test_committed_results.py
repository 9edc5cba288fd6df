"""The project's committed LLMBar runs (results/raw/) store cleanly, re-scored to what lm-eval
reported: the README's numbers are reproducible from the raw outputs alone."""

from __future__ import annotations

import json

from conftest import REPO_ROOT
from sqlalchemy import select
from sqlalchemy.orm import Session

from flip_store.database import open_engine
from flip_store.ingest import ingest_path
from flip_store.schema import MetricRow, RunRow

COMMITTED = REPO_ROOT / "results" / "raw" / "llmbar-smollm2-135m-cpu"


def test_committed_runs_ingest_and_match_lm_eval(real_data_dir, tmp_path):
    reported = {}
    for results_file in COMMITTED.rglob("results_*.json"):
        for task, metrics in json.loads(results_file.read_text())["results"].items():
            reported[task] = metrics["acc,none"]
    assert "flip_llmbar_neighbor" in reported and len(reported) >= 6

    engine = open_engine(f"sqlite:///{tmp_path / 'flip.db'}", create=True)
    report = ingest_path(engine, COMMITTED, progress=lambda line: None)
    assert not report.rejected and len(report.stored) == len(reported)
    with Session(engine) as session:
        stored = dict(
            session.execute(
                select(RunRow.task, MetricRow.value)
                .join(MetricRow, MetricRow.run_id == RunRow.id)
                .where(MetricRow.name == "acc", ~RunRow.method.like("baseline%"))
            ).all()
        )
    assert stored.keys() == reported.keys()
    for task, value in reported.items():
        assert abs(stored[task] - value) < 1e-9, task
