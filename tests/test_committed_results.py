"""The project's committed runs (every folder under results/raw/) store cleanly, re-scored to
what lm-eval reported: the README's numbers are reproducible from the raw outputs alone. Runs
of the same model and method on different backends stay apart on the board."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import REPO_ROOT
from sqlalchemy import select
from sqlalchemy.orm import Session

from flip_store.database import open_engine
from flip_store.ingest import ingest_path
from flip_store.read.leaderboard import leaderboard
from flip_store.schema import MetricRow, RunRow

RAW = REPO_ROOT / "results" / "raw"
BUNDLED_HF = "llmbar-smollm2-135m-cpu"
BUNDLED_LLAMACPP = "llmbar-smollm2-135m-cpu-llamacpp"
BUNDLED_ZOO_DEFAULT = "llmbar-smollm2-135m-default-llamacpp"


def _reported() -> dict[tuple[str, str], float]:
    """(run folder, task) -> the accuracy lm-eval reported, for every committed results file."""
    reported = {}
    for results_file in RAW.rglob("results_*.json"):
        folder = results_file.relative_to(RAW).parts[0]
        for task, metrics in json.loads(results_file.read_text())["results"].items():
            reported[folder, task] = metrics["acc,none"]
    return reported


def test_committed_runs_ingest_and_match_lm_eval(real_data_dir, tmp_path):
    reported = _reported()
    assert (BUNDLED_HF, "flip_llmbar_neighbor") in reported
    assert (BUNDLED_LLAMACPP, "flip_llmbar_neighbor") in reported

    engine = open_engine(f"sqlite:///{tmp_path / 'flip.db'}", create=True)
    report = ingest_path(engine, RAW, progress=lambda line: None)
    assert not report.rejected and len(report.stored) == len(reported)
    with Session(engine) as session:
        rows = session.execute(
            select(RunRow.source_path, RunRow.task, MetricRow.value)
            .join(MetricRow, MetricRow.run_id == RunRow.id)
            .where(MetricRow.name == "acc")
        ).all()
    stored = {(Path(path).relative_to(RAW).parts[0], task): value for path, task, value in rows}
    assert stored.keys() == reported.keys()
    for key, value in reported.items():
        assert abs(stored[key] - value) < 1e-9, key

    # The bundled model's FLIP: one row per backend and decoding profile, each cell from its
    # own run (the cpu profile on both backends, the default profile on llama.cpp).
    bundled_flip = {
        (row.backend, row.profile): row.domains["neighbor"].value
        for row in leaderboard(engine, "llmbar")
        if row.method == "flip" and "SmolLM2-135M" in row.model
    }
    assert bundled_flip == {
        ("hf", "cpu"): reported[BUNDLED_HF, "flip_llmbar_neighbor"],
        ("llamacpp", "cpu"): reported[BUNDLED_LLAMACPP, "flip_llmbar_neighbor"],
        ("llamacpp", "default"): reported[BUNDLED_ZOO_DEFAULT, "flip_llmbar_neighbor"],
    }


def test_committed_pairwise_verdicts_reread_under_the_conclusion_reading():
    """benchmarks/judge_verdict_reading.py re-scores the committed pairwise and listwise judges
    of the 0.5B (its strict re-score checked against lm-eval's per-item accuracy) under both
    readings."""
    folder = RAW / "llmbar-qwen2.5-coder-0.5b-default-llamacpp"
    done = subprocess.run(
        [sys.executable, "benchmarks/judge_verdict_reading.py", str(folder)],
        capture_output=True, text=True, cwd=REPO_ROOT, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    lines = {line.split(":")[0].split("/")[1]: line for line in done.stdout.splitlines()}
    pairwise = lines["judge_pairwise_llmbar_neighbor"]
    assert "unparsed verdicts 67.5% strict, 31.0% concluded" in pairwise
    assert "first-shown response 95.7%" in pairwise and "FLIP 59.7" in pairwise
    listwise = lines["judge_listwise_llmbar_neighbor"]
    assert "unparsed verdicts 45.5% strict, 34.3% concluded" in listwise
    assert "accuracy 29.1 strict, 37.3 concluded" in listwise
