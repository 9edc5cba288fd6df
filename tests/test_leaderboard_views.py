"""Leaderboard view functions: escaping, highlighting, table filters, CSV, deep links, Inspect."""

from __future__ import annotations

import json

import pytest
from harness_fakes import PLANTED_MARKUP

from flip_store.read.items import find_items, item_detail
from flip_store.read.leaderboard import leaderboard
from flip_store.read.listing import list_runs
from flip_store.read.verdicts import discordant_counts
from leaderboard.deep_links import parse_query, query_string
from leaderboard.escaping import escape_text, highlight_shared_words
from leaderboard.gains import flip_gains
from leaderboard.inspect_view import render_item
from leaderboard.paper_reference import PAPER_LABEL
from leaderboard.table_view import TableFilters, csv_safe, leaderboard_frame, size_bucket

LLMBAR = ["neighbor", "gptinst", "gptout", "manual"]


def test_escaping_keeps_markup_as_text():
    html = escape_text(PLANTED_MARKUP + "\nsecond line")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "onerror=&quot;" in html
    assert html.endswith("<br>second line")


def test_highlighting_marks_exactly_the_words_f1_counts():
    html = highlight_shared_words("Write a <b>poem</b>, about cats!", "write one poem about dogs")
    assert "<mark>Write</mark>" in html and "<mark>about</mark>" in html
    assert "<mark>cats!</mark>" not in html and "cats!" in html
    assert "&lt;b&gt;poem&lt;/b&gt;," in html  # markup escaped; 'b' tags break the word match
    assert highlight_shared_words(None, "x") == ""


def test_table_filters_and_reference_rows(small_store):
    rows = leaderboard(small_store, "llmbar")
    frame = leaderboard_frame(rows, "llmbar", LLMBAR, TableFilters())
    assert set(frame["Kind"]) == {"model", "baseline"}  # no paper rows on LLMBar
    flip = frame[frame["Method"] == "flip"].iloc[0]
    assert flip["Neighbor"] == 100.0 and flip["Manual"] == 100.0
    assert flip["Average"] is None  # gptinst and gptout were not run: no average
    only_flip = leaderboard_frame(
        rows, "llmbar", LLMBAR, TableFilters(methods=["flip"], show_baselines=False)
    )
    assert list(only_flip["Method"]) == ["flip"]
    shown = ["neighbor", "manual"]
    gains = flip_gains(rows, shown, lambda pairs: discordant_counts(small_store, pairs))
    two = leaderboard_frame(rows, "llmbar", LLMBAR, TableFilters(domains=shown), gains)
    assert "GPTInst" not in two.columns
    flip_two = two[two["Method"] == "flip"].iloc[0]
    assert flip_two["Average"] == 100.0
    assert flip_two["FLIP gain (%)"] == 0.0  # the fake judge is perfect too
    assert flip_two["Gain p (McNemar)"] == 1.0  # same verdict on every shared item
    (gain,) = gains.values()
    assert gain.judge.method == "judge_pairwise" and gain.counts.n == 4  # 2 items x 2 domains
    assert leaderboard_frame(
        rows, "llmbar", LLMBAR, TableFilters(search="nomatch", show_baselines=False)
    ).empty
    rb2 = leaderboard_frame(
        [], "rb2", ["focus", "factuality", "precise_if", "math"], TableFilters()
    )
    assert set(rb2["Model"]) == {PAPER_LABEL} and len(rb2) == 4
    assert float(rb2[rb2["Method"] == "flip"]["Average"].iloc[0]) == 34.5
    hidden = leaderboard_frame([], "rb2", ["focus"], TableFilters(show_paper=False))
    assert hidden.empty


def test_limited_runs_are_marked(small_store):
    rows = leaderboard(small_store, "llmbar", include_limited=True)
    frame = leaderboard_frame(rows, "llmbar", LLMBAR, TableFilters(methods=["judge_pointwise"]))
    assert frame["Runs"].iloc[0].endswith("(limited)")


def test_size_buckets():
    assert [
        size_bucket(p) for p in (None, 135_000_000, 1_700_000_000, 8_000_000_000, 13_000_000_000)
    ] == ["unknown", "< 1B", "1-3B", "3-8B", "> 8B"]


def test_csv_export_neutralises_formulas():
    import pandas as pd

    frame = pd.DataFrame({"Model": ['=HYPERLINK("x")', "+1", "-2", "@a", "safe"], "n": [1] * 5})
    assert list(csv_safe(frame)["Model"]) == ['\'=HYPERLINK("x")', "'+1", "'-2", "'@a", "safe"]


@pytest.mark.parametrize(
    ("params", "tab", "item", "runs", "noted"),
    [
        ({}, "leaderboard", None, [], False),
        ({"item": "llmbar:manual:1"}, "inspect", "llmbar:manual:1", [], False),
        ({"tab": "inspect", "runs": "3,4"}, "inspect", None, [3, 4], False),
        ({"tab": "<script>"}, "leaderboard", None, [], True),
        ({"item": "../../etc/passwd"}, "leaderboard", None, [], True),
        ({"runs": "1;drop table"}, "leaderboard", None, [], True),
        ({"benchmark": "mmlu"}, "leaderboard", None, [], True),
    ],
)
def test_deep_links_are_validated(params, tab, item, runs, noted):
    state = parse_query(params)
    assert (state.tab, state.item, state.runs, bool(state.notes)) == (tab, item, runs, noted)


def test_query_string_round_trips():
    link = query_string("inspect", "llmbar", "llmbar:neighbor:0", [1, 2])
    params = dict(part.split("=", 1) for part in link[1:].split("&"))
    state = parse_query(params)
    assert (state.tab, state.benchmark, state.item, state.runs) == (
        "inspect",
        "llmbar",
        "llmbar:neighbor:0",
        [1, 2],
    )


def test_inspect_renders_everything_escaped(small_store):
    detail = item_detail(small_store, "llmbar:manual:1")
    html = render_item(detail)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "onerror=&quot;" in html and "<img" not in html
    assert "Original instruction" in html and "candidate 1 · gold" in html
    assert "picked by" in html and "F1 1.00" in html and "<mark>" in html
    assert "baseline" not in html  # reference runs are not shown as judges


def test_find_items_filters(small_store):
    assert find_items(small_store, "llmbar", "manual") == ["llmbar:manual:0", "llmbar:manual:1"]
    assert find_items(small_store, "llmbar", search="ANSWER the") != []
    assert find_items(small_store, "llmbar", search="zebra") == []
    runs = {r.task: r.id for r in list_runs(small_store)}
    flip, pairwise = runs["flip_llmbar_neighbor"], runs["judge_pairwise_llmbar_neighbor"]
    assert (
        find_items(small_store, "llmbar", "neighbor", run_a=flip, run_b=pairwise, only="disagree")
        == []
    )
    pointwise = runs["judge_pointwise_llmbar_neighbor"]
    assert find_items(small_store, "llmbar", "neighbor", run_a=pointwise, only="a_wrong") == [
        "llmbar:neighbor:0"
    ]


def test_inspect_marks_ties_instead_of_a_pick(small_store):
    from dataclasses import replace

    detail = item_detail(small_store, "llmbar:manual:1")
    flip = next(run for run in detail.runs if run.method == "flip")
    tied = replace(flip, scores=dict.fromkeys(flip.scores, 0.5))
    html = render_item(detail, [tied])
    assert html.count("tied top score for") == 2 and "picked by" not in html
    unscored = replace(flip, scores=dict.fromkeys(flip.scores))  # e.g. no rating parsed
    assert render_item(detail, [unscored]).count("tied top score for") == 2
    assert "picked by" in render_item(detail, [flip])


def test_length_chart_shows_the_featured_model_on_the_selected_domains(small_store):
    from leaderboard.views import LeaderboardViews

    views = LeaderboardViews(small_store)
    figure = views.length_chart("llmbar", ["neighbor"], False)
    traces = json.loads(figure.plot)["data"]  # what gr.Plot hands to plotly.js
    names = [trace["name"] for trace in traces]
    # the small store's one model: FLIP and the pairwise judge, plus the two length rules
    assert sum("flip" in n for n in names) == 1 and sum("judge_pairwise" in n for n in names) == 1
    assert {"always longest", "always shortest"} <= set(names)
    model_trace = next(t for t in traces if "flip" in t["name"])
    assert all(y == 100.0 for y in model_trace["y"] if y is not None)  # the fake picks GOOD
    assert views.length_chart("llmbar", ["neighbor"], False) is figure  # memoised
