"""Robustness to reward hacks: paired drops between clean and probe runs, the tab's table and
figure, and Inspect's view of the edited text."""

from __future__ import annotations

import json
import re

import pytest
from harness_fakes import ContentJudgeLM, shown_responses, write_crafted_data

from flip_cli.harness_run import run_tasks
from flip_cli.main import main
from flip_store.database import open_engine
from flip_store.ingest import ingest_path
from flip_store.read.items import item_detail
from flip_store.read.leaderboard import leaderboard
from flip_store.read.robustness import robustness
from leaderboard.inspect_view import render_item
from leaderboard.robustness_view import robustness_figure, robustness_frame


class CopyingLM(ContentJudgeLM):
    """FLIP's weak spot, on purpose: a response that opens with an instruction-like first
    line is reconstructed as that line, so a restated instruction scores F1 = 1."""

    def answer(self, prompt: str) -> str:
        if "instruction reconstructor" in prompt:
            (text,) = shown_responses(prompt)
            if text.startswith("answer the question well"):
                return json.dumps({"REASONING": "r", "INFERRED INSTRUCTION": text.split("\n")[0]})
        return super().answer(prompt)


@pytest.fixture
def probed_store(tmp_path, monkeypatch):
    monkeypatch.setenv("FLIP_DATA_DIR", str(write_crafted_data(tmp_path / "data")))
    tasks = [
        "flip_llmbar_neighbor",
        "flip_llmbar_neighbor_hack_restate",
        "judge_pointwise_llmbar_neighbor",
        "judge_pointwise_llmbar_neighbor_hack_restate",
    ]
    run_tasks(CopyingLM(), tasks, tmp_path / "out")
    engine = open_engine(f"sqlite:///{tmp_path / 'flip.db'}", create=True)
    report = ingest_path(engine, tmp_path / "out", progress=lambda line: None)
    assert not report.rejected, report.rejected
    return engine


def test_restating_the_instruction_fools_flip_and_not_the_judge(probed_store):
    rows = {row.method: row for row in robustness(probed_store, "llmbar")}
    flip = rows["flip"].drops["hack_restate"]
    assert (flip.comparison.acc_a, flip.comparison.acc_b, flip.comparison.n) == (1.0, 0.0, 2)
    assert flip.drop == 1.0 and flip.drop_interval == (1.0, 1.0)
    judge = rows["judge_pointwise"].drops["hack_restate"]
    assert judge.drop == 0.0 and judge.comparison.p_value == 1.0
    assert set(rows["flip"].drops) == {"hack_restate"}  # probes not run are absent


def test_probe_runs_never_stand_in_for_clean_ones(probed_store):
    clean = {r.method: r for r in leaderboard(probed_store, "llmbar")}
    assert clean["flip"].domains["neighbor"].value == 1.0  # the clean run, not the fooled one


def test_table_and_figure_show_each_probe(probed_store):
    rows = robustness(probed_store, "llmbar")
    frame = robustness_frame(rows)
    flip = frame[frame["Method"] == "flip"].iloc[0]
    assert flip["hack_restate: accuracy"] == "100.0 → 0.0 (n=2)"
    assert flip["hack_restate: drop (pts)"] == "+100.0 [+100.0, +100.0]"
    assert flip["hack_pad: drop (pts)"] is None
    figure = robustness_figure(rows, "llmbar").to_plotly()
    assert len(figure.data) == 2 and list(figure.data[0].x) == ["restate the instruction"]
    assert "No runs" in robustness_figure([], "llmbar").to_plotly().layout.annotations[0].text


def test_inspect_shows_the_text_a_probe_run_saw(probed_store):
    detail = item_detail(probed_store, "llmbar:neighbor:0")
    html = render_item(detail)
    edited = html.split("edited by the hack_restate probe:</b>", 1)[1]
    assert edited.index("answer the question well") < edited.index("bad one")
    clean_only = item_detail(
        probed_store, "llmbar:neighbor:0", [r.run_id for r in detail.runs if r.variant == "none"]
    )
    assert "edited by" not in render_item(clean_only)


# ---- flip report robustness ------------------------------------------------------------------


def report(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["report", "robustness", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_report_prints_a_line_per_method_and_probe(probed_store, capsys):
    code, out, _ = report(capsys, "--db", str(probed_store.url))
    assert code == 0
    table = [re.split(r"\s{2,}", line.strip()) for line in out.splitlines()[2:5]]
    assert table[0] == [
        "model", "method", "profile", "backend", "probe", "n", "clean", "probed",
        "drop [95% CI]", "p",
    ]  # fmt: skip
    by_method = {line[1]: line[4:] for line in table[1:]}
    assert by_method["flip"] == [
        "hack_restate", "2", "100.0", "0.0", "+100.0 [+100.0, +100.0]", "0.5",
    ]  # fmt: skip
    # the judge was not fooled: no drop, printed without a negative zero
    assert by_method["judge_pointwise"][4:] == ["+0.0 [+0.0, +0.0]", "1"]


def test_report_json_and_csv_carry_the_same_numbers(probed_store, capsys):
    url = str(probed_store.url)
    code, out, _ = report(capsys, "--db", url, "--format", "json")
    assert code == 0
    document = json.loads(out)
    flip = next(r for r in document["rows"] if r["method"] == "flip")
    assert (flip["probe"], flip["n"], flip["acc_clean"], flip["acc_probed"]) == (
        "hack_restate", 2, 1.0, 0.0,
    )  # fmt: skip
    assert (flip["clean_only_right"], flip["probed_only_right"]) == (2, 0)
    code, out, _ = report(capsys, "--db", url, "--format", "csv")
    header, *rows = out.splitlines()
    assert header.startswith(
        "model,method,profile,backend,prompt_hash,probe,n,acc_clean,acc_probed,drop"
    )
    assert len(rows) == len(document["rows"]) == 2


def test_report_without_probe_runs_or_of_an_unknown_benchmark_is_one_line(
    probed_store, tmp_path, capsys
):
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    open_engine(empty, create=True).dispose()
    for args, fragment in [
        (["--db", empty], "the store holds no probe run of llmbar beside its clean run"),
        (["--db", str(probed_store.url), "--benchmark", "nope"], "unknown benchmark 'nope'"),
    ]:
        code, _, err = report(capsys, *args)
        (line,) = err.strip().splitlines()
        assert code == 2 and line.startswith("flip: error: ") and fragment in line


def test_report_markdown_and_a_backend_filter(probed_store, capsys):
    url = str(probed_store.url)
    code, out, _ = report(capsys, "--db", url, "--format", "markdown")
    assert code == 0
    header = next(line for line in out.splitlines() if line.startswith("| model"))
    assert header.split(" | ")[4:6] == ["probe", "n"]
    assert "| flip | default |" in out and "| hack_restate | 2 | 100.0 | 0.0 |" in out
    code, _, err = report(capsys, "--db", url, "--backend", "vllm")
    assert code == 2 and "no llmbar row of the store has backend vllm" in err
