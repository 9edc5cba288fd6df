"""Accuracy by length of the chosen response: buckets, the store query, the CLI, the figure."""

from __future__ import annotations

import json
import random
import re
from itertools import pairwise

import pytest

from flip_cli.main import main
from flip_core.errors import FlipConfigError
from flip_core.length_buckets import (
    LengthBucket,
    bucket_accuracy,
    length_buckets,
    quantile_edges,
    word_count,
)
from flip_core.selection import Interval, bootstrap_interval
from flip_store.database import open_engine
from flip_store.read.leaderboard import leaderboard
from flip_store.read.length import LengthAccuracyRow, LengthReport, length_report
from leaderboard.figures.length import length_accuracy_figure
from leaderboard.figures.style import EMPTY_MESSAGE

HOSTILE = "<img src=x onerror=alert(1)>"

# ---- buckets (flip_core) -------------------------------------------------------------------


def by_id(lengths: list[int]) -> dict[str, int]:
    return {f"item{i}": length for i, length in enumerate(lengths)}


def ranges(buckets: list[LengthBucket]) -> list[tuple[int, int, int]]:
    return [(b.min_words, b.max_words, b.items) for b in buckets]


def test_words_are_split_on_any_whitespace():
    assert word_count("  one\ttwo\n\nthree  ") == 3
    assert word_count("") == 0


def test_distinct_lengths_split_into_equal_quantile_buckets():
    lengths = by_id([8, 1, 7, 2, 6, 3, 5, 4])
    assert quantile_edges(list(lengths.values()), 4) == [2, 4, 6]
    buckets = length_buckets(lengths, 4)
    assert ranges(buckets) == [(1, 2, 2), (3, 4, 2), (5, 6, 2), (7, 8, 2)]
    assert [b.label for b in buckets] == ["1-2 words", "3-4 words", "5-6 words", "7-8 words"]
    assert buckets[0].item_ids == {"item1", "item3"}


def test_ties_at_an_edge_stay_together_in_the_lower_bucket():
    buckets = length_buckets(by_id([5, 5, 5, 5, 9, 12]), 4)
    # Three quartile edges fall on 5: they merge, and every 5 sits in one bucket.
    assert ranges(buckets) == [(5, 5, 4), (9, 9, 1), (12, 12, 1)]
    assert buckets[0].label == "5 words"


def test_one_length_for_every_item_is_one_bucket():
    assert ranges(length_buckets(by_id([3, 3, 3]), 4)) == [(3, 3, 3)]


def test_fewer_items_than_buckets_gives_a_bucket_per_distinct_length():
    assert ranges(length_buckets(by_id([10, 3]), 4)) == [(3, 3, 1), (10, 10, 1)]
    assert ranges(length_buckets(by_id([7]), 4)) == [(7, 7, 1)]


def test_buckets_do_not_depend_on_the_order_items_come_in():
    lengths = by_id([random.Random(seed).randint(0, 400) for seed in range(97)])
    shuffled = list(lengths.items())
    random.Random(1).shuffle(shuffled)
    assert length_buckets(dict(shuffled), 5) == length_buckets(lengths, 5)
    buckets = length_buckets(lengths, 5)
    assert sum(b.items for b in buckets) == 97
    assert all(a.max_words < b.min_words for a, b in pairwise(buckets))


def test_no_items_or_no_buckets_is_a_clear_error():
    with pytest.raises(FlipConfigError, match="no items to bucket by length"):
        length_buckets({}, 4)
    with pytest.raises(FlipConfigError, match="must be >= 1, got 0"):
        length_buckets(by_id([1, 2]), 0)


def test_bucket_accuracy_counts_only_the_items_a_run_has_a_verdict_on():
    bucket = LengthBucket(1, 9, frozenset({"a", "b", "c", "d"}))
    interval = bucket_accuracy(bucket, {"a": True, "b": False, "c": True, "other": False})
    assert interval == bootstrap_interval([1.0, 0.0, 1.0])  # a, b, c in id order
    assert interval.n == 3 and interval.low <= interval.value <= interval.high
    assert bucket_accuracy(bucket, {"other": True}) is None


# ---- the store query -----------------------------------------------------------------------


def test_report_buckets_the_leaderboards_runs_on_the_chosen_length(small_store):
    report = length_report(small_store, "llmbar")
    # Chosen responses: "GOOD one", "GOOD two", "GOOD one" (2 words) and the planted markup
    # (9 words); the three quartile edges all fall on 2, so two buckets remain.
    assert [(b.label, b.items) for b in report.buckets] == [("2 words", 3), ("9 words", 1)]
    assert "llmbar:manual:1" in report.buckets[1].item_ids
    assert report.requested_buckets == 4 and report.items == 4
    rows = {r.method: r for r in report.rows}
    # The limited pointwise run and the random pick (no per-item picks) are not reported.
    assert set(rows) == {"flip", "judge_pairwise", "longest", "shortest"}
    assert {r.method: r.kind for r in report.rows}["longest"] == "rule"
    shown = {r.method: r for r in leaderboard(small_store, "llmbar")}
    for method in ("flip", "judge_pairwise"):
        cells = shown[method].domains.values()
        assert rows[method].run_ids == tuple(cell.run_id for cell in cells)
        assert rows[method].kind == "model" and rows[method].backend == shown[method].backend
    assert [a.value for a in rows["flip"].accuracy] == [1.0, 1.0]
    assert [a.n for a in rows["flip"].accuracy] == [3, 1]  # pooled over both domains
    # On the long item the gold is the longer response: only always-longest gets it.
    assert rows["longest"].accuracy[1].value == 1.0
    assert rows["shortest"].accuracy[1].value == 0.0


def test_report_reads_the_same_on_every_backend(lm_eval_output, monkeypatch, db_url):
    from flip_store.ingest import ingest_path

    monkeypatch.setenv("FLIP_DATA_DIR", str(lm_eval_output.parent / "data"))
    engine = open_engine(db_url, create=True)
    ingest_path(engine, lm_eval_output, progress=lambda line: None)
    report = length_report(engine, "llmbar")
    assert [(b.label, b.items) for b in report.buckets] == [("2 words", 2)]  # neighbor only
    methods = {r.method for r in report.rows}
    assert methods == {"flip", "judge_listwise", "longest", "shortest"}
    assert all(a is not None and a.n == 2 for r in report.rows for a in r.accuracy)


def test_report_asks_for_a_known_benchmark(small_store):
    with pytest.raises(FlipConfigError, match="unknown benchmark 'nope'; choose one of"):
        length_report(small_store, "nope")


def test_a_store_without_full_model_runs_gives_an_empty_report(tmp_path):
    from harness_fakes import ContentJudgeLM, crafted_environment

    from flip_cli.harness_run import run_tasks
    from flip_store.ingest import ingest_path

    engine = open_engine(f"sqlite:///{tmp_path / 'flip.db'}", create=True)
    assert length_report(engine, "llmbar") == LengthReport("llmbar", 4, (), ())
    with crafted_environment(tmp_path):
        run_tasks(ContentJudgeLM(), ["flip_llmbar_neighbor"], tmp_path / "raw", limit=1)
        ingest_path(engine, tmp_path / "raw", progress=lambda line: None)
    # The limited run stored items, hence baselines: alone they are not a report.
    assert length_report(engine, "llmbar").rows == ()


# ---- the CLI -------------------------------------------------------------------------------


def flip(*args: str) -> int:
    return main(["report", "length", *args])


def one_error_line(capsys) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("flip: error: "), lines
    return lines[0]


def columns(line: str) -> list[str]:
    return re.split(r"\s{2,}", line.strip())


def test_table_has_a_line_per_row_and_a_column_per_bucket(small_store, capsys):
    assert flip("--db", str(small_store.url), "--benchmark", "llmbar") == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("llmbar: strict best-of-N accuracy in %")
    assert "4 items in 2 quantile buckets" in lines[0]
    header, items = lines[2], lines[3]
    assert columns(header) == ["model", "method", "profile", "backend", "2 words", "9 words"]
    assert columns(items) == ["items", "3", "1"]
    flip_line = next(columns(line) for line in lines if "  flip  " in line)
    assert flip_line[-2:] == ["100.0 [100.0, 100.0]"] * 2
    assert "4 buckets asked for: ties at the quantile edges merged them into 2" in out


def test_csv_and_json_carry_the_same_numbers(small_store, capsys):
    url = str(small_store.url)
    assert flip("--db", url, "--format", "json", "--buckets", "2") == 0
    document = json.loads(capsys.readouterr().out)
    assert document["requested_buckets"] == 2 and document["items"] == 4
    assert [b["bucket"] for b in document["buckets"]] == ["2 words", "9 words"]
    flip_row = next(r for r in document["rows"] if r["method"] == "flip")
    assert [a["acc"] for a in flip_row["accuracy"]] == [1.0, 1.0]
    assert len(flip_row["run_ids"]) == 2
    assert flip("--db", url, "--format", "csv") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split(",")[:7] == [
        "kind", "model", "method", "profile", "backend", "prompt_hash", "run_ids",
    ]  # fmt: skip
    assert len(lines) == 1 + 2 * len(document["rows"])  # a line per row and bucket


def test_cells_show_a_partial_n_and_buckets_without_verdicts_a_dash():
    from flip_cli.commands.report import format_table

    bucket = LengthBucket(1, 5, frozenset({"a", "b", "c"}))
    partial = Interval(0.5, 0.0, 1.0, 2)
    report = LengthReport(
        "llmbar",
        4,
        (bucket, LengthBucket(6, 9, frozenset({"d"}))),
        (model_row("m", "flip", (partial, None)),),
    )
    line = format_table(report).splitlines()[4]
    assert line.rstrip().endswith("50.0 [0.0, 100.0] n=2  -")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--benchmark", "nope"], "unknown benchmark 'nope'; choose one of rb2, llmbar, demo"),
        (["--buckets", "0"], "--buckets must be >= 1, got 0"),
        (["--benchmark", "rb2"], "the store holds no full run of rb2"),
    ],
)
def test_bad_requests_are_one_line_errors(small_store, capsys, args, fragment):
    assert flip("--db", str(small_store.url), *args) == 2
    assert fragment in one_error_line(capsys)


def test_missing_and_empty_databases_are_one_line_errors(tmp_path, capsys):
    assert flip("--db", f"sqlite:///{tmp_path / 'missing.db'}") == 2
    assert "no database at" in one_error_line(capsys)
    (tmp_path / "blank.db").touch()
    assert flip("--db", f"sqlite:///{tmp_path / 'blank.db'}") == 2
    assert "is empty; build it with `flip ingest`" in one_error_line(capsys)
    open_engine(f"sqlite:///{tmp_path / 'fresh.db'}", create=True).dispose()
    assert flip("--db", f"sqlite:///{tmp_path / 'fresh.db'}") == 2
    assert "the store holds no full run of llmbar" in one_error_line(capsys)


# ---- the figure ----------------------------------------------------------------------------


def model_row(model: str, method: str, accuracy: tuple, profile: str = "cpu") -> LengthAccuracyRow:
    return LengthAccuracyRow(
        "model", model, method, profile, "hf", f"hash-{method}", (7,), accuracy
    )


def hostile_report() -> LengthReport:
    short = LengthBucket(1, 5, frozenset({"a", "b"}))
    long = LengthBucket(6, 40, frozenset({"c", "d"}))
    acc = Interval(0.5, 0.25, 0.75, 2)
    return LengthReport(
        "llmbar",
        4,
        (short, long),
        (
            model_row(HOSTILE, "flip", (acc, acc)),
            model_row(HOSTILE, HOSTILE, (acc, None), profile=HOSTILE),
            LengthAccuracyRow(
                "rule", "always the longest", "longest", "", "", None, (), (acc, acc)
            ),
        ),
    )


def strings(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in strings(value)]
    return []


def test_figure_has_a_trace_per_row_with_bucket_categories_and_intervals():
    fig = length_accuracy_figure(hostile_report()).to_plotly()
    assert len(fig.data) == 3
    model = fig.data[0]
    assert list(model.x) == ["1-5 words<br>items: 2", "6-40 words<br>items: 2"]
    assert list(model.y) == [50.0, 50.0]
    assert list(model.error_y.array) == [25.0, 25.0]
    assert list(fig.data[1].y) == [50.0, None]  # no verdict in the long bucket
    rule = fig.data[2]
    assert rule.name == "always the longest" and rule.line.dash == "dash"
    assert rule.error_y.array is None  # a rule is exact on these items
    assert "run id(s): 7" in model.hovertext[0] and "method: FLIP" in model.hovertext[0]
    assert model.name.endswith(" · FLIP")  # the method's label


def test_figure_text_from_runs_is_only_escaped():
    # to_json() writes "<" as \u003c, so look at the decoded strings, not the raw JSON.
    found = strings(json.loads(length_accuracy_figure(hostile_report()).to_json()))
    assert not [s for s in found if "<img" in s]
    assert any("&lt;img src=x onerror=alert(1)&gt;" in s for s in found)


def test_figure_of_the_store_and_of_an_empty_report(small_store):
    assert len(length_accuracy_figure(length_report(small_store, "llmbar")).data) == 4
    empty = length_accuracy_figure(LengthReport("llmbar", 4, (), ())).to_plotly()
    assert not empty.data and empty.layout.annotations[0].text == EMPTY_MESSAGE


def test_markdown_table_and_a_profile_filter(small_store, capsys):
    url = str(small_store.url)
    assert flip("--db", url, "--format", "markdown") == 0
    out = capsys.readouterr().out
    assert "| model | method | profile | backend | 2 words | 9 words |" in out
    assert "| always the longest |" in out  # a rule's row is a reference: it stays
    assert flip("--db", url, "--profile", "paper") != 0
    assert "no llmbar row of the store has profile paper" in one_error_line(capsys)
