"""The hosted entry (python -m leaderboard.app): store rebuilt from raw output, then served."""

from __future__ import annotations

import os
import subprocess
import sys

from harness_fakes import ContentJudgeLM, crafted_environment

import leaderboard.app as app
import leaderboard.hosting as hosting
from flip_cli.harness_run import run_tasks
from flip_store.database import open_engine
from flip_store.read.listing import list_runs


def test_host_rebuilds_the_store_from_raw_output_then_serves(tmp_path, monkeypatch):
    served = []
    monkeypatch.setattr(hosting, "serve", lambda *args, **kwargs: served.append(args))
    url = f"sqlite:///{tmp_path / 'hosted.db'}"
    monkeypatch.setenv("FLIP_DB_URL", url)
    monkeypatch.setenv("PORT", "7999")
    with crafted_environment(tmp_path):
        run_tasks(ContentJudgeLM(), ["flip_llmbar_neighbor"], tmp_path / "raw")
        monkeypatch.setenv(hosting.REBUILD_ENV, str(tmp_path / "raw"))
        hosting.host_from_environment()
        hosting.host_from_environment()  # a restart keeps what is stored
    assert served == [(url, "127.0.0.1", 7999)] * 2
    tasks = [run.task for run in list_runs(open_engine(url, read_only=True))]
    assert tasks.count("flip_llmbar_neighbor") == 1


def test_host_with_rebuild_switched_off_serves_the_store_as_it_is(tmp_path, monkeypatch):
    served = []
    monkeypatch.setattr(hosting, "serve", lambda *args, **kwargs: served.append(args))
    monkeypatch.setenv("FLIP_DB_URL", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv(hosting.REBUILD_ENV, "")
    hosting.host_from_environment()
    assert served and not (tmp_path / "x.db").exists()  # serve() itself reports a missing store


def test_the_app_module_keeps_the_entry_points_the_cli_imports():
    # flip leaderboard and flip demo import serve from leaderboard.app; the hosted entry is
    # python -m leaderboard.app, which runs host_from_environment.
    assert app.serve is hosting.serve and app.host_from_environment is hosting.host_from_environment
    source = open(app.__file__).read()
    assert 'if __name__ == "__main__":\n    host_from_environment()' in source


def test_python_m_leaderboard_app_starts_the_hosted_entry(tmp_path):
    """The module runs as a script: a missing store is reported by serve(), the process exits
    with that error instead of an import failure."""
    env = {
        **os.environ,
        "FLIP_DB_URL": f"sqlite:///{tmp_path / 'absent.db'}",
        "FLIP_REBUILD_FROM": "",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    done = subprocess.run(
        [sys.executable, "-m", "leaderboard.app"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0
    assert "ImportError" not in done.stderr and "ModuleNotFoundError" not in done.stderr
    assert "no database at" in done.stderr and "absent.db" in done.stderr, done.stderr[-2000:]
