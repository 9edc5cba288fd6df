"""``flip report length-control``: pooled length-controlled figures per leaderboard row.

The pooled figures are read from the store by one code path (verdicts and candidate texts) and
the per-run figures are computed at ingest by another (the lm-eval output's items); on a row
with a single domain both must agree, which the first test checks on a committed real run.
"""

from __future__ import annotations

import json
import re

from conftest import REPO_ROOT
from sqlalchemy import select
from sqlalchemy.orm import Session

from flip_cli.main import main
from flip_store.database import open_engine
from flip_store.ingest import ingest_path
from flip_store.read.length_control import length_control_report
from flip_store.schema import MetricRow, RunRow

COMMITTED = REPO_ROOT / "results" / "raw" / "llmbar-smollm2-135m-cpu"


def test_a_one_domain_row_equals_the_figures_stored_at_ingest(real_data_dir, tmp_path):
    engine = open_engine(f"sqlite:///{tmp_path / 'flip.db'}", create=True)
    for task in ("flip_llmbar_neighbor", "flipll_llmbar_neighbor"):
        report = ingest_path(engine, COMMITTED / task, progress=lambda line: None)
        assert not report.rejected, report.rejected
    with Session(engine) as session:
        stored = {
            (task, name): value
            for task, name, value in session.execute(
                select(RunRow.task, MetricRow.name, MetricRow.value).join(
                    MetricRow, MetricRow.run_id == RunRow.id
                )
            )
        }
    report = length_control_report(engine, "llmbar", resamples=50)
    assert {row.row.method for row in report.rows} == {"flip", "flipll"}
    for row in report.rows:
        task = f"{row.row.method}_llmbar_neighbor"
        assert row.domains == ("neighbor",) and row.controlled.n == 134
        assert row.controlled.status == "ok" and row.chance == 0.5
        assert row.controlled.raw.value == stored[(task, "acc")]
        assert row.where_shortest_wrong.value == stored[(task, "acc_where_shortest_wrong")]
        assert row.where_longest_wrong.value == stored[(task, "acc_where_longest_wrong")]
        # the point estimate does not depend on the resamples; the interval does
        assert abs(row.controlled.balanced - stored[(task, "acc_length_controlled")]) < 1e-9
    rules = {rule.rule: rule.accuracy for rule in report.rules}
    assert set(rules) == {"longest", "shortest"} and rules["shortest"].n == 134
    # both length-adversarial subsets partition the same 134 pairs differently
    flip = next(row for row in report.rows if row.row.method == "flip")
    assert flip.where_shortest_wrong.n == round(134 * (1 - rules["shortest"].value))


def test_too_few_items_is_reported_without_a_number(small_store, capsys):
    assert main(["report", "length-control", "--db", str(small_store.url)]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("model"))
    assert re.split(r"\s{2,}", header) == [
        "model", "method", "profile", "backend", "n", "accuracy", "where shortest wrong",
        "where longest wrong", "length-controlled", "slope", "beats length rules",
    ]  # fmt: skip
    flip_line = next(line for line in out.splitlines() if "  flip  " in line)
    assert flip_line.endswith("no fit (too_few_items)")
    assert "always the shortest" in out and "once length is controlled both are at chance" in out
    assert main(["report", "length-control", "--db", str(small_store.url), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert {row["method"] for row in rows} == {"flip", "judge_pairwise"}  # limited runs left out
    assert all(row["beats_length_rules"] is None and row["balanced"] is None for row in rows)


def test_an_empty_store_is_one_error_line(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    open_engine(url, create=True)
    assert main(["report", "length-control", "--db", url]) != 0
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("flip: error: the store holds no full run")


def test_markdown_table_keeps_the_rows_a_backend_selects(small_store, capsys):
    url = str(small_store.url)
    assert main(["report", "length-control", "--db", url, "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "| model | method | profile | backend | n | accuracy |" in out
    backend = next(line for line in out.splitlines() if "| flip |" in line).split(" | ")[3]
    assert main(["report", "length-control", "--db", url, "--backend", backend]) == 0
    assert "  flip  " in capsys.readouterr().out
    assert main(["report", "length-control", "--db", url, "--backend", "nowhere"]) != 0
    assert "has backend nowhere" in capsys.readouterr().err
