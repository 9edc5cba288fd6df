"""The store under concurrency and failure: atomic runs, concurrent ingests, locks, read-only."""

from __future__ import annotations

import sqlite3
import subprocess

import pytest
from cli_runner import BIN
from harness_fakes import ContentJudgeLM, crafted_environment
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import flip_store.ingest.write as ingest_module
from flip_cli.harness_run import run_tasks
from flip_store.database import FlipStoreError, open_engine
from flip_store.ingest import ingest_path
from flip_store.schema import CallRow, MetricRow, OutcomeRow, RunRow

FLIP = str(BIN / "flip")
TASKS = ["flip_llmbar_gptout", "judge_pointwise_llmbar_gptout", "judge_listwise_llmbar_gptout"]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """Two lm-eval output folders over the same items (three tasks each)."""
    root = tmp_path_factory.mktemp("reliability")
    with crafted_environment(root):
        run_tasks(ContentJudgeLM(), TASKS, root / "a")
        run_tasks(ContentJudgeLM(mode="garbage"), TASKS, root / "b")
    return root


@pytest.fixture
def data_env(outputs, monkeypatch):
    monkeypatch.setenv("FLIP_DATA_DIR", str(outputs / "data"))


def model_runs(engine) -> list[RunRow]:
    with Session(engine) as session:
        return session.scalars(select(RunRow).where(~RunRow.method.like("baseline%"))).all()


def assert_complete(engine) -> None:
    """Every stored run has all of its rows: nothing half-written is ever visible."""
    with Session(engine) as session:
        for run in session.scalars(select(RunRow)).all():
            outcomes = session.scalar(select(func.count()).where(OutcomeRow.run_id == run.id))
            metrics = session.scalar(select(func.count()).where(MetricRow.run_id == run.id))
            assert outcomes == 2 and metrics >= 2, run.task


def test_a_failure_mid_run_leaves_no_trace(outputs, data_env, db_url, monkeypatch):
    engine = open_engine(db_url, create=True)
    original = ingest_module._store_results

    def crash_after_calls(session, run_id, rows):
        session.add(
            CallRow(
                run_id=run_id,
                item_id="llmbar:gptout:0",
                call_index=0,
                shown=[0],
                raw_outputs=["x"],
                parsed_values=[None],
                parse_statuses=["failed"],
                failed=True,
                generated_tokens=1,
            )
        )
        session.flush()
        raise RuntimeError("killed mid-ingest")

    monkeypatch.setattr(ingest_module, "_store_results", crash_after_calls)
    with pytest.raises(RuntimeError):
        ingest_path(engine, outputs / "a", progress=lambda line: None)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(RunRow)) == 0
        assert session.scalar(select(func.count()).select_from(CallRow)) == 0
    monkeypatch.setattr(ingest_module, "_store_results", original)
    report = ingest_path(engine, outputs / "a", progress=lambda line: None)
    assert len(report.stored) == 3
    assert_complete(engine)


def test_a_runs_metrics_are_computed_before_it_takes_the_write_lock(
    outputs, data_env, tmp_path, monkeypatch
):
    """Fitting a run's metrics (the length regression on bootstrap resamples) takes seconds on a
    loaded machine; done inside the write transaction it held SQLite's one write lock that long,
    and concurrent ingests gave up after their busy timeout. Another writer must be able to
    take the lock at once while the metrics are computed."""
    path = tmp_path / "flip.db"
    engine = open_engine(f"sqlite:///{path}", create=True)
    original = ingest_module.run_metrics
    lock_free = []

    def metrics_while_probing_the_lock(prepared):  # type: ignore[no-untyped-def]
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            lock_free.append(True)
        except sqlite3.OperationalError:
            lock_free.append(False)
        finally:
            other.close()
        return original(prepared)

    monkeypatch.setattr(ingest_module, "run_metrics", metrics_while_probing_the_lock)
    report = ingest_path(engine, outputs / "a", progress=lambda line: None)
    assert len(report.stored) == 3 and lock_free == [True, True, True]
    assert_complete(engine)


def test_two_processes_ingesting_at_once_both_succeed(outputs, data_env, tmp_path):
    url = f"sqlite:///{tmp_path / 'flip.db'}"
    open_engine(url, create=True)
    processes = [
        subprocess.Popen(
            [FLIP, "ingest", str(outputs / name), "--db", url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        for name in ("a", "b", "a")
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr
    engine = open_engine(url)
    assert len(model_runs(engine)) == 6  # a and b once each; the repeated a changed nothing
    assert_complete(engine)


def test_a_locked_database_is_a_clear_error(outputs, data_env, tmp_path):
    path = tmp_path / "flip.db"
    open_engine(f"sqlite:///{path}", create=True)
    blocker = sqlite3.connect(path)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        engine = open_engine(f"sqlite:///{path}", create=True, busy_timeout=0.5)
        report = ingest_path(engine, outputs / "a", progress=lambda line: None)
    except FlipStoreError as error:  # one error for the whole ingest, not one per run
        assert "locked" in str(error) and "\n" not in str(error)
    else:
        pytest.fail(f"a locked database was ingested into: {report}")
    finally:
        blocker.rollback()
        blocker.close()


def test_read_only_database_refuses_writes_clearly(outputs, data_env, tmp_path):
    url = f"sqlite:///{tmp_path / 'flip.db'}"
    open_engine(url, create=True)
    reader = open_engine(url, read_only=True)
    with pytest.raises(FlipStoreError, match="read-only") as raised:
        ingest_path(reader, outputs / "a", progress=lambda line: None)
    assert "\n" not in str(raised.value)


def test_a_new_store_whose_creation_fails_part_way_leaves_nothing_behind(tmp_path, monkeypatch):
    """Schema creation is one transaction: an interruption after some tables exist (here a
    failure; a kill -9 in benchmarks/store_robustness.py) must not leave a store without its
    version row, which every later command would refuse as damaged."""
    import flip_store.database as database

    url = f"sqlite:///{tmp_path / 'flip.db'}"

    def fail_after_the_tables(connection, version):  # type: ignore[no-untyped-def]
        raise RuntimeError("interrupted after the tables were created")

    monkeypatch.setattr(database, "_record_schema_version", fail_after_the_tables)
    with pytest.raises(RuntimeError, match="interrupted"):
        open_engine(url, create=True)
    with sqlite3.connect(tmp_path / "flip.db") as connection:
        tables = connection.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    assert tables == []
    monkeypatch.undo()
    engine = open_engine(url, create=True)  # the next creator builds it whole
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(RunRow)).scalar() == 0
