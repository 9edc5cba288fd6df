"""leaderboard.compare_view: the Compare page's HTML (headline, item lists, links, escaping)."""

from __future__ import annotations

import html
import re

from harness_fakes import PLANTED_MARKUP

from flip_core.paired import paired_difference
from flip_store.read.comparisons import RunComparison, RunLabel, compare_runs
from flip_store.read.listing import list_runs
from leaderboard.compare_view import MAX_LISTED_ITEMS, render_comparison
from leaderboard.deep_links import parse_query, query_string

EVIL_ITEM = "llmbar:neighbor:<script>alert(1)</script>"


def _run_id(engine, task: str) -> int:
    (run_id,) = [r.id for r in list_runs(engine) if r.task == task]
    return run_id


def _hrefs(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r"href='([^']*)'", page)]


def test_headline_lists_and_links_from_the_small_store(small_store):
    # the limited pointwise run (garbage answers, one item, wrong) against FLIP (right)
    pointwise = _run_id(small_store, "judge_pointwise_llmbar_neighbor")
    flip = _run_id(small_store, "flip_llmbar_neighbor")
    page = render_comparison(compare_runs(small_store, pointwise, flip), "llmbar")
    assert "Accuracy A 0.0%, B 100.0%" in page
    assert "B - A +100.0 points" in page and "95% interval" in page
    assert "McNemar exact p = 1" in page  # one discordant item
    assert "Agreement 0.0% on 1 shared items" in page
    assert "Compared on the 1 item both runs scored" in page
    assert "flip_llmbar_neighbor" in page and "pointwise judge" in page and "FLIP" in page
    expected = query_string("inspect", "llmbar", "llmbar:neighbor:0", [pointwise, flip])
    assert _hrefs(page) == [expected]  # the one improved item; nothing regressed
    state = parse_query(dict(part.split("=", 1) for part in expected[1:].split("&")))
    assert (state.tab, state.item, state.runs) == (
        "inspect",
        "llmbar:neighbor:0",
        [pointwise, flip],
    )
    assert "Improved" in page and "Regressed" in page and "<p>none</p>" in page


def _comparison(improved: list[str], model: str = "m", regressed: list[str] = ()) -> RunComparison:
    regressed = list(regressed)
    n = len(improved) + len(regressed) + 3
    a = [False] * len(improved) + [True] * len(regressed) + [True, False, True]
    b = [True] * len(improved) + [False] * len(regressed) + [True, False, True]
    return RunComparison(
        run_a=RunLabel(
            3, model, "judge_pairwise", "judge_pairwise_llmbar_neighbor", "llmbar", "neighbor", n
        ),
        run_b=RunLabel(4, "other", "flip", "flip_llmbar_neighbor", "llmbar", "neighbor", n),
        n=n,
        both_right=2,
        both_wrong=1,
        improved=improved,
        regressed=regressed,
        difference=paired_difference(a, b),
        notes=[f"note about {model}"],
    )


def test_untrusted_model_names_and_item_ids_are_escaped():
    page = render_comparison(
        _comparison([EVIL_ITEM, "llmbar:neighbor:a&b #c"], model=PLANTED_MARKUP), "llmbar"
    )
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the item id shows as text
    assert "&lt;script&gt;window.flipPwned" in page  # the model name, in the table and the note
    hrefs = _hrefs(page)
    assert all(h.startswith("?tab=inspect&benchmark=llmbar&item=") for h in hrefs)
    assert all("<" not in h and " " not in h and "#" not in h for h in hrefs)
    assert "item=llmbar:neighbor:a%26b%20%23c&runs=3,4" in hrefs[1]  # cannot cut the link short
    assert page.count("<a ") == 2


def test_long_lists_are_cut_with_a_count():
    items = [f"llmbar:neighbor:{i}" for i in range(MAX_LISTED_ITEMS + 37)]
    page = render_comparison(_comparison(items, regressed=["llmbar:neighbor:x"]), "llmbar")
    assert page.count("<a ") == MAX_LISTED_ITEMS + 1
    assert f"({MAX_LISTED_ITEMS + 37})" in page and "and 37 more" in page
    assert "McNemar exact p = &lt; 0.001" in page


def test_friendly_messages_without_a_comparison(small_store):
    missing = render_comparison(None, "llmbar")
    assert "Nothing to compare" in missing and "<a " not in missing
    flip = _run_id(small_store, "flip_llmbar_neighbor")
    manual = _run_id(small_store, "flip_llmbar_manual")
    apart = render_comparison(compare_runs(small_store, flip, manual), "llmbar")
    assert "no items in common" in apart and "share no items" in apart
    assert "<a " not in apart and "McNemar" not in apart
