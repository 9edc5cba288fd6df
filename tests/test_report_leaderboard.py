"""``flip report leaderboard``: the Leaderboard tab's rows, with every interval, from the
command line (the README's model tables are regenerated with it)."""

from __future__ import annotations

import json
import re

from flip_cli.main import main
from flip_store.read.leaderboard import leaderboard


def report(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["report", "leaderboard", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_rows_are_the_boards_with_intervals_gain_and_pooled_accuracy(small_store, capsys):
    url = str(small_store.url)
    code, out, _ = report(capsys, "--db", url, "--domains", "neighbor,manual", "--format", "json")
    assert code == 0
    records = json.loads(out)
    stored = {row.method: row for row in leaderboard(small_store, "llmbar")}
    flip = next(r for r in records if r["kind"] == "model" and r["method"] == "flip")
    cell = stored["flip"].domains["neighbor"]
    assert (flip["neighbor"], flip["neighbor_low"], flip["neighbor_high"], flip["neighbor_n"]) == (
        cell.value, cell.ci_low, cell.ci_high, cell.n,
    )  # fmt: skip
    counts = {d: flip[f"{d}_n"] for d in ("neighbor", "manual")}
    assert flip["pooled_n"] == sum(counts.values())
    assert flip["pooled"] == sum(flip[d] * n for d, n in counts.items()) / flip["pooled_n"]
    assert flip["pooled_low"] <= flip["pooled"] <= flip["pooled_high"]
    # the Average's interval resamples within each domain: it holds the plain mean
    assert flip["average"] == sum(flip[d] for d in counts) / 2
    assert flip["average_low"] <= flip["average"] <= flip["average_high"]
    assert flip["best_judge"] == "judge_pairwise" and flip["flip_gain_p"] is not None
    # sorted as the tab sorts: by the Average, rows without one last
    averages = [r["average"] for r in records if r["average"] is not None]
    assert averages == sorted(averages, reverse=True)
    code, out, _ = report(capsys, "--db", url, "--domains", "neighbor", "--format", "json")
    single = next(r for r in json.loads(out) if r["kind"] == "model" and r["method"] == "flip")
    assert (single["pooled_low"], single["pooled_high"]) == (cell.ci_low, cell.ci_high)
    chance = next(r for r in records if r["model"].startswith("chance"))
    assert chance["pooled"] == chance["pooled_low"] == chance["pooled_high"]  # an expected value
    assert chance["average"] == chance["average_low"] == chance["average_high"]
    reported = [r for r in records if r["kind"] != "model" and r["neighbor_n"] is None]
    assert reported and all(r["average_low"] is None for r in reported)  # reported: no count
    # the content judge answers by content, so each pair's two orders name each slot once
    pairwise = next(r for r in records if r["method"] == "judge_pairwise")
    assert pairwise["first_shown_rate"] == 0.5 and flip["first_shown_rate"] is None


def test_table_prints_each_domain_with_its_interval(small_store, capsys):
    code, out, _ = report(capsys, "--db", str(small_store.url), "--domains", "neighbor")
    assert code == 0
    header, *lines = out.splitlines()
    columns = re.split(r"\s{2,}", header)
    assert columns[:6] == ["model", "method", "backend", "profile", "neighbor", "average"]
    flip = next(line for line in lines if re.search(r"\sflip\s", line))
    assert re.search(r"\d+\.\d \[\d+\.\d, \d+\.\d\]", flip)
    assert "first shown" in columns
    pairwise = next(line for line in lines if re.search(r"\sjudge_pairwise\s", line))
    shown = columns.index("first shown")
    assert re.split(r"\s{2,}", pairwise)[shown] == "50.0"


def test_an_unknown_domain_is_one_line(small_store, capsys):
    code, _, err = report(capsys, "--db", str(small_store.url), "--domains", "nowhere")
    assert code == 2 and "unknown llmbar domain 'nowhere'" in err
    assert len(err.strip().splitlines()) == 1


def test_a_reader_that_goes_away_ends_the_command_quietly(small_store, capsys, monkeypatch):
    """``flip report leaderboard | head -3``: the pipe closes under the writer; the command
    stops with the shell's status for it, not a traceback."""
    import os

    from flip_cli.commands import report_leaderboard

    def pipe_closed(args):  # type: ignore[no-untyped-def]
        raise BrokenPipeError

    saved = os.dup(1)  # main points stdout at devnull on a broken pipe; restore it afterwards
    try:
        monkeypatch.setattr(report_leaderboard, "run", pipe_closed)
        code = main(["report", "leaderboard", "--db", str(small_store.url)])
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    assert code == 141 and capsys.readouterr().err == ""


def test_markdown_is_the_same_table_for_a_readme(small_store, capsys):
    url = str(small_store.url)
    _, table, _ = report(capsys, "--db", url, "--domains", "neighbor")
    code, markdown, _ = report(capsys, "--db", url, "--domains", "neighbor", "--format", "markdown")
    assert code == 0
    header, rule, *rows = markdown.split("\n\n")[0].splitlines()
    assert header.startswith("| model | method | backend | profile | neighbor | average |")
    assert set(rule.replace("|", "").split()) == {"---"}
    plain = [re.split(r"\s{2,}", line) for line in table.split("\n\n")[0].splitlines()]
    assert [line.strip("| ").split(" | ") for line in [header, *rows]] == plain
    assert markdown.split("\n\n")[1] == table.split("\n\n")[1]  # the same note


def test_backend_and_profile_keep_their_model_rows_and_every_reference(small_store, capsys):
    url = str(small_store.url)
    code, out, _ = report(capsys, "--db", url, "--profile", "default", "--format", "json")
    records = json.loads(out)
    assert code == 0 and {r["kind"] for r in records} >= {"model", "rule"}
    code, _, err = report(capsys, "--db", url, "--backend", "vllm")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "no llmbar row of the store has backend vllm" in err


def test_markdown_cells_cannot_break_the_table_or_inject_html():
    from flip_cli.report_format import markdown_table

    text = markdown_table([["model", "acc"], ['evil | <img src=x onerror="a"> \\ new\nline', "1"]])
    row = text.splitlines()[2]
    assert row == r'| evil \| &lt;img src=x onerror="a"&gt; \\ new line | 1 |'
