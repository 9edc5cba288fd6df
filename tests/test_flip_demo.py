"""``flip demo`` (the README's main job) end to end with the bundled model, without serving."""

from __future__ import annotations

import shutil

import pytest
from cli_runner import run_command
from conftest import REPO_ROOT
from sqlalchemy import select
from sqlalchemy.orm import Session

from flip_store.database import open_engine
from flip_store.schema import RunRow

COMMITTED_TASK = "llmbar-smollm2-135m-cpu/flip_llmbar_gptout"


@pytest.mark.model
def test_demo_evaluates_stores_committed_runs_and_skips_serving(tmp_path, model_env, real_data_dir):
    committed = tmp_path / "committed"
    shutil.copytree(REPO_ROOT / "results" / "raw" / COMMITTED_TASK, committed / COMMITTED_TASK)
    result = run_command(
        "flip", "demo", "--limit", "1", "--no-serve", "--committed", str(committed),
        env={**model_env, "FLIP_DATA_DIR": str(real_data_dir)}, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "flip_demo (limited)" in result.stdout and "judge_pointwise_demo" in result.stdout
    assert "leaderboard: open" not in result.stdout  # --no-serve: nothing is served
    engine = open_engine(f"sqlite:///{tmp_path / 'results' / 'flip.db'}", read_only=True)
    with Session(engine) as session:
        tasks = set(session.scalars(select(RunRow.task).where(~RunRow.method.like("baseline%"))))
    assert tasks == {"flip_demo", "judge_pointwise_demo", "flip_llmbar_gptout"}


def test_demo_rejects_an_unknown_method_before_loading_anything(tmp_path, model_env):
    result = run_command(
        "flip", "demo", "--limit", "1", "--no-serve", "--methods", "nonsense",
        env=model_env, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2 and "unknown method 'nonsense'" in result.stderr
    assert not (tmp_path / "results").exists()
