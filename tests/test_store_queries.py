"""The leaderboard's queries: comparable cells, reference points, limited runs, one item."""

from __future__ import annotations

import pytest

from flip_store.read.items import item_detail
from flip_store.read.leaderboard import leaderboard
from flip_store.read.listing import list_models, list_runs


@pytest.fixture
def store(small_store):
    return small_store


def test_leaderboard_rows_hold_comparable_domain_cells(store):
    rows = leaderboard(store, "llmbar")
    flip = next(r for r in rows if r.method == "flip")
    assert set(flip.domains) == {"neighbor", "manual"}
    assert flip.mean("acc") == 1.0 and flip.mean("parse_fail_rate") == 0.0
    # the fake model has no tokenizer: its token counts are unknown, never characters
    assert flip.mean("generated_tokens_per_item") is None
    assert flip.backend and flip.key[3] == flip.backend
    cell = flip.domains["neighbor"]
    assert cell.n == 2 and cell.ci_low <= cell.value <= cell.ci_high and not cell.limited


def test_reference_points_are_computed_from_the_stored_items(store):
    from flip_store.read.references import reference_rows, rule_verdicts

    rows = {row.key: row for row in reference_rows(store, "llmbar", ["neighbor", "manual"])}
    assert rows["rule:chance"].domains["neighbor"].value == 0.5  # chance on pairs
    assert rows["rule:chance"].kind == "rule"
    verdicts = rule_verdicts(store, "llmbar", ["neighbor"])
    # the crafted items: item 0's gold is one character longer, item 1's ties (strict: wrong)
    assert verdicts["longest"] == {"llmbar:neighbor:0": 1.0, "llmbar:neighbor:1": 0.0}
    assert verdicts["shortest"] == {"llmbar:neighbor:0": 0.0, "llmbar:neighbor:1": 0.0}
    assert rows["rule:longest"].domains["neighbor"].value == 0.5
    reported = [row for row in rows.values() if row.kind == "reported"]
    assert {row.method for row in reported} == {"judge_pairwise"}  # LLMBar's own evaluators
    gpt4 = rows["llmbar:GPT-4:Vanilla"]
    assert round(gpt4.domains["neighbor"].value * 100, 1) == 78.7
    assert gpt4.domains["neighbor"].n is None  # quoted: no interval of ours


def test_limited_runs_only_on_request_and_marked(store):
    assert all(r.method != "judge_pointwise" for r in leaderboard(store, "llmbar"))
    rows = leaderboard(store, "llmbar", include_limited=True)
    pointwise = next(r for r in rows if r.method == "judge_pointwise")
    assert pointwise.domains["neighbor"].limited and pointwise.domains["neighbor"].n == 1


def test_item_detail_has_candidates_and_every_runs_calls(store):
    detail = item_detail(store, "llmbar:neighbor:1")
    assert [c.text for c in detail.candidates] == ["weak one", "GOOD two"]
    by_task = {run.task: run for run in detail.runs}
    pairwise = by_task["judge_pairwise_llmbar_neighbor"]
    assert [call.shown for call in pairwise.calls] == [[0, 1], [1, 0]]
    assert pairwise.outcome.picked_position == 1 and pairwise.outcome.correct
    assert by_task["flip_llmbar_neighbor"].scores[1] == 1.0
    assert detail.item.instruction and detail.candidates[1].is_chosen is True
    assert item_detail(store, "llmbar:neighbor:404") is None


def test_listings(store):
    assert [m.runs for m in list_models(store)] and all(m.runs for m in list_models(store))
    runs = list_runs(store)
    assert {r.task for r in runs} >= {"flip_llmbar_neighbor", "flip_llmbar_manual"}
    assert all(not r.task.startswith("baseline") for r in runs)  # reference points are no runs
    flip = next(r for r in runs if r.task == "flip_llmbar_neighbor" and r.variant == "none")
    # what issue 17's table needs per run: the budget, the interval, parse and finished rates
    assert flip.max_new_tokens and flip.backend and flip.n == 2
    assert flip.acc_ci is not None and flip.acc_ci[0] <= flip.acc <= flip.acc_ci[1]
    assert flip.parse_fail_rate == 0.0 and flip.finished_rate is None  # no tokenizer: unknown
    assert {r.benchmark for r in list_runs(store, "llmbar")} == {"llmbar"}


def test_a_newer_limited_run_never_hides_the_full_run(tmp_path):
    from harness_fakes import ContentJudgeLM, crafted_environment

    from flip_cli.harness_run import run_tasks
    from flip_store.database import open_engine
    from flip_store.ingest import ingest_path

    engine = open_engine(f"sqlite:///{tmp_path / 'flip.db'}", create=True)
    with crafted_environment(tmp_path):
        for folder, limit in (("full", None), ("limited", 1)):
            run_tasks(ContentJudgeLM(), ["flip_llmbar_neighbor"], tmp_path / folder, limit=limit)
            ingest_path(engine, tmp_path / folder, progress=lambda line: None)
    runs = {run.limit: run.id for run in list_runs(engine) if run.task == "flip_llmbar_neighbor"}
    assert runs[1] > runs[None]  # the limited run is the newer one
    (flip,) = [r for r in leaderboard(engine, "llmbar", include_limited=True) if r.method == "flip"]
    assert flip.domains["neighbor"].run_id == runs[None] and not flip.domains["neighbor"].limited


def test_item_detail_narrowed_to_chosen_runs(store):
    flip = next(r.id for r in list_runs(store) if r.task == "flip_llmbar_neighbor")
    detail = item_detail(store, "llmbar:neighbor:1", [flip])
    assert [run.run_id for run in detail.runs] == [flip]
    assert detail.runs[0].calls and detail.runs[0].outcome.picked_position is not None
    assert len(item_detail(store, "llmbar:neighbor:1").runs) > 1


def test_a_probed_run_never_stands_in_for_a_clean_one(tmp_path):
    from harness_fakes import ContentJudgeLM, crafted_environment
    from sqlalchemy import update

    from flip_cli.harness_run import run_tasks
    from flip_store.database import open_engine
    from flip_store.ingest import ingest_path
    from flip_store.schema import RunRow

    engine = open_engine(f"sqlite:///{tmp_path / 'flip.db'}", create=True)
    with crafted_environment(tmp_path):
        run_tasks(ContentJudgeLM(), ["flip_llmbar_neighbor"], tmp_path / "raw")
        ingest_path(engine, tmp_path / "raw", progress=lambda line: None)
    with engine.begin() as connection:  # as a hack_pad probe run would be stored
        connection.execute(update(RunRow).where(RunRow.method == "flip").values(variant="hack_pad"))
    assert "flip" not in {row.method for row in leaderboard(engine, "llmbar")}
    probed = leaderboard(engine, "llmbar", variant="hack_pad")
    assert [row.method for row in probed] == ["flip"]
