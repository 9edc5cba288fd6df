"""The restatement guard: detection, spans, the three policies, and its rates on real LLMBar."""

from __future__ import annotations

import json
import math

import pytest
from conftest import require_shared_data
from hypothesis import given, settings
from hypothesis import strategies as st

from flip_core.benchmarks import load_benchmark
from flip_core.errors import FlipConfigError
from flip_core.probes import restate_instruction
from flip_core.restatement import (
    DEFAULT_N,
    PENALISE,
    POLICIES,
    STRIP,
    THRESHOLDS,
    ZERO,
    GuardDecision,
    cut_spans,
    guard,
    penalised_reward,
    restatement,
    words,
)
from flip_core.restatement.policies import PENALISE_THRESHOLD, STRIP_THRESHOLD, ZERO_THRESHOLD
from flip_core.similarity import normalized_tokens

POEM = "Write a poem about cats."
LONG = "Explain why the sky looks blue during the day and red at sunset."  # 11 F1 words


def fullwidth(text: str) -> str:
    """``text`` in full-width letters (U+FF21...), as some keyboards type them."""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


def spans_text(text: str, spans) -> list[str]:
    return [text[start:end] for start, end in spans]


def squash(text: str) -> str:
    return " ".join(text.split())


# ---- words ---------------------------------------------------------------------------------


def test_words_are_the_f1_words_for_ascii_text():
    text = 'The "quick" brown-fox, an apple; A THE the-end x.'
    assert (
        words(text)
        == normalized_tokens(text)
        == [
            "quick",
            "brownfox",
            "apple",
            "theend",
            "x",
        ]
    )


def test_words_drop_unicode_punctuation_and_fold_width():
    assert words(f"“{fullwidth('Write')}” — «a» poem…") == ["write", "poem"]
    assert words("Écris un poème") == ["écris", "un", "poème"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=200))
def test_words_match_normalized_tokens_on_any_ascii_text(text):
    assert words(text) == normalized_tokens(text)


# ---- detection -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "rest"),
    [
        (f"{POEM}\n\nWhiskers in the moonlight.", "Whiskers in the moonlight."),  # prefix
        (f"Here goes. {POEM} Whiskers in the moonlight.", "Here goes. Whiskers in the moonlight."),
        (f"Whiskers in the moonlight. {POEM}", "Whiskers in the moonlight."),  # suffix
    ],
)
def test_a_verbatim_restatement_is_found_wherever_it_is(response, rest):
    found = restatement(POEM, response)
    assert found.coverage == 1.0
    assert spans_text(response, found.spans) == [POEM]
    assert found.span_coverage == (1.0,)
    assert (found.n, found.instruction_words, found.covered_words) == (3, 4, 4)
    decision = guard(POEM, response, STRIP)
    assert decision.applied
    assert decision.guarded_text == rest
    assert decision.removed_spans == found.spans
    assert decision.residual_coverage == 0.0


@pytest.mark.parametrize(
    ("response", "restated", "rest"),
    [
        (
            'You asked: "Write a poem about cats." Here it is',
            '"Write a poem about cats."',
            "You asked: Here it is",
        ),
        (
            "Sure! “WRITE A POEM — ABOUT CATS!!” Meow.",
            "“WRITE A POEM — ABOUT CATS!!”",
            "Sure! Meow.",
        ),
        ("(write) a *poem* about: cats? ok", "(write) a *poem* about: cats?", "ok"),
        ("**Write a poem about cats**\n- Meow", "**Write a poem about cats**", "- Meow"),
    ],
)
def test_quotes_punctuation_and_case_do_not_hide_a_restatement(response, restated, rest):
    found = restatement(POEM, response)
    assert found.coverage == 1.0
    assert spans_text(response, found.spans) == [restated]
    assert guard(POEM, response).guarded_text == rest


def test_half_the_instruction_restated_is_half_covered():
    instruction = "List four rivers of Europe and give their lengths"  # 9 words, no article
    response = "List four rivers of Europe: the Danube, the Rhine, the Elbe, the Loire."
    found = restatement(instruction, response)
    assert found.covered_words == 5
    assert found.coverage == pytest.approx(5 / 9)
    assert spans_text(response, found.spans) == ["List four rivers of Europe:"]

    instruction = "one two three four five six seven eight"
    found = restatement(instruction, "one two three four and then nine ten")
    assert found.coverage == 0.5
    assert not guard(instruction, "one two three", STRIP).applied  # 3 of 8 words
    assert guard(instruction, "one two three four", STRIP).applied  # exactly the threshold


def test_scattered_shared_words_are_not_a_restatement():
    response = "Cats purr. A poem needs rhythm; I will write about them."
    found = restatement(POEM, response)
    assert (found.coverage, found.spans, found.span_coverage) == (0.0, (), ())
    for policy in POLICIES:
        decision = guard(POEM, response, policy)
        assert not decision.applied
        assert decision.guarded_text == response
        assert decision.reward_factor == 1.0
        assert decision.removed_spans == ()


@pytest.mark.parametrize("instruction", ["", "   \n\t", "the a an", "?!", '"--"'])
def test_an_instruction_without_words_restates_nothing(instruction):
    response = "Anything at all, the poem about cats."
    found = restatement(instruction, response)
    assert (found.coverage, found.spans, found.instruction_words) == (0.0, (), 0)
    for policy in POLICIES:
        decision = guard(instruction, response, policy)
        assert not decision.applied and decision.guarded_text == response


@pytest.mark.parametrize("response", ["", "  \n ", "the", "...!"])
def test_a_response_without_words_restates_nothing(response):
    found = restatement(POEM, response)
    assert (found.coverage, found.spans) == (0.0, ())
    for policy in POLICIES:
        decision = guard(POEM, response, policy)
        assert not decision.applied
        assert decision.guarded_text == response


def test_instructions_shorter_than_n_are_matched_whole():
    found = restatement("Hello", "Hello! How can I help?")
    assert (found.n, found.coverage) == (1, 1.0)
    assert spans_text("Hello! How can I help?", found.spans) == ["Hello!"]
    assert guard("Hello", "Hello! How can I help?").guarded_text == "How can I help?"

    two = "Translate 'bonjour'"  # two words: matched only as the pair, in order
    assert restatement(two, "translate bonjour means hello").coverage == 1.0
    assert restatement(two, "bonjour: translate it").coverage == 0.0
    assert restatement(two, "translate").coverage == 0.0  # the response is shorter still

    three = "Summarise this paragraph"  # exactly n words: one n-gram
    assert restatement(three, "Summarise this paragraph: done").coverage == 1.0
    assert restatement(three, "Summarise this, then the paragraph").coverage == 0.0


def test_n_is_a_parameter():
    response = "I will write a poem, then sing about dogs and cats."
    assert restatement(POEM, response, n=2).coverage == 0.5  # "write poem"
    assert restatement(POEM, response, n=3).coverage == 0.0
    assert restatement(POEM, response, n=1).coverage == 1.0
    with pytest.raises(FlipConfigError, match="n-gram length"):
        restatement(POEM, response, n=0)


def test_an_edited_restatement_loses_only_the_edited_words():
    instruction = "one two three four five six seven eight nine ten eleven twelve"
    response = "one two three 4 five six seven 8 nine ten eleven twelve"  # a change in four
    found = restatement(instruction, response)
    assert found.covered_words == 10
    assert found.coverage == pytest.approx(10 / 12)
    assert spans_text(response, found.spans) == [
        "one two three",
        "five six seven",
        "nine ten eleven twelve",
    ]
    assert guard(instruction, response, ZERO).applied is False  # 83% < 90%
    # strip cuts the largest spans until under half the instruction is left, no more: what
    # remains is a response the guard would let through as it is.
    decision = guard(instruction, response, STRIP)
    assert decision.guarded_text == "4 five six seven 8"
    assert decision.residual_coverage == pytest.approx(3 / 12)


def test_unicode_and_odd_whitespace_map_back_to_the_original_offsets():
    instruction = "Écris un poème sur les chats de Paris."
    response = "D'accord :\u00a0«\u2009Écris\tun\npoème  sur les CHATS de Paris\u2009» — voilà."
    found = restatement(instruction, response)
    assert found.coverage == 1.0
    [(start, end)] = found.spans
    assert response[start:end] == "Écris\tun\npoème  sur les CHATS de Paris"
    assert guard(instruction, response).guarded_text == "D'accord :\u00a0«\u2009» — voilà."

    wide = fullwidth("Write a poem about cats")
    assert restatement(POEM, wide).coverage == 1.0
    assert guard(POEM, f"{wide}\r\n\r\nMeow").guarded_text == "Meow"


def test_a_leading_article_of_the_instruction_is_cut_with_it_but_not_the_answers():
    instruction = "The cat sat on the mat."
    assert guard(instruction, f"{instruction}\n\nA cat, yes.").guarded_text == "A cat, yes."
    assert guard(instruction, f"{instruction}\n\nThe cat, yes.").guarded_text == "The cat, yes."
    question = "What is the capital of France ?"
    assert guard(question, f"{question}\n\n? Paris").guarded_text == "? Paris"
    assert guard(question, f"Paris. {question}").guarded_text == "Paris."


def test_two_restatements_with_the_answers_own_word_between_stay_apart():
    instruction = "average height for a male"
    response = f"{instruction}\n\nThe average height for a male is 69 inches."
    found = restatement(instruction, response)
    assert spans_text(response, found.spans) == [instruction, "average height for a male"]
    assert found.span_coverage == (1.0, 1.0)
    assert guard(instruction, response).guarded_text == "The is 69 inches."


# ---- the guard's policies ------------------------------------------------------------------


@pytest.mark.parametrize("response", [POEM, f"  {POEM}  \n", "write A POEM about cats!!"])
def test_a_response_that_is_only_the_instruction_becomes_empty(response):
    assert guard(POEM, response, STRIP).guarded_text == ""
    assert guard(POEM, response, ZERO).guarded_text == ""
    assert guard(POEM, response, PENALISE).guarded_text == response
    assert guard(POEM, response, PENALISE).reward_factor == 0.0


def test_strip_cuts_only_as_much_as_brings_the_coverage_under_the_threshold():
    # The restatement before the answer is cut; the answer's own short echo stays.
    response = f"{LONG}\n\nThe sky looks blue because air scatters short wavelengths."
    found = restatement(LONG, response)
    assert len(found.spans) == 2
    assert found.span_coverage == (1.0, pytest.approx(3 / 11))
    # "the sky looks blue" is in the instruction with its article, so the echo's span has it
    assert spans_text(response, found.spans) == [LONG, "The sky looks blue"]
    decision = guard(LONG, response, STRIP)
    assert decision.removed_spans == found.spans[:1]
    assert decision.guarded_text == "The sky looks blue because air scatters short wavelengths."
    assert decision.residual_coverage == pytest.approx(3 / 11)
    # With a threshold at the echo's level, the echo goes too.
    low = guard(LONG, response, STRIP, threshold=0.25)
    assert low.removed_spans == found.spans
    assert low.guarded_text == "because air scatters short wavelengths."


def test_strip_removes_the_larger_of_two_partial_restatements_first():
    instruction = "one two three four five six seven eight nine ten"
    response = "one two three four xx five six seven eight nine ten yy"
    found = restatement(instruction, response)
    assert found.span_coverage == (0.4, 0.6)
    decision = guard(instruction, response, STRIP)
    assert decision.removed_spans == (found.spans[1],)
    assert decision.guarded_text == "one two three four xx yy"
    assert decision.residual_coverage == pytest.approx(0.4)


def test_strip_at_a_threshold_equal_to_the_coverage_cuts():
    # 7 of 10 words: 0.7 * 10 is 7.000000000000001 in floating point, 7 / 10 is 0.7.
    instruction = "one two three four five six seven eight nine ten"
    decision = guard(instruction, "one two three four five six seven, done", STRIP, threshold=0.7)
    assert decision.applied and decision.coverage == 0.7
    assert decision.guarded_text == "done"


def test_penalise_ramps_from_the_threshold_to_a_complete_restatement():
    instruction = "one two three four five six seven eight"
    cases = {"one two three four": 1.0, "one two three four five six": 0.5, instruction: 0.0}
    for response, factor in cases.items():
        decision = guard(instruction, response, PENALISE)
        assert decision.applied and decision.guarded_text == response
        assert decision.reward_factor == pytest.approx(factor)
    assert not guard(instruction, "one two three", PENALISE).applied
    assert guard(instruction, instruction, PENALISE, threshold=1.0).reward_factor == 0.0
    assert guard(instruction, "one two three", PENALISE, threshold=0.25).reward_factor == (
        pytest.approx(1 - (3 / 8 - 0.25) / 0.75)
    )


def test_zero_waits_for_a_near_complete_restatement():
    instruction = "one two three four five six seven eight nine ten"
    nine = "one two three four five six seven eight nine and more"
    assert guard(instruction, nine, ZERO).applied  # 90%
    assert guard(instruction, nine, ZERO).guarded_text == ""
    eight = "one two three four five six seven eight and more"
    assert not guard(instruction, eight, ZERO).applied
    assert guard(instruction, eight, ZERO).guarded_text == eight


def test_penalised_reward_scales_toward_the_floor():
    full = guard(POEM, POEM, PENALISE)
    half = guard("one two three four five six seven eight", "one two three four five six", PENALISE)
    none = guard(POEM, "Meow.", PENALISE)
    assert penalised_reward(0.8, full) == 0.0
    assert penalised_reward(0.8, half) == pytest.approx(0.4)
    assert penalised_reward(0.8, none) == 0.8
    assert penalised_reward(8.0, half, floor=1.0) == pytest.approx(4.5)  # a 1-10 rating
    # FLIP-likelihood: the floor is the reference log-probability, so the PMI is halved.
    assert penalised_reward(-12.0, half, floor=-30.0) == pytest.approx(-21.0)
    assert penalised_reward(-12.0, full, floor=-30.0) == -30.0
    # strip and zero act on the text; the reward of the guarded text passes unchanged.
    assert penalised_reward(0.8, guard(POEM, POEM, STRIP)) == 0.8
    assert penalised_reward(0.8, guard(POEM, POEM, ZERO)) == 0.8


def test_thresholds_are_the_named_constants():
    assert THRESHOLDS == {STRIP: 0.5, PENALISE: 0.5, ZERO: 0.9}
    assert (STRIP_THRESHOLD, PENALISE_THRESHOLD, ZERO_THRESHOLD) == (0.5, 0.5, 0.9)
    assert POLICIES == ("strip", "penalise", "zero")
    assert DEFAULT_N == 3
    for policy in POLICIES:
        assert guard(POEM, POEM, policy).threshold == THRESHOLDS[policy]
    assert guard(POEM, POEM, STRIP, threshold=0.7).threshold == 0.7


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"policy": "drop"}, "unknown guard policy 'drop'; choose one of strip, penalise, zero"),
        ({"threshold": 0}, "threshold must be in"),
        ({"threshold": 1.5}, "threshold must be in"),
        ({"n": 0}, "n-gram length"),
    ],
)
def test_bad_options_raise_one_line_errors(kwargs, message):
    with pytest.raises(FlipConfigError, match=message):
        guard(POEM, POEM, **kwargs)


def test_a_decision_round_trips_through_json_and_reads_well():
    response = 'You asked: "Write a poem about cats." Here it is'
    decision = guard(POEM, response, STRIP)
    data = json.loads(json.dumps(decision.to_dict()))
    assert data == {
        "applied": True,
        "policy": "strip",
        "coverage": 1.0,
        "threshold": 0.5,
        "spans": [[11, 37]],
        "removed_spans": [[11, 37]],
        "guarded_text": "You asked: Here it is",
        "residual_coverage": 0.0,
        "reward_factor": 1.0,
        "n": 3,
    }
    assert GuardDecision.from_dict(data) == decision
    assert decision.summary() == "guard applied: restated span removed (100% of the instruction)"

    half = guard("one two three four five six seven eight", "one two three four five six", PENALISE)
    assert half.summary() == "guard applied: reward x 0.50 (75% of the instruction restated)"
    assert guard(POEM, POEM, ZERO).summary() == (
        "guard applied: response scored as empty (100% of the instruction restated)"
    )
    assert guard(POEM, "Meow", STRIP).summary() == (
        "guard not applied (strip): 0% of the instruction restated, below the 50% threshold"
    )
    with pytest.raises(AttributeError):
        decision.applied = False  # frozen


def test_cut_spans_tidies_the_whitespace_at_each_cut():
    assert cut_spans("A XX B", ((2, 4),)) == "A B"
    assert cut_spans("XX\n\nB", ((0, 2),)) == "B"
    assert cut_spans("A\n\nXX", ((3, 5),)) == "A"
    assert cut_spans("  XX  ", ((2, 4),)) == ""
    assert cut_spans("A XX B YY C", ((2, 4), (7, 9))) == "A B C"
    assert cut_spans("unchanged", ()) == "unchanged"
    with pytest.raises(FlipConfigError, match="sorted, disjoint"):
        cut_spans("A XX B", ((3, 5), (2, 4)))


# ---- properties ----------------------------------------------------------------------------

VOCAB = ["write", "a", "poem", "about", "cats", "The", "dogs", '"', "Cats.", "—", "«", "»", "x"]
SEPARATORS = [" ", "  ", "\n", "\n\n", "\t", "\u00a0", ""]
phrase = st.lists(st.tuples(st.sampled_from(VOCAB), st.sampled_from(SEPARATORS)), max_size=30).map(
    lambda pairs: "".join(word + sep for word, sep in pairs)
)
any_text = st.one_of(phrase, st.text(max_size=120))


@settings(max_examples=400, deadline=None)
@given(
    any_text,
    any_text,
    st.sampled_from(POLICIES),
    st.one_of(st.none(), st.floats(min_value=0.01, max_value=1.0)),
    st.integers(min_value=1, max_value=5),
)
def test_the_guard_never_raises_and_its_spans_are_disjoint_ranges_of_the_text(
    instruction, response, policy, threshold, n
):
    decision = guard(instruction, response, policy, threshold, n)
    found = restatement(instruction, response, n)
    assert decision.spans == found.spans
    assert 0.0 <= decision.coverage == found.coverage <= 1.0
    assert len(found.span_coverage) == len(found.spans)
    assert all(0 < share <= found.coverage for share in found.span_coverage)
    position = 0
    for start, end in decision.spans:
        assert position <= start < end <= len(response)
        assert response[start:end].strip() == response[start:end]  # starts and ends on words
        position = end + 1  # not even touching: a span ends where a token does
    assert set(decision.removed_spans) <= set(decision.spans)
    assert decision.applied == (decision.coverage > 0 and decision.coverage >= decision.threshold)
    assert 0.0 <= decision.reward_factor <= 1.0
    assert 0.0 <= decision.residual_coverage <= 1.0
    if not decision.applied:
        assert decision.guarded_text == response and decision.reward_factor == 1.0
    if policy == STRIP and decision.applied:
        assert len(decision.guarded_text) < len(response)
    assert GuardDecision.from_dict(json.loads(json.dumps(decision.to_dict()))) == decision
    assert isinstance(decision.summary(), str)


@settings(max_examples=200, deadline=None)
@given(phrase.filter(lambda text: len(words(text)) >= 1), phrase)
def test_strip_undoes_a_prepended_restatement_when_the_answer_alone_would_pass(instruction, answer):
    probed = restate_instruction(answer, instruction)
    decision = guard(instruction, probed, STRIP)
    assert decision.applied and decision.coverage == 1.0
    boundary = len(instruction) + 2
    crosses = any(start < boundary < end for start, end in decision.spans)
    if guard(instruction, answer, STRIP).coverage < STRIP_THRESHOLD and not crosses:
        assert squash(decision.guarded_text) == squash(answer)


# ---- real LLMBar pairs ---------------------------------------------------------------------

LLMBAR_SUBSETS = ("neighbor", "gptinst", "gptout", "manual")


@pytest.fixture(scope="module")
def llmbar_items():
    folder = require_shared_data()
    patch = pytest.MonkeyPatch()
    patch.setenv("FLIP_DATA_DIR", str(folder))
    try:
        items = [item for name in LLMBAR_SUBSETS for item in load_benchmark("llmbar", name).items]
    finally:
        patch.undo()
    assert len(items) == 319
    return items


def test_strip_gives_back_the_original_text_of_hack_restate_on_llmbar(llmbar_items):
    exact = same_as_clean = crossing = 0
    for item in llmbar_items:
        for text in item.candidates:
            probed = restate_instruction(text, item.instruction)
            decision = guard(item.instruction, probed, STRIP)
            assert decision.applied, item.id
            assert decision.coverage == 1.0, item.id
            if squash(decision.guarded_text) == squash(text):
                exact += 1
                continue
            # Otherwise the clean text restates its instruction itself: the guard cuts the
            # prepended copy and then what it would cut from the clean text alone ...
            if squash(decision.guarded_text) == squash(guard(item.instruction, text).guarded_text):
                same_as_clean += 1
                continue
            # ... unless the text opens with the words that end the instruction, so that the
            # restatement runs on into it (llmbar:gptinst:36, "... $10, $10, $10" + "$10, $10,
            # $20"): no text-only rule can tell where the copy ends there.
            boundary = len(item.instruction) + 2
            assert any(start < boundary < end for start, end in decision.spans), item.id
            crossing += 1
    assert (exact, same_as_clean, crossing) == (568, 69, 1)


def test_the_guard_fires_on_every_probed_response_and_rarely_on_clean_ones(llmbar_items):
    """The false-positive rates on the 638 clean LLMBar responses, per policy threshold
    (the figures the threshold docstrings quote)."""
    fired = {policy: {"chosen": 0, "rejected": 0} for policy in POLICIES}
    for item in llmbar_items:
        for index, text in enumerate(item.candidates):
            side = "chosen" if index == item.gold_index else "rejected"
            probed = restate_instruction(text, item.instruction)
            for policy in POLICIES:
                assert guard(item.instruction, probed, policy).applied, (item.id, policy)
                fired[policy][side] += guard(item.instruction, text, policy).applied
    assert fired == {
        STRIP: {"chosen": 35, "rejected": 34},  # 11.0% and 10.7% of 319
        PENALISE: {"chosen": 35, "rejected": 34},
        ZERO: {"chosen": 2, "rejected": 3},  # 0.6% and 0.9%
    }

    # Not evenly spread over the subsets (chosen, rejected; of 134, 92, 47, 46 pairs).
    by_subset = {name: [0, 0] for name in LLMBAR_SUBSETS}
    for item in llmbar_items:
        for index, text in enumerate(item.candidates):
            by_subset[item.domain][index != item.gold_index] += guard(
                item.instruction, text, STRIP
            ).applied
    assert by_subset == {
        "neighbor": [11, 5],
        "gptinst": [17, 5],
        "gptout": [3, 12],
        "manual": [4, 12],
    }


def test_coverage_rates_on_clean_llmbar_by_threshold(llmbar_items):
    """The curve behind the thresholds: how many of the 638 clean responses reach each
    coverage (for n = 3), so that a change of the normalisation shows up here."""
    coverages = [
        restatement(item.instruction, text).coverage
        for item in llmbar_items
        for text in item.candidates
    ]
    reached = {t: sum(c >= t for c in coverages) for t in (0.3, 0.5, 0.8, 0.9, 1.0)}
    assert reached == {0.3: 125, 0.5: 69, 0.8: 19, 0.9: 5, 1.0: 3}
    assert sum(c > 0 for c in coverages) == 200
    assert math.isclose(sorted(coverages)[len(coverages) // 2], 0.0)
