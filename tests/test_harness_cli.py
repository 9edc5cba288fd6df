"""End to end through the real ``lm_eval`` CLI with the bundled model on CPU (--limit 2)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cli_runner import run_command
from conftest import require_shared_data

from flip_core.models import bundled_model_dir
from harness_tasks.catalog import TASK_DIR

pytestmark = pytest.mark.model


def run_lm_eval(tasks: list[str], output: Path, env: dict[str, str]) -> dict:
    result = run_command(
        "lm_eval", "--model", "hf",
        "--model_args", f"pretrained={bundled_model_dir()},dtype=float32",
        "--device", "cpu", "--batch_size", "8",
        "--tasks", ",".join(tasks), "--include_path", str(TASK_DIR),
        "--apply_chat_template", "--log_samples", "--output_path", str(output),
        "--limit", "2", "--gen_kwargs", "max_gen_toks=32",
        "--metadata", json.dumps({"profile": "cpu"}),
        env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    (results_file,) = output.rglob("results_*.json")
    return json.loads(results_file.read_text())


def check_run(output: Path, results: dict, tasks: list[str], calls_per_item: dict[str, int]):
    for task in tasks:
        metrics = results["results"][task]
        for name in (
            "acc,none",
            "acc_tie_aware,none",
            "parse_fail_rate,none",
            "acc_ci_low,none",
            "acc_ci_high,none",
        ):
            assert 0.0 <= metrics[name] <= 1.0, (task, name)
        assert results["configs"][task]["metadata"]["profile"] == "cpu"
        assert results["n-samples"][task]["effective"] == 2  # a limited run, and it says so
        (samples_file,) = output.rglob(f"samples_{task}_*.jsonl")
        samples = [json.loads(line) for line in samples_file.read_text().splitlines()]
        assert len(samples) == 2
        for sample in samples:
            doc = sample["doc"]
            assert len(sample["resps"]) == calls_per_item[task] == len(doc["calls_shown"])
            assert all(isinstance(r[0], str) for r in sample["resps"])  # raw outputs, per call
            assert doc["prompt_hash"] and doc["item_id"] and doc["dataset_revision"]
            assert "shuffle_seed" in doc


def test_demo_tasks_through_the_lm_eval_cli(tmp_path):
    tasks = ["flip_demo", "judge_pointwise_demo"]
    results = run_lm_eval(tasks, tmp_path, dict(os.environ))
    check_run(tmp_path, results, tasks, {"flip_demo": 4, "judge_pointwise_demo": 4})
    assert "mean_reward_chosen,none" in results["results"]["flip_demo"]

    summary = run_command("flip", "summarize", str(tmp_path))
    assert summary.returncode == 0, summary.stderr
    for task in tasks:
        line = next(row for row in summary.stdout.splitlines() if row.startswith(task))
        assert "(limited)" in line  # --limit runs are always marked
    # re-scored from raw outputs, the table agrees with what the task computed in the run
    flip_line = next(r for r in summary.stdout.splitlines() if r.startswith("flip_demo"))
    assert f"{results['results']['flip_demo']['acc,none'] * 100:.1f}" in flip_line


def test_llmbar_tasks_through_the_lm_eval_cli(tmp_path):
    tasks = ["flip_llmbar_neighbor", "judge_listwise_llmbar_neighbor"]
    env = {**os.environ, "FLIP_DATA_DIR": str(require_shared_data())}
    results = run_lm_eval(tasks, tmp_path, env)
    check_run(
        tmp_path, results, tasks, {"flip_llmbar_neighbor": 2, "judge_listwise_llmbar_neighbor": 1}
    )
