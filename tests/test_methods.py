"""The four methods' protocols: call counts, label-blindness, ties, parse failures."""

from __future__ import annotations

import json
import re
from itertools import permutations

import pytest

from flip_core.errors import FlipConfigError
from flip_core.items import Item
from flip_core.methods import METHOD_NAMES, OutputKind, get_method, method_class
from flip_core.selection import is_strictly_correct, pick_best, tie_aware_credit

CANDIDATES = ("GOOD answer", "weak answer", "poor answer", "bad answer")
QUALITY = {"GOOD": 9, "weak": 5, "poor": 3, "bad": 1}


def quality_of(text: str) -> int:
    return next(value for word, value in QUALITY.items() if word in text)


def shown_responses(user_message: str) -> list[str]:
    """The candidate texts a prompt shows, in the order shown."""
    return re.findall(r"\[Response(?: [A-Z0-9]+)?\]\n(.*?)(?:\n\n|$)", user_message)


def content_judge(method: str, conversation) -> str:
    """A deterministic fake model that answers by the content it is shown, never by position
    (and by what the method's outputs are, never by its name)."""
    user = conversation[-1]["content"]
    texts = shown_responses(user)
    kind = method_class(method).output_kind
    if kind is OutputKind.RECONSTRUCTION:
        return json.dumps({"INFERRED INSTRUCTION": "answer well" if "GOOD" in texts[0] else "x"})
    if kind is OutputKind.RATING:
        return json.dumps({"SCORE": quality_of(texts[0])})
    if kind is OutputKind.VERDICT:
        return json.dumps(
            {"BETTER_RESPONSE": "A" if quality_of(texts[0]) > quality_of(texts[1]) else "B"}
        )
    if kind is OutputKind.LOGPROB:  # (log-probability of the instruction, is_greedy)
        return (-20.0 + quality_of(texts[0]), False) if texts[0] else (-30.0, False)
    best = max(range(len(texts)), key=lambda i: quality_of(texts[i]))
    return json.dumps({"BEST_RESPONSE_INDEX": best})


def run(method_name: str, item: Item, answer=content_judge):
    method = get_method(method_name)
    calls = method.calls(item)
    outputs = [[answer(method_name, call.conversation)] for call in calls]
    return calls, method.score(item, outputs)


def item_with(candidates, gold_index, item_id="t:x:1") -> Item:
    return Item(
        id=item_id, instruction="answer well", candidates=tuple(candidates), gold_index=gold_index
    )


@pytest.mark.parametrize(
    ("method_name", "expected_calls"),
    [
        ("flip", 4),
        ("judge_pointwise", 4),
        ("judge_pairwise", 12),
        ("judge_listwise", 1),
        ("flipll", 5),
    ],
)
def test_call_counts_for_four_candidates(method_name, expected_calls):
    calls, _ = run(method_name, item_with(CANDIDATES, 0))
    assert len(calls) == expected_calls


@pytest.mark.parametrize("method_name", METHOD_NAMES)
def test_label_blind_every_permutation_picks_the_same_content(method_name):
    for order in permutations(range(4)):
        candidates = [CANDIDATES[i] for i in order]
        gold = candidates.index("GOOD answer")
        _, result = run(method_name, item_with(candidates, gold))
        assert candidates[pick_best(result.scores)] == "GOOD answer", (method_name, order)
        assert is_strictly_correct(result.scores, gold)


@pytest.mark.parametrize(
    "method_name", ["judge_pointwise", "judge_listwise", "judge_pairwise", "flipll"]
)
def test_prompts_never_reveal_the_gold_position(method_name):
    item = item_with(CANDIDATES, 0)
    calls = get_method(method_name).calls(item)
    moved = get_method(method_name).calls(item_with(CANDIDATES, 3))
    assert calls == moved  # conversations, shown order and continuations


def test_pairwise_asks_both_orders_of_every_pair():
    calls = get_method("judge_pairwise").calls(item_with(CANDIDATES[:3], 0))
    assert sorted(call.shown for call in calls) == sorted(permutations(range(3), 2))


def concluding_judge(method: str, conversation) -> str:
    """A judge that puts its (content-based) verdict only inside its reasoning, unfinished."""
    texts = shown_responses(conversation[-1]["content"])
    letter = "A" if quality_of(texts[0]) > quality_of(texts[1]) else "B"
    return '{"REASONING": "It covers more. Therefore, Response ' + letter + " is better."


def test_pairwise_conclusion_reading_counts_the_verdicts_a_reasoning_concludes():
    item = item_with(CANDIDATES[:3], 0)
    _, strict = run("judge_pairwise", item, answer=concluding_judge)
    assert strict.parse_fail_rate == 1.0 and not is_strictly_correct(strict.scores, 0)
    lenient = get_method("judge_pairwise", verdict_reading="conclusion")
    outputs = [[concluding_judge("judge_pairwise", c.conversation)] for c in lenient.calls(item)]
    concluded = lenient.score(item, outputs)
    assert concluded.parse_fail_rate == 0.0 and concluded.scores == [4.0, 2.0, 0.0]


def test_listwise_conclusion_reading_maps_the_concluded_position_back():
    judge = get_method("judge_listwise", verdict_reading="conclusion")
    item = item_with(CANDIDATES, 0, "rb2:math:3")
    shown = judge.order(item)
    concluded = judge.score(item, [['{"REASONING": "So the best response is 2.']])
    assert pick_best(concluded.scores) == shown[2] and concluded.parse_fail_rate == 0.0
    strict = get_method("judge_listwise").score(item, [['{"REASONING": "the best response is 2.']])
    assert strict.parse_fail_rate == 1.0


def test_first_shown_share_measures_a_judges_position_bias():
    item = item_with(CANDIDATES[:3], 0)
    pairwise = get_method("judge_pairwise")
    _, fair = run("judge_pairwise", item)  # answers by content: each pair names each slot once
    assert pairwise.first_shown_share(fair) == 0.5
    always_a = pairwise.score(item, [['{"BETTER_RESPONSE": "A"}']] * 5 + [["no idea"]])
    assert pairwise.first_shown_share(always_a) == 1.0  # the unparsed call does not count
    assert not is_strictly_correct(always_a.scores, 0)  # every pair a tie
    nothing = pairwise.score(item, [["?"]] * 6)
    assert pairwise.first_shown_share(nothing) is None
    listwise = get_method("judge_listwise")
    picked_first = listwise.score(item, [['{"BEST_RESPONSE_INDEX": 0}']])
    assert listwise.first_shown_share(picked_first) == 1.0
    _, flip = run("flip", item)
    assert get_method("flip").first_shown_share(flip) is None  # FLIP picks no shown slot


def test_pairwise_logs_its_verdict_reading_only_when_it_is_not_the_papers():
    from flip_core.methods import method_from_document

    assert get_method("judge_pairwise").settings == {}  # committed documents stay as they were
    lenient = get_method("judge_pairwise", verdict_reading="conclusion")
    assert lenient.settings == {"verdict_reading": "conclusion"}
    doc = {"method": "judge_pairwise", "method_settings": lenient.settings}
    assert method_from_document(doc).verdict_reading == "conclusion"
    with pytest.raises(FlipConfigError, match="unknown verdict reading"):
        get_method("judge_pairwise", verdict_reading="prose")
    with pytest.raises(FlipConfigError, match="unknown settings"):
        get_method("judge_pairwise", seed=3)
    assert get_method("judge_listwise").settings == {"seed": 1234}
    listwise = get_method("judge_listwise", seed=7, verdict_reading="conclusion")
    assert listwise.settings == {"seed": 7, "verdict_reading": "conclusion"}


def test_listwise_order_is_seeded_by_item_and_spreads_the_gold_slot():
    judge = get_method("judge_listwise")
    items = [item_with(CANDIDATES, 0, f"t:x:{i}") for i in range(40)]
    assert [judge.order(item) for item in items] == [judge.order(item) for item in items]
    assert {judge.order(item).index(0) for item in items} == {0, 1, 2, 3}
    other_seed = get_method("judge_listwise", seed=7)
    assert [judge.order(i) for i in items] != [other_seed.order(i) for i in items]


def test_listwise_maps_the_shown_index_back_to_the_source_candidate():
    judge = get_method("judge_listwise")
    item = item_with(CANDIDATES, 0, "rb2:math:3")
    shown = judge.order(item)
    result = judge.score(item, [[json.dumps({"BEST_RESPONSE_INDEX": 2})]])
    assert pick_best(result.scores) == shown[2]


def test_parse_failures_become_ties_not_wins():
    item = item_with(CANDIDATES, 0)
    for method_name in ("judge_pointwise", "judge_listwise", "judge_pairwise"):
        _, result = run(method_name, item, answer=lambda m, c: "I cannot decide.")
        assert result.parse_fail_rate == 1.0
        assert not is_strictly_correct(result.scores, 0)
        assert tie_aware_credit(result.scores, 0) == pytest.approx(0.25)


def test_flip_failed_parse_falls_back_to_the_raw_output():
    _, result = run("flip", item_with(CANDIDATES, 0), answer=lambda m, c: "answer well please")
    assert result.parse_fail_rate == 1.0
    assert all(score > 0 for score in result.scores)


def test_samples_are_averaged():
    method = get_method("judge_pointwise")
    item = item_with(CANDIDATES[:2], 0)
    outputs = [['{"SCORE": 8}', '{"SCORE": 6}', "no idea"], ['{"SCORE": 3}', "?", "?"]]
    result = method.score(item, outputs)
    assert result.scores == [7.0, 3.0]
    assert result.parse_fail_rate == 0.0  # a call fails only when none of its samples parsed


def test_wrong_number_of_outputs_is_an_error():
    with pytest.raises(FlipConfigError, match="needs 4 outputs, got 1"):
        get_method("flip").score(item_with(CANDIDATES, 0), [["x"]])
    with pytest.raises(FlipConfigError, match="unknown method"):
        get_method("judge_rubric")
