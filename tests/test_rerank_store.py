"""Reranking runs in the store: checked against their input, the board's reference points on
the same prompts, the Reranking tab's table and figure, and the committed runs."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from flip_cli.main import main
from flip_core.errors import FlipInputError
from flip_store.database import open_engine
from flip_store.ingest.reranks import (
    COMMITTED_RERANK_INPUT,
    ingest_committed_reranks,
    ingest_rerank,
)
from flip_store.read.reranks import rerank_board
from leaderboard.rerank_view import rerank_figure, rerank_frame

ROOT = Path(__file__).resolve().parent.parent
PROMPTS = [
    {
        "id": f"crafted:p{k}",
        "instruction": f"write something {k}",
        "responses": ["short", "a much longer answer here", "mid length"],
        "reference_scores": [20.0, 90.0, 50.0],
    }
    for k in range(3)
]


@pytest.fixture
def reranked(tmp_path):
    """An input file and the output of `flip rerank --method longest` over it."""
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in PROMPTS))
    output = tmp_path / "longest.jsonl"
    assert (
        main(["rerank", "--input", str(source), "--method", "longest", "--output", str(output)])
        == 0
    )
    return source, output


def test_a_reranking_run_is_stored_with_reference_points_on_its_prompts(reranked, tmp_path):
    source, output = reranked
    engine = open_engine(f"sqlite:///{tmp_path / 'flip.db'}", create=True)
    done = ingest_rerank(engine, output, source)
    assert done.stored and done.prompts == 3 and done.refused == 0
    assert not ingest_rerank(engine, output, source).stored  # the same file again: no change
    (row,) = rerank_board(engine, "crafted")
    assert row.method == "longest" and row.model == "model-free: always the longest"
    assert row.picked.value == pytest.approx(90.0) and row.picked.n == 3  # the 1.9 candidate
    assert row.oracle == pytest.approx(90.0) and row.oracle_hit_rate == 1.0
    assert row.shortest == pytest.approx(20.0)
    assert row.random_expected == pytest.approx((20 + 90 + 50) / 3)
    frame = rerank_frame([row])
    assert frame.iloc[0]["Prompts"] == 3 and frame.iloc[0]["oracle (same prompts)"] == 90.0
    figure = rerank_figure([row], "crafted")
    assert len(figure.data) == 5  # the picks and four reference points
    hostile = rerank_figure([replace(row, model="<img src=x onerror=alert(1)>")], "crafted")
    (label, *_) = hostile.data[0]["x"]
    # wrapped at spaces, then escaped line by line: no entity is cut, no markup survives
    assert label.split("<br>") == ["&lt;img src=x", "onerror=alert(1)&gt; ·", "longest (3 prompts)"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda row: row.update(picked_index=0), "does not follow from the scores"),
        (lambda row: row.update(input_fingerprint="0" * 16), "differs from the input file"),
        (lambda row: row.update(id="nope"), "not in the input file"),
        (lambda row: row.pop("candidates"), "not a flip rerank result row"),
    ],
)
def test_a_tampered_output_is_refused_and_nothing_is_stored(reranked, tmp_path, edit, message):
    source, output = reranked
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    edit(rows[1])
    output.write_text("".join(json.dumps(row) + "\n" for row in rows))
    engine = open_engine(f"sqlite:///{tmp_path / 'flip.db'}", create=True)
    with pytest.raises(FlipInputError, match=message):
        ingest_rerank(engine, output, source)
    assert rerank_board(engine, "crafted") == []


def rewrite(output: Path, edit) -> None:  # type: ignore[no-untyped-def]
    """Apply ``edit`` to every row of a rerank output and write it back."""
    rows = [json.loads(line) for line in output.read_text().splitlines() if line.strip()]
    for row in rows:
        edit(row)
    output.write_text("".join(json.dumps(row) + "\n" for row in rows))


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"backend": "b" * 41}, "backend: String should have at most 40 characters"),
        ({"profile": {"name": "p" * 41}}, "profile: String should have at most 40 characters"),
        ({"profile": {"name": 7}}, "profile: Input should be a valid string"),
        ({"profile": "cpu"}, "settings.profile is not a decoding profile"),
        ({"prompt_hash": "h\x00"}, "prompt_hash: Value error, holds control characters"),
    ],
)
def test_settings_no_column_can_hold_are_refused_in_one_line(reranked, tmp_path, settings, message):
    source, output = reranked
    rewrite(output, lambda row: row["settings"].update(settings))
    engine = open_engine(f"sqlite:///{tmp_path / 'flip.db'}", create=True)
    with pytest.raises(FlipInputError, match=message) as refused:
        ingest_rerank(engine, output, source)
    assert "\n" not in str(refused.value)
    assert rerank_board(engine, "crafted") == []


def test_a_prompt_logged_twice_is_refused_not_an_integrity_error(reranked, tmp_path):
    source, output = reranked
    output.write_text(output.read_text() + output.read_text().splitlines()[0] + "\n")
    engine = open_engine(f"sqlite:///{tmp_path / 'flip.db'}", create=True)
    with pytest.raises(FlipInputError, match=":4: prompt 'crafted:p0' is logged twice"):
        ingest_rerank(engine, output, source)


def test_the_same_run_re_serialised_is_not_stored_twice(reranked, tmp_path):
    source, output = reranked
    engine = open_engine(f"sqlite:///{tmp_path / 'flip.db'}", create=True)
    assert ingest_rerank(engine, output, source).stored
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    copy = tmp_path / "copy.jsonl"
    compact = [json.dumps(row, separators=(",", ":"), sort_keys=True) for row in rows[::-1]]
    copy.write_text("\n".join(compact) + "\n\n\n")
    assert not ingest_rerank(engine, copy, source).stored  # reordered, compact, padded
    rewrite(copy, lambda row: None)  # spaced again, in file order
    assert not ingest_rerank(engine, copy, source).stored
    assert len(rerank_board(engine, "crafted")) == 1


def test_an_unverified_run_says_so_on_the_board_and_in_the_tab(tmp_path, real_data_dir):
    source = real_data_dir / COMMITTED_RERANK_INPUT
    engine = open_engine(f"sqlite:///{tmp_path / 'flip.db'}", create=True)
    for method in ("flipll", "longest"):
        ingest_rerank(
            engine,
            ROOT / "results" / "rerank" / f"alpacaeval-dev-{method}-smollm2-135m-cpu.jsonl",
            source,
        )
    rows = {row.method: row for row in rerank_board(engine, "alpacaeval_bon")}
    assert (rows["flipll"].verified, rows["longest"].verified) == (False, True)
    frame = rerank_frame([rows["flipll"], rows["longest"]])
    assert list(frame["Scores"]) == ["submitted, unverified", "verified"]
    flipll, longest = rerank_figure([rows["flipll"], rows["longest"]], "alpacaeval_bon").data[0][
        "x"
    ]
    assert "submitted, unverified" in flipll.replace("<br>", " ")
    assert "unverified" not in longest
    hostile = replace(rows["flipll"], model="<b>x</b>")
    (label,) = rerank_figure([hostile], "alpacaeval_bon").data[0]["x"]
    assert "<b>" not in label and "&lt;b&gt;x&lt;/b&gt;" in label


def test_the_cli_stores_a_run_and_says_so(reranked, tmp_path, capsys):
    source, output = reranked
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["ingest-rerank", str(output), "--input", str(source), "--db", db]) == 0
    assert "stored: rerank_longest_" in capsys.readouterr().out
    assert (
        main(["ingest-rerank", str(tmp_path / "missing.jsonl"), "--input", str(source), "--db", db])
        == 2
    )
    assert "cannot read" in capsys.readouterr().err


def test_the_committed_reranking_runs_store_and_match_the_readme(tmp_path, real_data_dir):
    engine = open_engine(f"sqlite:///{tmp_path / 'flip.db'}", create=True)
    lines = ingest_committed_reranks(engine, ROOT / "results" / "rerank")
    assert all(line.startswith("stored") for line in lines), lines
    rows = {row.method: row for row in rerank_board(engine, "alpacaeval_bon")}
    assert rows["longest"].picked.format(percent=False, digits=2) == "40.54 [32.12, 48.77]"
    assert rows["longest"].oracle == pytest.approx(62.09, abs=0.005)
