"""``flip eval`` end to end with the bundled model: harness run, raw output, store, summary."""

from __future__ import annotations

import pytest
from cli_runner import run_command
from conftest import TEST_MAX_NEW_TOKENS
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flip_store.database import open_engine
from flip_store.schema import CallRow, CandidateRow, ItemRow, OutcomeRow, RunRow, ScoreRow


@pytest.mark.model
def test_flip_eval_demo_fills_the_store(tmp_path, model_env):
    result = run_command(
        "flip", "eval", "--model", "default", "--methods", "flip,judge_pointwise",
        "--benchmark", "demo", "--limit", "3", "--profile", "cpu", env=model_env, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "flip_demo (limited)" in result.stdout and "chance" in result.stdout
    assert list((tmp_path / "results" / "raw").rglob("samples_flip_demo_*.jsonl"))
    engine = open_engine(f"sqlite:///{tmp_path / 'results' / 'flip.db'}", read_only=True)
    with Session(engine) as session:

        def count(table, *where):
            return session.scalar(select(func.count()).select_from(table).where(*where))

        assert count(ItemRow) == 3 and count(CandidateRow) == 12
        runs = session.scalars(select(RunRow).where(~RunRow.method.like("baseline%"))).all()
        assert sorted(r.task for r in runs) == ["flip_demo", "judge_pointwise_demo"]
        # The tests cap generation (FLIP_MAX_NEW_TOKENS), so ingest labels the profile by the
        # settings actually logged: never plain "cpu", which would compare it with full runs.
        assert all(r.limit == 3 and r.profile == f"cpu@{TEST_MAX_NEW_TOKENS}" for r in runs)
        assert all(r.token_count_method == "tokenizer" for r in runs)
        assert count(CallRow) == 2 * 3 * 4
        assert all(call.raw_outputs[0] for call in session.scalars(select(CallRow)))
        assert count(ScoreRow, ScoreRow.run_id.in_([r.id for r in runs])) == 2 * 12
        assert count(OutcomeRow, OutcomeRow.run_id.in_([r.id for r in runs])) == 2 * 3


def test_task_names_and_suites(tmp_path):
    from flip_cli.commands.evaluate import load_suite, task_names
    from flip_core.errors import FlipConfigError, FlipInputError

    assert task_names(["flip", "judge_listwise"], "demo", None) == [
        "flip_demo",
        "judge_listwise_demo",
    ]
    assert task_names(["flip"], "llmbar", None) == [
        f"flip_llmbar_{d}" for d in ("neighbor", "gptinst", "gptout", "manual")
    ]
    with pytest.raises(FlipConfigError, match="unknown method 'judge_rubric'"):
        task_names(["judge_rubric"], "rb2", None)
    with pytest.raises(FlipConfigError, match="unknown rb2 domain 'safety'"):
        task_names(["flip"], "rb2", ["safety"])
    paper = load_suite("paper")
    assert len(paper) == 12 and "Qwen/Qwen3-0.6B" in paper
    assert {m.split("/")[0] for m in paper} == {
        "Qwen",
        "meta-llama",
        "google",
        "allenai",
        "mistralai",
    }
    bad = tmp_path / "suite.yaml"
    bad.write_text("models: nope\n")
    with pytest.raises(FlipInputError, match="non-empty 'models:' list"):
        load_suite(str(bad))


def test_model_and_suite_are_exclusive():
    result = run_command("flip", "eval", "--benchmark", "demo", "--model", "x", "--suite", "paper")
    assert result.returncode == 2 and "not allowed with argument" in result.stderr
