"""The ``flip`` console script: one-line errors, nothing half-written, real end-to-end runs."""

from __future__ import annotations

import json
import subprocess

import pytest
from cli_runner import run_command


def run_flip(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return run_command("flip", *args, env=env)


def assert_one_line_error(result: subprocess.CompletedProcess, fragment: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("flip: error: "), result.stderr
    assert fragment in lines[0]


def test_malformed_input_is_one_line_and_leaves_the_output_untouched(tmp_path):
    bad = tmp_path / "items.jsonl"
    bad.write_text('{"instruction": "x", "responses": ["a"]}\n{"instruction": "y"\n')
    output = tmp_path / "out.jsonl"
    output.write_text("previous results\n")
    result = run_flip("score", "--input", str(bad), "--output", str(output))
    assert_one_line_error(result, "items.jsonl:2:")
    assert output.read_text() == "previous results\n"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["score", "--instruction", "x"], "needs at least one --response"),
        (["score", "--input", "/nonexistent/items.jsonl"], "cannot read /nonexistent/items.jsonl"),
        (
            ["score", "--instruction", "x", "--response", "y", "--model", "./no-such-model"],
            "neither a model folder nor a .gguf file",
        ),
        (["demo", "--limit", "0"], "--limit must be >= 1"),
    ],
)
def test_bad_invocations_fail_with_one_line(args, fragment):
    assert_one_line_error(run_flip(*args), fragment)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["ingest", "{tmp}/no-such-folder"], "no-such-folder does not exist"),
        (["ingest", "{tmp}"], "no lm-eval results_*.json files below"),
        (
            ["ingest-rerank", "{tmp}/no-such.jsonl", "--input", "{tmp}/no-input.jsonl"],
            "cannot read",
        ),
    ],
)
def test_bad_store_input_creates_no_database(tmp_path, args, fragment):
    """A mistyped path must not leave an empty store behind (or create tables on a shared
    PostgreSQL host): the input is read before the store is opened."""
    db = tmp_path / "new.db"
    args = [arg.format(tmp=tmp_path) for arg in args]
    assert_one_line_error(run_flip(*args, "--db", f"sqlite:///{db}"), fragment)
    assert not db.exists()


@pytest.mark.model
def test_score_file_end_to_end_with_the_bundled_model(tmp_path, model_env):
    items = tmp_path / "items.jsonl"
    items.write_text(
        "\n".join(
            json.dumps(row)
            for row in [
                {
                    "id": "haiku",
                    "instruction": "Write a haiku about autumn rain.",
                    "gold_index": 0,
                    "responses": [
                        "Cold drops on red leaves,\nthe gutter sings all night long,\n"
                        "autumn rinses clean.",
                        "Spring blossoms open in the warm sun.",
                    ],
                },
                {
                    "id": "capital",
                    "instruction": "What is the capital of France?",
                    "gold_index": 0,
                    "responses": [
                        "The capital of France is Paris.",
                        "Berlin is Germany's capital.",
                    ],
                },
            ]
        )
        + "\n"
    )
    output = tmp_path / "out.jsonl"
    result = run_flip(
        "score",
        "--input",
        str(items),
        "--output",
        str(output),
        "--profile",
        "cpu",
        "--batch-size",
        "4",
        "--device",
        "cpu",
        env=model_env,
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    assert [row["id"] for row in rows] == ["haiku", "capital"]
    for row in rows:
        assert row["scorer"]["profile"]["max_new_tokens"] == 40  # the test cap is recorded
        assert len(row["candidates"]) == 2
        for candidate in row["candidates"]:
            assert 0.0 <= candidate["reward"] <= 1.0
            assert candidate["parse_status"] in {"ok", "repaired", "failed"}
            assert candidate["samples"][0]["raw_output"]
            assert 0 < candidate["generated_tokens"] <= 40
    inferred = [c["inferred_instruction"] for row in rows for c in row["candidates"]]
    assert any(inferred), "the model reconstructed no instruction at all"
    assert "strict_correct" in rows[0] and "FLIP strict" in result.stdout
    assert "longest" in result.stdout and "chance" in result.stdout


@pytest.mark.model
def test_inline_score_prints_a_table(model_env):
    result = run_flip(
        "score",
        "--instruction",
        "Name a primary colour.",
        "--response",
        "Red.",
        "--response",
        "Blue is a primary colour.",
        "--profile",
        "cpu",
        env=model_env,
    )
    assert result.returncode == 0, result.stderr
    assert "inferred instruction" in result.stdout
    table = [line for line in result.stdout.splitlines() if line.strip()[:1] in {"0", "1"}]
    assert len(table) == 2
