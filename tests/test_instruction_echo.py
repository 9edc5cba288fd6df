"""benchmarks/instruction_echo.py: the echo verdict of an item (which candidate repeats most of
the instruction's words) on hand-built items, and its report on the committed runs of the 0.5B,
whose FLIP methods score far higher where echo favours the chosen response."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from types import ModuleType

import pytest
from conftest import REPO_ROOT

from flip_core.items import Item
from flip_core.similarity import instruction_coverage

SCRIPT = REPO_ROOT / "benchmarks" / "instruction_echo.py"


@pytest.fixture(scope="module")
def echo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("instruction_echo", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def item(chosen: str, rejected: str, gold_index: int = 0) -> Item:
    candidates = (chosen, rejected) if gold_index == 0 else (rejected, chosen)
    return Item("t:x:0", "Write a short poem about the sea.", candidates, gold_index)


def test_coverage_is_the_share_of_instruction_words_in_the_candidate():
    # SQuAD normalisation drops "a"/"the" and punctuation: the instruction's words are
    # write, short, poem, about, sea.
    assert instruction_coverage("The sea, the sea!", "Write a short poem about the sea.") == (
        pytest.approx(1 / 5)
    )
    assert instruction_coverage("", "Write a poem.") == 0.0


@pytest.mark.parametrize(
    ("chosen", "rejected", "gold_index", "verdict", "longer"),
    [
        ("Waves roll in.", "Here is a short poem about the sea: waves.", 0, "rejected", True),
        ("A short poem about the sea: waves roll.", "Waves.", 1, "chosen", False),
        ("Sea sea sea.", "The sea is blue and wide.", 0, "tied", True),
    ],
)
def test_echo_verdict(echo, chosen, rejected, gold_index, verdict, longer):
    expected = {"chosen": echo.FAVOURS_CHOSEN, "rejected": echo.FAVOURS_REJECTED}
    assert echo.echo_verdict(item(chosen, rejected, gold_index)) == (
        expected.get(verdict, echo.TIED),
        longer,
    )


def test_committed_flip_runs_follow_instruction_echo():
    folder = REPO_ROOT / "results" / "raw" / "llmbar-qwen2.5-coder-0.5b-default-llamacpp"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(folder)],
        capture_output=True, text=True, cwd=REPO_ROOT, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert lines[0].endswith(": 319 items")
    assert "gptout, 47 items: echo favours the chosen 8, echo favours the rejected 31" in lines[2]
    flipll = lines[lines.index(next(x for x in lines if x.startswith("  flipll ("))) :][:2]
    assert "echo favours the chosen 88.3 [82.0, 93.7] (111)" in flipll[0]
    assert "echo favours the rejected 40.8" in flipll[0]
    assert "the chosen longer: 71.0 [54.8, 87.1] (31) against 25.0" in flipll[1]


@pytest.mark.parametrize(
    ("script", "task"),
    [("instruction_echo.py", "flip"), ("judge_verdict_reading.py", "judge_pairwise")],
)
def test_a_broken_samples_file_is_one_line_and_no_traceback(tmp_path, script, task):
    """Both analysis scripts over committed runs end on a foreign samples file the way the
    flip command does: one line naming the file and line, exit 2."""
    run = tmp_path / "run"
    run.mkdir()
    (run / f"samples_{task}_llmbar_neighbor_2026-01-01T00-00-00.jsonl").write_text(
        '{"doc": {"item_id": 3}}\n'
    )
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "benchmarks" / script), str(tmp_path)],
        capture_output=True, text=True, cwd=REPO_ROOT, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(f"{script}: error: ") and ":1: " in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
