"""Inspect renders each run's calls by the method's output kind (never by its name): a guarded
FLIP method shows as a reconstruction with what its guard did, every call says whether it
finished, and a method the registry does not know still shows its raw output, escaped."""

from __future__ import annotations

import json

from flip_core.restatement import guard
from flip_store.read.items import (
    CallView,
    CandidateView,
    ItemDetail,
    ItemView,
    OutcomeView,
    RunOnItem,
)
from leaderboard.inspect_view import guard_text, render_item

INSTRUCTION = "Write a haiku about autumn rain"


def item(runs: list[RunOnItem]) -> ItemDetail:
    return ItemDetail(
        ItemView("llmbar:neighbor:0", "llmbar", "neighbor", INSTRUCTION, 0, "local", "sha"),
        [
            CandidateView(0, "Cold drops on red leaves", 24, True, None),
            CandidateView(1, "<b>Spring</b> blossoms", 21, False, None),
        ],
        runs,
    )


def call(index: int, shown: list[int], raw: str, value: object, **kw) -> CallView:
    return CallView(index, shown, [raw], [value], ["ok"], False, 10, **kw)


def run(method: str, calls: list[CallView], scores: dict, run_id: int = 1, picked: int = 0):
    outcome = OutcomeView(picked, picked == 0, 1.0, 0.0)
    return RunOnItem(run_id, "model-x", method, f"{method}_llmbar_neighbor", calls, scores, outcome)


def test_a_guarded_reconstruction_shows_the_guard_and_whether_the_call_finished():
    # the decisions as the store records them (GuardDecision.to_dict)
    restated = guard(INSTRUCTION, f"{INSTRUCTION}\n\nCold drops on red leaves", "zero").to_dict()
    clean = guard(INSTRUCTION, "Spring blossoms", "zero").to_dict()
    guarded = run(
        "flip_guarded",
        [
            call(0, [0], "{}", "write a haiku about rain", finished=True, guard=restated),
            call(1, [1], "{}", "describe spring", finished=False, guard=clean),
        ],
        {0: 0.8, 1: 0.1},
    )
    html = render_item(item([guarded]))
    assert "FLIP + restatement guard (run 1)" in html  # the registered label
    assert "guard applied: response scored as empty (100% of the instruction restated)" in html
    assert "guard not applied (zero): 0% of the instruction restated, below the 90%" in html
    assert "finished" in html and "1 of 1 call(s) cut at the token limit" in html
    assert "F1 0.80" in html and "<mark>haiku</mark>" in html
    assert "picked by" in html


def test_each_candidate_shows_how_much_of_the_instruction_it_repeats():
    detail = ItemDetail(
        ItemView("llmbar:gptout:0", "llmbar", "gptout", INSTRUCTION, 0, "local", "sha"),
        [
            CandidateView(0, "Cold drops on red leaves", 24, True, None),
            CandidateView(1, "A haiku about autumn: rain", 26, False, None),
        ],
        [],
    )
    html = render_item(detail)
    # the instruction's words: write, haiku, about, autumn, rain ("a" is dropped as in F1)
    first, second = html.split("candidate 1")
    assert "repeats 0% of the instruction's words" in first
    assert "repeats 80% of the instruction's words" in second


def test_guard_text_speaks_for_every_policy_and_names_an_unreadable_record():
    response = f"{INSTRUCTION}\n\nCold drops on red leaves"
    assert guard_text(guard(INSTRUCTION, response, "strip").to_dict()).startswith(
        "guard applied: restated span removed"
    )
    assert guard_text(guard(INSTRUCTION, response, "penalise").to_dict()).startswith(
        "guard applied: reward x 0.00"
    )
    assert guard_text({"applied": True, "policy": "zero"}) == "guard record unreadable"


def test_judges_show_their_value_and_reasoning_by_output_kind():
    reasoning = json.dumps({"REASONING": "it is <b>vivid</b>", "SCORE": 8})
    rating = run(
        "judge_pointwise", [call(0, [0], reasoning, 8.0, finished=True)], {0: 8.0, 1: None}
    )
    verdict_raw = json.dumps({"REASONING": "A rhymes", "BETTER_RESPONSE": "A"})
    verdict = run("judge_pairwise", [call(0, [0, 1], verdict_raw, "A")], {0: 1.0, 1: 0.0}, 2)
    pick_raw = json.dumps({"REASONING": "first", "BEST_RESPONSE_INDEX": 1})
    pick = run("judge_listwise", [call(0, [1, 0], pick_raw, 1)], {0: 1.0, 1: 0.0}, 3)
    html = render_item(item([rating, verdict, pick]))
    assert "rating 8" in html and "reasoning: it is &lt;b&gt;vivid&lt;/b&gt;" in html
    assert "1 pairwise wins" in html and "reasoning: A rhymes" in html
    assert "listwise judge (run 3)</b> picked" in html
    assert "listwise judge (run 3)</b> not picked" in html
    assert "no rating parsed" in html  # candidate 1's unparsed rating
    assert "<b>vivid</b>" not in html and "<b>Spring</b>" not in html


def test_logprob_calls_show_the_likelihood_figures():
    values = {"logprob": -2.0, "pmi": 23.0, "logprob_per_token": -0.25}
    likelihood = run("flipll", [call(0, [0], "", values), call(1, [1], "", {"logprob": -9.0})],
                     {0: -2.0, 1: -9.0})  # fmt: skip
    html = render_item(item([likelihood]))
    assert "log p(instruction) -2.00 · PMI +23.00 · per unit -0.250" in html
    assert "log p(instruction) -9.00" in html


def test_a_method_the_registry_does_not_know_shows_its_raw_output_escaped():
    unknown = run("someday_method", [call(0, [0], "<script>x</script>", None)], {0: 0.5, 1: 0.1})
    html = render_item(item([unknown]))
    assert "someday_method (run 1)" in html and "score 0.5" in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x" not in html
