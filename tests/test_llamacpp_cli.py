"""The llama.cpp backend as a user reaches it: ``flip score`` and ``flip rerank`` with
``--backend llamacpp``, lm-eval's own command line through ``python -m harness_tasks.lm_eval_cli``
(the README's plain command), and ``flip demo``'s choice of backend."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from cli_runner import run_command
from conftest import REPO_ROOT

pytest.importorskip("llama_cpp", reason="the llamacpp extra is not installed")

INSTRUCTION = "Write a haiku about the sea."
HAIKU = "Waves fold into foam, / salt wind carries gull voices, / the tide breathes and sleeps."
RECIPE = "Boil the pasta for nine minutes, drain it and stir in the pesto."


@pytest.mark.model
def test_flip_score_and_flipll_rerank_run_on_llamacpp(tmp_path, model_env):
    scored = run_command(
        "flip", "score", "--backend", "llamacpp", "--model", "default", "--profile", "cpu",
        "--instruction", INSTRUCTION, "--response", HAIKU, "--response", RECIPE,
        "--output", str(tmp_path / "scores.jsonl"), env=model_env, cwd=tmp_path,
    )  # fmt: skip
    assert scored.returncode == 0, scored.stderr[-2000:]
    (row,) = [json.loads(line) for line in (tmp_path / "scores.jsonl").read_text().splitlines()]
    rewards = [candidate["reward"] for candidate in row["candidates"]]
    assert len(rewards) == 2 and all(0.0 <= reward <= 1.0 for reward in rewards)

    prompts = tmp_path / "prompts.jsonl"
    prompt_row = {"id": "sea", "instruction": INSTRUCTION, "responses": [RECIPE, HAIKU]}
    prompts.write_text(json.dumps(prompt_row) + "\n")
    reranked = run_command(
        "flip", "rerank", "--backend", "llamacpp", "--model", "default", "--profile", "cpu",
        "--method", "flipll", "--input", str(prompts), "--output", str(tmp_path / "picks.jsonl"),
        env=model_env, cwd=tmp_path,
    )  # fmt: skip
    assert reranked.returncode == 0, reranked.stderr[-2000:]
    (pick,) = [json.loads(line) for line in (tmp_path / "picks.jsonl").read_text().splitlines()]
    assert pick["settings"]["backend"] == "llamacpp"
    logprobs = [candidate["score"] for candidate in pick["candidates"]]
    assert all(value < 0 for value in logprobs)  # log-probabilities of the instruction
    assert pick["picked_index"] == max(range(2), key=lambda i: logprobs[i])


@pytest.mark.model
def test_lm_evals_own_cli_runs_the_llamacpp_model_class(tmp_path, model_env):
    output = tmp_path / "out"
    done = subprocess.run(
        [
            sys.executable, "-m", "harness_tasks.lm_eval_cli", "--model", "llamacpp",
            "--model_args", "pretrained=smollm2-135m", "--batch_size", "4",
            "--tasks", "flip_demo", "--limit", "1",
            "--include_path", str(REPO_ROOT / "harness_tasks" / "tasks"),
            "--apply_chat_template", "--log_samples", "--output_path", str(output),
            "--metadata", '{"profile": "cpu"}',
        ],
        capture_output=True, text=True, env=model_env, cwd=tmp_path, timeout=900,
        stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    (results_file,) = output.rglob("results_*.json")
    results = json.loads(results_file.read_text())
    assert results["config"]["model"] == "llamacpp"
    (samples_file,) = output.rglob("samples_flip_demo_*.jsonl")
    (sample,) = [json.loads(line) for line in samples_file.read_text().splitlines()]
    assert len(sample["resps"]) == 4  # one reconstruction per candidate of the demo item

    stored = run_command(
        "flip", "ingest", str(output), "--db", f"sqlite:///{tmp_path / 'flip.db'}",
        env=model_env, cwd=tmp_path,
    )  # fmt: skip
    assert stored.returncode == 0 and "stored" in stored.stdout, stored.stderr[-2000:]


def test_the_demo_runs_on_llamacpp_wherever_its_extra_is_installed(monkeypatch):
    import importlib.util

    from flip_cli.commands.demo import demo_backend

    assert demo_backend("auto") == "llamacpp"  # this module only runs where it is installed
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert demo_backend("auto") == "hf"
    assert demo_backend("hf") == "hf" and demo_backend("llamacpp") == "llamacpp"
