"""Leaderboard view functions: escaping, highlighting, deep links, Inspect, and each tab's
server-side work through :class:`leaderboard.views.LeaderboardViews`."""

from __future__ import annotations

import json

import pytest
from harness_fakes import PLANTED_MARKUP

from flip_store.read.items import find_items, item_detail
from flip_store.read.listing import list_runs
from leaderboard.deep_links import parse_query, query_string
from leaderboard.escaping import escape_text, highlight_shared_words
from leaderboard.figures.charts import CHART_IDS
from leaderboard.inspect_view import render_item
from leaderboard.views import LeaderboardViews


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
    assert "· FLIP (run" in html and "· pairwise judge (run" in html  # method labels
    assert "pairwise wins" in html and "reasoning: r" in html


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


def test_charts_follow_the_domains_and_the_chosen_model(small_store):
    views = LeaderboardViews(small_store)
    names, featured = views.model_choices("llmbar")
    assert featured in names and len(names) == 1  # the limited-only model is not offered
    figures = views.charts("llmbar", ["neighbor", "manual"])
    assert len(figures) == len(CHART_IDS)
    bars = json.loads(figures[CHART_IDS.index("domain_bars")].plot)
    assert [t["name"] for t in bars["data"] if t["type"] == "bar"] == ["FLIP", "pairwise judge"]
    assert bars["data"][0]["x"] == ["Neighbor", "Manual"]
    assert views.charts("llmbar", ["neighbor", "manual"]) is figures  # memoised
    other = views.charts("llmbar", ["neighbor", "manual"], model="absent")
    assert "No runs for absent" in json.loads(other[1].plot)["layout"]["annotations"][0]["text"]


def test_length_chart_shows_the_featured_model_on_the_selected_domains(small_store):
    views = LeaderboardViews(small_store)
    figure = views.length_chart("llmbar", ["neighbor"])
    traces = json.loads(figure.plot)["data"]  # what gr.Plot hands to plotly.js
    names = [trace["name"] for trace in traces]
    # the small store's one model: FLIP and the pairwise judge, plus the two length rules
    assert sum("FLIP" in n for n in names) == 1 and sum("pairwise judge" in n for n in names) == 1
    assert {"always the longest", "always the shortest"} <= set(names)
    model_trace = next(t for t in traces if "FLIP" in t["name"])
    assert all(y == 100.0 for y in model_trace["y"] if y is not None)  # the fake picks GOOD
    assert views.length_chart("llmbar", ["neighbor"]) is figure  # memoised


def test_robustness_reranking_inspect_and_compare_views(small_store):
    views = LeaderboardViews(small_store)
    frame, figure = views.robustness("llmbar")
    assert frame.empty and "No runs" in figure.plot  # no probe runs in this store
    assert views.rerank_benchmarks() == []  # no reranking runs either
    frame, figure = views.reranking(None)
    assert frame.empty and figure.type == "plotly"
    runs = {run_id: label for label, run_id in views.run_choices("llmbar")}
    assert any(label.endswith(f" (limited) (run {run_id})") for run_id, label in runs.items())
    assert views.item_ids("llmbar", "manual", "", None, None, "all items") == [
        "llmbar:manual:0",
        "llmbar:manual:1",
    ]
    assert "No item matches" in views.item_html(None, [])
    assert "no item with that id" in views.item_html("llmbar:manual:99", [])
    flip = next(r for r, label in runs.items() if "flip_llmbar_neighbor" in label)
    pairwise = next(r for r, label in runs.items() if "judge_pairwise_llmbar_neighbor" in label)
    assert "Pick two runs" in views.compare_html(None, flip, "llmbar")
    assert "McNemar exact p" in views.compare_html(pairwise, flip, "llmbar")


def test_notice_counts_the_real_models(small_store):
    views = LeaderboardViews(small_store)
    assert (
        views.real_models() and views.notice() == f"{len(views.real_models())} models in the store."
    )


def test_deep_links_choose_the_benchmark_of_their_runs(small_store):
    views = LeaderboardViews(small_store)
    (run_id, *_) = [run.id for run in list_runs(small_store)]
    assert views.link_benchmark(parse_query({"tab": "compare", "runs": str(run_id)})) == "llmbar"
    assert views.link_benchmark(parse_query({"benchmark": "rb2"})) == "rb2"
    choices, runs = views.linked_runs("llmbar", [run_id, 99_999])
    assert runs == [run_id, None] and run_id in {value for _, value in choices}
