"""The hosted entry (python -m leaderboard.app): store rebuilt from raw output, then served."""

from __future__ import annotations

from harness_fakes import ContentJudgeLM, crafted_environment

import leaderboard.app as app
from flip_cli.harness_run import run_tasks
from flip_store.database import open_engine
from flip_store.read.listing import list_runs


def test_host_rebuilds_the_store_from_raw_output_then_serves(tmp_path, monkeypatch):
    served = []
    monkeypatch.setattr(app, "serve", lambda *args, **kwargs: served.append(args))
    url = f"sqlite:///{tmp_path / 'hosted.db'}"
    monkeypatch.setenv("FLIP_DB_URL", url)
    monkeypatch.setenv("PORT", "7999")
    with crafted_environment(tmp_path):
        run_tasks(ContentJudgeLM(), ["flip_llmbar_neighbor"], tmp_path / "raw")
        monkeypatch.setenv(app.REBUILD_ENV, str(tmp_path / "raw"))
        app.host_from_environment()
        app.host_from_environment()  # a restart keeps what is stored
    assert served == [(url, "127.0.0.1", 7999)] * 2
    tasks = [run.task for run in list_runs(open_engine(url, read_only=True))]
    assert tasks.count("flip_llmbar_neighbor") == 1


def test_host_with_rebuild_switched_off_serves_the_store_as_it_is(tmp_path, monkeypatch):
    served = []
    monkeypatch.setattr(app, "serve", lambda *args, **kwargs: served.append(args))
    monkeypatch.setenv("FLIP_DB_URL", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv(app.REBUILD_ENV, "")
    app.host_from_environment()
    assert served and not (tmp_path / "x.db").exists()  # serve() itself reports a missing store
