"""flip ingest: lm-eval output (made with a fake model) into SQLite, validated and re-scored."""

from __future__ import annotations

import json
import shutil

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flip_store.database import FlipStoreError, open_engine
from flip_store.ingest import ingest_path
from flip_store.read.items import find_items, item_detail
from flip_store.read.leaderboard import leaderboard
from flip_store.schema import (
    CallRow,
    CandidateRow,
    ItemRow,
    MetricRow,
    ModelRow,
    OutcomeRow,
    RunRow,
    ScoreRow,
)


@pytest.fixture
def data_env(lm_eval_output, monkeypatch):
    monkeypatch.setenv("FLIP_DATA_DIR", str(lm_eval_output.parent / "data"))


def count(engine, table) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(table))


def copy_output(lm_eval_output, tmp_path):
    target = tmp_path / "raw"
    shutil.copytree(lm_eval_output, target)
    (results_file,) = target.rglob("results_*.json")
    return target, results_file


def test_ingest_stores_everything_once(lm_eval_output, data_env, db_url):
    engine = open_engine(db_url, create=True)
    report = ingest_path(engine, lm_eval_output, progress=lambda line: None)
    assert len(report.stored) == 2 and not report.rejected
    assert count(engine, ItemRow) == 2 and count(engine, CandidateRow) == 4  # texts stored once
    assert count(engine, CallRow) == 2 * 2 + 2 * 1
    assert count(engine, ScoreRow) == 2 * 2 * 2
    with Session(engine) as session:
        runs = {run.task: run for run in session.scalars(select(RunRow)).all()}
        flip = runs["flip_llmbar_neighbor"]
        assert flip.method == "flip" and flip.benchmark == "llmbar" and flip.domain == "neighbor"
        assert flip.prompt_hash and flip.dataset_revision.startswith("sha256:")
        acc = session.scalar(
            select(MetricRow).where(MetricRow.run_id == flip.id, MetricRow.name == "acc")
        )
        assert acc.value == 1.0 and acc.n == 2
        call = session.scalars(select(CallRow).where(CallRow.run_id == flip.id)).first()
        assert "INFERRED INSTRUCTION" in call.raw_outputs[0] and call.parse_statuses == ["ok"]
        # the fake model has no tokenizer: tokens are unknown (never counted in characters)
        assert flip.token_count_method == "unknown" and call.generated_tokens == 0
        assert call.finished is None and flip.backend == "ContentJudgeLM"
        assert not session.scalars(select(ModelRow.name).where(ModelRow.is_baseline)).all()
        outcomes = session.scalar(select(func.count()).select_from(OutcomeRow))
        assert outcomes == 2 * 2  # two runs, two items each: reference points are no runs

    again = ingest_path(engine, lm_eval_output, progress=lambda line: None)
    assert not again.stored and len(again.unchanged) == 2
    assert count(engine, RunRow) == 2 and count(engine, CallRow) == 6


def test_tampered_scores_reject_the_run_and_write_nothing(
    lm_eval_output, data_env, tmp_path, db_url
):
    raw, results_file = copy_output(lm_eval_output, tmp_path)
    results = json.loads(results_file.read_text())
    results["results"]["flip_llmbar_neighbor"]["acc,none"] = 0.5
    results_file.write_text(json.dumps(results))
    engine = open_engine(db_url, create=True)
    report = ingest_path(engine, raw, progress=lambda line: None)
    assert [line.split()[0] for line in report.rejected] == ["flip_llmbar_neighbor"]
    assert "does not match the recomputed" in report.rejected[0]
    with Session(engine) as session:
        assert session.scalars(
            select(RunRow.task).where(~RunRow.method.like("baseline%"))
        ).all() == ["judge_listwise_llmbar_neighbor"]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda rec: rec["doc"].update(gold_index=1 - rec["doc"]["gold_index"]),
            "differs from the benchmark data",
        ),
        (lambda rec: rec.update(acc=1.0 - rec["acc"]), "does not match its raw outputs"),
        (lambda rec: rec["doc"].pop("calls_shown"), "not a flip-reward-bench document"),
        (lambda rec: rec["doc"].update(item_id="llmbar:neighbor:99"), "not in the benchmark"),
    ],
)
def test_bad_samples_are_rejected_with_one_line(
    lm_eval_output, data_env, tmp_path, mutate, message
):
    raw, _ = copy_output(lm_eval_output, tmp_path)
    (samples_file,) = raw.rglob("samples_flip_llmbar_neighbor_*.jsonl")
    records = [json.loads(line) for line in samples_file.read_text().splitlines()]
    mutate(records[0])
    samples_file.write_text("".join(json.dumps(r) + "\n" for r in records))
    engine = open_engine(f"sqlite:///{tmp_path / 'flip.db'}", create=True)
    report = ingest_path(engine, raw, progress=lambda line: None)
    (rejected,) = report.rejected
    assert message in rejected and "\n" not in rejected


def test_corrupt_and_foreign_files(lm_eval_output, data_env, tmp_path, db_url):
    raw, results_file = copy_output(lm_eval_output, tmp_path)
    engine = open_engine(db_url, create=True)
    (samples,) = raw.rglob("samples_judge_listwise_*.jsonl")
    samples.unlink()
    (raw / "results_2026-01-01T00-00-00.000000.json").write_bytes(b"\xff\xfe garbage")
    foreign = json.loads(results_file.read_text())
    foreign["configs"] = {"hellaswag": {"metadata": {"version": 1}}}
    (raw / "results_2026-01-02T00-00-00.000000.json").write_text(json.dumps(foreign))
    report = ingest_path(engine, raw, progress=lambda line: None)
    assert any("not UTF-8 JSON" in line for line in report.rejected)
    assert any("hellaswag is not a flip-reward-bench task" in line for line in report.skipped)
    assert any("--log_samples" in line for line in report.rejected)
    assert [line.split()[0] for line in report.stored] == ["flip_llmbar_neighbor"]


def test_database_errors_are_one_line(tmp_path):
    with pytest.raises(FlipStoreError, match="no database at"):
        open_engine(f"sqlite:///{tmp_path / 'missing.db'}")
    with pytest.raises(FlipStoreError, match="not a database URL"):
        open_engine("not a url at all")
    path = tmp_path / "newer.db"
    engine = open_engine(f"sqlite:///{path}", create=True)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE schema_info SET version = 99")
    with pytest.raises(FlipStoreError, match="schema version 99, newer"):
        open_engine(f"sqlite:///{path}")
    foreign = tmp_path / "foreign.db"
    import sqlite3

    sqlite3.connect(foreign).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(FlipStoreError, match="not a flip results store"):
        open_engine(f"sqlite:///{foreign}", create=True)


def test_leaderboard_queries_read_the_same_on_every_backend(lm_eval_output, data_env, db_url):
    """The queries' SQL (newest-run pick, metric pivot, JSON cast) runs on SQLite and PostgreSQL."""
    engine = open_engine(db_url, create=True)
    ingest_path(engine, lm_eval_output, progress=lambda line: None)
    rows = {row.method: row for row in leaderboard(engine, "llmbar")}
    assert rows["flip"].domains["neighbor"].value == 1.0 and rows["flip"].domains["neighbor"].n == 2
    assert rows["judge_listwise"].mean("parse_fail_rate") == 0.0
    assert set(rows) == {"flip", "judge_listwise"}
    (item_id,) = [i for i in find_items(engine, "llmbar") if i.endswith(":1")]
    detail = item_detail(engine, item_id)
    flip = next(run for run in detail.runs if run.method == "flip")
    assert [call.shown for call in flip.calls] == [[0], [1]]
    assert "INFERRED INSTRUCTION" in flip.calls[0].raw_outputs[0]
    assert flip.calls[0].parse_statuses == ["ok"] and isinstance(flip.calls[0].failed, bool)


def test_a_schema_2_database_loses_its_baseline_runs_and_gains_columns(
    lm_eval_output, data_env, tmp_path
):
    """Schema 3: chance and length baselines stop being runs; runs record their backend (moved
    from the model), items a content hash, calls their finish and guard."""
    from sqlalchemy import text

    from flip_store.read.leaderboard import leaderboard

    url = f"sqlite:///{tmp_path / 'v2.db'}"
    engine = open_engine(url, create=True)
    ingest_path(engine, lm_eval_output, progress=lambda line: None)
    with engine.begin() as connection:  # what a store built by schema 2 looks like
        for table, column in (
            ("item", "content_hash"),
            ("run", "backend"),
            ("model", "file_sha256"),
            ("call", "finished"),
            ("call", "guard"),
        ):
            connection.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))
        connection.execute(text("ALTER TABLE model ADD COLUMN backend VARCHAR(40)"))
        connection.execute(text("UPDATE model SET backend = 'hf'"))
        connection.execute(
            text("INSERT INTO model (name, family, is_baseline) VALUES ('baseline: x', 'b', 1)")
        )
        connection.execute(
            text(
                "INSERT INTO run (fingerprint, model_id, task, method, benchmark, domain, "
                "variant, profile, generation_settings, seeds, raw_results, ingested_at, "
                "token_count_method) SELECT 'f', id, 'baseline_random_llmbar_neighbor', "
                "'baseline_random', 'llmbar', 'neighbor', 'none', 'none', '{}', '{}', '{}', "
                "'2026-01-01', 'none' FROM model WHERE is_baseline"
            )
        )
        connection.execute(text("UPDATE schema_info SET version = 2"))
    engine.dispose()
    migrated = open_engine(url, create=True)
    with Session(migrated) as session:
        runs = session.scalars(select(RunRow)).all()
        assert sorted(r.method for r in runs) == ["flip", "judge_listwise"]
        assert {r.backend for r in runs} == {"hf"}
        assert not session.scalars(select(ModelRow).where(ModelRow.is_baseline)).all()
        hashes = session.scalars(select(ItemRow.content_hash)).all()
        assert len(hashes) == 2 and all(len(h) == 64 for h in hashes)
    assert {row.method for row in leaderboard(migrated, "llmbar")} == {"flip", "judge_listwise"}
    again = ingest_path(migrated, lm_eval_output, progress=lambda line: None)
    assert not again.rejected  # the migrated items' hashes match this run's texts


def test_a_schema_1_database_is_migrated_with_its_verdicts(lm_eval_output, data_env, tmp_path):
    """Schema 2 adds run_verdicts; opening a schema-1 store for writing fills it from outcomes."""
    from sqlalchemy import text

    from flip_store.read.listing import list_runs
    from flip_store.read.verdicts import discordant_counts, run_verdicts

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = open_engine(url, create=True)
    ingest_path(engine, lm_eval_output, progress=lambda line: None)
    runs = {run.task: run.id for run in list_runs(engine)}
    pair = (runs["flip_llmbar_neighbor"], runs["judge_listwise_llmbar_neighbor"])
    expected = discordant_counts(engine, [pair])
    with engine.begin() as connection:  # what a store built by schema 1 looks like
        connection.execute(text("DROP TABLE run_verdicts"))
        connection.execute(text("UPDATE schema_info SET version = 1"))
    engine.dispose()
    with pytest.raises(FlipStoreError, match="schema version 1"):
        open_engine(url, read_only=True)  # a reader never migrates
    migrated = open_engine(url, create=True)
    assert set(run_verdicts(migrated, set(runs.values()))) == set(runs.values())
    assert discordant_counts(migrated, [pair]) == expected and expected[pair].n == 2
