"""Tests for flip_core.parsing on outputs of the kind small instruction-tuned LMs really write.

Every table row states the value AND the status (ok / repaired / failed, as defined in the
module docstring of flip_core.parsing), so a change that silently shifts outputs between
"parsed" and "failed" shows up here.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import re
import time

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from flip_core.errors import FlipConfigError
from flip_core.parsing import (
    CONCLUSION_READING,
    INDEX_KEYS,
    INSTRUCTION_KEYS,
    REASONING_KEYS,
    SCORE_KEYS,
    VERDICT_KEYS,
    ParseStatus,
    answers,
    canonical_key,
    fields,
    json_objects,
    parse_index,
    parse_reconstruction,
    parse_score,
    parse_verdict,
)

OK = ParseStatus.OK
REPAIRED = ParseStatus.REPAIRED
FAILED = ParseStatus.FAILED


def _row(case_id: str, *values):
    return pytest.param(*values, id=case_id)


# --- parse_reconstruction ------------------------------------------------------------------
# (raw, expected value, expected status, expected reasoning)

RECONSTRUCTION_CASES = [
    # Clean JSON and JSON surrounded by chatter: status OK.
    _row(
        "clean-json",
        '{"REASONING": "The response lists three tips.", '
        '"INFERRED INSTRUCTION": "Give three tips for better sleep."}',
        "Give three tips for better sleep.",
        OK,
        "The response lists three tips.",
    ),
    _row(
        "json-fence-with-chatter",
        "Sure! Here is my answer:\n```json\n"
        '{"REASONING": "A short seasonal poem.", '
        '"INFERRED INSTRUCTION": "Write a haiku about autumn."}'
        "\n```\nHope this helps!",
        "Write a haiku about autumn.",
        OK,
        "A short seasonal poem.",
    ),
    _row(
        "bare-fence-no-language",
        '```\n{"INFERRED INSTRUCTION": "Summarize the article in two sentences."}\n```',
        "Summarize the article in two sentences.",
        OK,
        None,
    ),
    _row(
        "qwen3-think-block-then-json",
        "<think>\nThe response is a poem about cats, so the user asked for one.\n</think>\n\n"
        '{"REASONING": "A cat poem.", "INFERRED INSTRUCTION": "Write a poem about cats."}',
        "Write a poem about cats.",
        OK,
        "A cat poem.",
    ),
    _row(
        "inline-json-inside-prose",
        'Here is the JSON: {"INFERRED INSTRUCTION": "Write a poem."} Let me know if you need more.',
        "Write a poem.",
        OK,
        None,
    ),
    _row(
        "lowercase-keys",
        '{"reasoning": "Recipe steps.", "inferred instruction": "Give me a pancake recipe."}',
        "Give me a pancake recipe.",
        OK,
        "Recipe steps.",
    ),
    _row(
        "key-Inferred_Instruction",
        '{"Reasoning": "Recipe steps.", "Inferred_Instruction": "Give me a pancake recipe."}',
        "Give me a pancake recipe.",
        OK,
        "Recipe steps.",
    ),
    _row(
        "key-inferred-instruction-hyphen",
        '{"inferred-instruction": "Give me a pancake recipe."}',
        "Give me a pancake recipe.",
        OK,
        None,
    ),
    _row(
        "key-with-trailing-space",
        '{"REASONING ": "Recipe.", "INFERRED INSTRUCTION ": "Give me a pancake recipe."}',
        "Give me a pancake recipe.",
        OK,
        "Recipe.",
    ),
    _row(
        "key-reconstructed-instruction",
        '{"Reconstructed Instruction": "Explain recursion with an example."}',
        "Explain recursion with an example.",
        OK,
        None,
    ),
    _row(
        "value-is-a-list",
        '{"REASONING": "Two parts.", "INFERRED INSTRUCTION": ["Write a poem", "about the sea."]}',
        "Write a poem about the sea.",
        REPAIRED,
        "Two parts.",
    ),
    _row(
        "escaped-quotes-in-value",
        '{"INFERRED INSTRUCTION": "Explain the phrase \\"carpe diem\\" in one sentence."}',
        'Explain the phrase "carpe diem" in one sentence.',
        OK,
        None,
    ),
    _row(
        "unicode-value",
        '{"INFERRED INSTRUCTION": "Übersetze „Guten Morgen“ ins Japanische: おはよう 🌅"}',
        "Übersetze „Guten Morgen“ ins Japanische: おはよう 🌅",
        OK,
        None,
    ),
    _row(
        "braces-inside-strings",
        '{"REASONING": "It fills a {name} slot.", '
        '"INFERRED INSTRUCTION": "Fill in {name} in the letter."}',
        "Fill in {name} in the letter.",
        OK,
        "It fills a {name} slot.",
    ),
    _row(
        "multiline-value",
        '{"INFERRED INSTRUCTION": "Write a poem.\\nMake it rhyme."}',
        "Write a poem.\nMake it rhyme.",
        OK,
        None,
    ),
    _row(
        "colon-inside-value",
        '{"INFERRED INSTRUCTION": "Answer the riddle: what has keys but no locks?"}',
        "Answer the riddle: what has keys but no locks?",
        OK,
        None,
    ),
    # Broken JSON that json-repair recovers: status REPAIRED.
    _row(
        "single-quotes",
        "{'REASONING': 'short', 'INFERRED INSTRUCTION': 'Translate the sentence into French.'}",
        "Translate the sentence into French.",
        REPAIRED,
        "short",
    ),
    _row(
        "trailing-comma",
        '{"REASONING": "A list.", "INFERRED INSTRUCTION": "List five fruits.",}',
        "List five fruits.",
        REPAIRED,
        "A list.",
    ),
    _row(
        "missing-closing-brace-pretty-printed",
        '{\n  "REASONING": "The response is a list",\n'
        '  "INFERRED INSTRUCTION": "List the planets in order"\n',
        "List the planets in order",
        REPAIRED,
        "The response is a list",
    ),
    _row(
        "truncated-mid-string",
        '{"REASONING": "The response explains", '
        '"INFERRED INSTRUCTION": "Explain how vaccines train the immune',
        "Explain how vaccines train the immune",
        REPAIRED,
        "The response explains",
    ),
    _row(
        "truncated-inside-fence",
        '```json\n{"REASONING": "A limerick.", '
        '"INFERRED INSTRUCTION": "Write a limerick about a cat',
        "Write a limerick about a cat",
        REPAIRED,
        "A limerick.",
    ),
    _row(
        "unquoted-keys",
        '{REASONING: "Poem.", INFERRED_INSTRUCTION: "Write a poem."}',
        "Write a poem.",
        REPAIRED,
        "Poem.",
    ),
    _row(
        "unescaped-inner-quotes",
        '{"INFERRED INSTRUCTION": "Explain the phrase "carpe diem" in one sentence."}',
        'Explain the phrase "carpe diem" in one sentence.',
        REPAIRED,
        None,
    ),
    _row(
        "two-objects-reasoning-then-instruction",
        '{"REASONING": "It describes a dog."}\n{"INFERRED INSTRUCTION": "Describe a dog."}',
        "Describe a dog.",
        OK,
        "It describes a dog.",
    ),
    _row(
        "chatter-with-braces-after-json",
        '{"REASONING": "r", "INFERRED INSTRUCTION": "Write a poem."}\n\n'
        "Note: I kept it short {as asked}.",
        "Write a poem.",
        OK,
        "r",
    ),
    _row(
        "key-value-without-braces",
        '"INFERRED INSTRUCTION": "Write a poem."',
        "Write a poem.",
        REPAIRED,
        None,
    ),
    # Prose with labels: status REPAIRED.
    _row(
        "prose-labelled-lines",
        "Reasoning: The text is a recipe.\nInferred instruction: Give me a recipe for pancakes.",
        "Give me a recipe for pancakes.",
        REPAIRED,
        "The text is a recipe.",
    ),
    _row(
        "uppercase-labels-instruction-first",
        "INFERRED INSTRUCTION: Write a poem.\nREASONING: simple",
        "Write a poem.",
        REPAIRED,
        "simple",
    ),
    _row(
        "markdown-bold-label-value-on-next-line",
        "**Reasoning:** It is a recipe.\n\n"
        "**Inferred instruction:**\nGive me a recipe for pancakes.",
        "Give me a recipe for pancakes.",
        REPAIRED,
        "It is a recipe.",
    ),
    _row(
        "markdown-bold-label-same-line",
        "**Inferred Instruction:** Give me a recipe for pancakes.",
        "Give me a recipe for pancakes.",
        REPAIRED,
        None,
    ),
    _row(
        "the-inferred-instruction-is",
        "The inferred instruction is: Write a poem about cats.",
        "Write a poem about cats.",
        REPAIRED,
        None,
    ),
    _row(
        "bullet-with-quoted-value",
        '- Inferred instruction: "Write a poem about cats."',
        "Write a poem about cats.",
        REPAIRED,
        None,
    ),
    _row(
        "label-blank-lines-quoted-value-then-chatter",
        'Reasoning: x\n\nInferred Instruction:\n\n"Write a story about a dragon."'
        "\n\nI hope this helps.",
        "Write a story about a dragon.",
        REPAIRED,
        "x",
    ),
    # No usable instruction: status FAILED, value None.
    _row(
        "empty-value",
        '{"REASONING": "Unclear.", "INFERRED INSTRUCTION": ""}',
        None,
        FAILED,
        "Unclear.",
    ),
    _row(
        "null-value",
        '{"INFERRED INSTRUCTION": null, "REASONING": "unsure"}',
        None,
        FAILED,
        "unsure",
    ),
    _row(
        "only-reasoning",
        '{"REASONING": "The response is about dogs."}',
        None,
        FAILED,
        "The response is about dogs.",
    ),
    _row(
        "truncated-inside-reasoning",
        '{"REASONING": "The response explains how vaccines work and',
        None,
        FAILED,
        "The response explains how vaccines work and",
    ),
    _row(
        "truncated-right-after-opening-quote",
        '{"REASONING": "r", "INFERRED INSTRUCTION": "',
        None,
        FAILED,
        "r",
    ),
    _row("empty-output", "", None, FAILED, None),
    _row("whitespace-only-output", "  \n\t \n", None, FAILED, None),
    _row(
        "pure-prose-no-label",
        "The user probably asked for a recipe for pancakes.",
        None,
        FAILED,
        None,
    ),
    # Current behaviour judged wrong (see each reason).
    _row(
        "brace-in-chatter-before-json",
        "Sure, here is the JSON {as requested}:\n"
        '{"REASONING": "A poem.", "INFERRED INSTRUCTION": "Write a poem."}',
        "Write a poem.",
        OK,
        "A poem.",
    ),
    _row(
        "two-complete-objects-first-wins",
        '{"INFERRED INSTRUCTION": "First one."}\n{"INFERRED INSTRUCTION": "Second one."}',
        "First one.",
        OK,
        None,
    ),
    _row(
        "markdown-heading-label-no-colon",
        "### Inferred Instruction\nWrite a poem about cats.",
        "Write a poem about cats.",
        REPAIRED,
        None,
    ),
    _row(
        "here-is-the-inferred-instruction",
        "Here is the inferred instruction:\n\nWrite a poem about cats.",
        "Write a poem about cats.",
        REPAIRED,
        None,
    ),
    _row(
        "empty-label-followed-by-other-label",
        "Inferred instruction:\n\nReasoning: it is a poem.",
        None,
        FAILED,
        "it is a poem.",
    ),
    _row(
        "empty-bold-reasoning-label-followed-by-instruction-label",
        "**Reasoning:**\n**Inferred instruction:** Write a poem.",
        "Write a poem.",
        REPAIRED,
        None,
    ),
]


@pytest.mark.parametrize(("raw", "value", "status", "reasoning"), RECONSTRUCTION_CASES)
def test_parse_reconstruction_table(raw, value, status, reasoning):
    parsed = parse_reconstruction(raw)
    assert (parsed.value, parsed.status) == (value, status)
    assert parsed.raw == raw
    assert parsed.reasoning == reasoning
    assert parsed.failed is (status is FAILED)


# --- parse_score ---------------------------------------------------------------------------
# (raw, expected value, expected status)

SCORE_CASES = [
    _row("json-int", '{"REASONING": "Accurate and clear.", "SCORE": 8}', 8.0, OK),
    _row("json-string-number", '{"SCORE": "8"}', 8.0, OK),
    _row("json-float", '{"SCORE": 7.5}', 7.5, OK),
    _row("json-min", '{"SCORE": 1}', 1.0, OK),
    _row("json-max", '{"SCORE": 10}', 10.0, OK),
    _row("fenced-json", '```json\n{"REASONING": "ok", "SCORE": 6}\n```', 6.0, OK),
    _row("lowercase-key", '{"score": 3}', 3.0, OK),
    _row("rating-key", '{"RATING": 8}', 8.0, OK),
    _row("value-in-list", '{"SCORE": [8]}', 8.0, REPAIRED),
    _row(
        "fraction-in-reasoning-but-valid-score",
        '{"REASONING": "The response answers 2 out of 3 parts correctly.", "SCORE": 7}',
        7.0,
        OK,
    ),
    _row("json-string-8-of-10", '{"SCORE": "8/10"}', 8.0, REPAIRED),
    _row("json-string-4-of-5-rescaled", '{"SCORE": "4/5"}', 8.0, REPAIRED),
    _row("json-string-9-out-of-10", '{"SCORE": "9 out of 10"}', 9.0, REPAIRED),
    _row("json-string-80-of-100", '{"SCORE": "80/100"}', 8.0, REPAIRED),
    _row("json-string-with-comment", '{"SCORE": "8 (very good)"}', 8.0, REPAIRED),
    _row("zero-clamped-to-1", '{"SCORE": 0}', 1.0, REPAIRED),
    _row("zero-of-ten-clamped", '{"SCORE": "0/10"}', 1.0, REPAIRED),
    _row("ten-and-a-half-clamped", '{"SCORE": 10.5}', 10.0, REPAIRED),
    _row("single-quotes-trailing-comma", "{'SCORE': 5,}", 5.0, REPAIRED),
    _row("truncated-no-closing-brace", '{"REASONING": "fine", "SCORE": 6', 6.0, REPAIRED),
    _row("prose-score-colon", "Score: 7", 7.0, REPAIRED),
    _row("prose-score-fraction", "Score: 7/10", 7.0, REPAIRED),
    _row("prose-rating-4-of-5", "Rating: 4/5", 8.0, REPAIRED),
    _row("prose-out-of", "I would give it 9 out of 10.", 9.0, REPAIRED),
    _row("prose-final-score", "The response is good. Final score: 8", 8.0, REPAIRED),
    _row("markdown-bold-score", "**Score:** 9", 9.0, REPAIRED),
    _row("score-equals", "Score = 6", 6.0, REPAIRED),
    _row(
        "overall-score-after-other-fraction",
        "The response covers 3/5 points. Overall score: 6/10",
        6.0,
        REPAIRED,
    ),
    _row("85-without-denominator", '{"SCORE": 85}', None, FAILED),
    _row("prose-85-without-denominator", "Score: 85", None, FAILED),
    _row("boolean-true", '{"SCORE": true}', None, FAILED),
    _row("null", '{"SCORE": null}', None, FAILED),
    _row("word-number", '{"SCORE": "eight"}', None, FAILED),
    _row("empty-output", "", None, FAILED),
    _row("prose-without-number", "The response is accurate and helpful.", None, FAILED),
    _row(
        "negative-json-int",
        '{"SCORE": -3}',
        None,
        FAILED,
    ),
    _row(
        "negative-json-string",
        '{"SCORE": "-8"}',
        None,
        FAILED,
    ),
    _row(
        "negative-prose",
        "Score: -2",
        None,
        FAILED,
    ),
    _row(
        "truncated-before-score-fraction-in-reasoning",
        '{"REASONING": "The response answers 2 out of 3 parts correctly.", "SCORE": ',
        None,
        FAILED,
    ),
    _row(
        "score-na-with-number-in-reasoning",
        '{"REASONING": "A score of 3 would be too harsh.", "SCORE": "N/A"}',
        None,
        FAILED,
    ),
    _row(
        "bare-number-output",
        "8",
        8.0,
        REPAIRED,
    ),
]


@pytest.mark.parametrize(("raw", "value", "status"), SCORE_CASES)
def test_parse_score_table(raw, value, status):
    parsed = parse_score(raw)
    assert parsed.status == status
    if value is None:
        assert parsed.value is None
    else:
        assert parsed.value == pytest.approx(value)
    assert parsed.raw == raw


def test_parse_score_nan_fails():
    parsed = parse_score('{"SCORE": NaN}')
    assert (parsed.value, parsed.status) == (None, FAILED)


# --- parse_verdict -------------------------------------------------------------------------

VERDICT_CASES = [
    _row("json-A", '{"REASONING": "A is more accurate", "BETTER_RESPONSE": "A"}', "A", OK),
    _row("fenced-json", '```json\n{"BETTER_RESPONSE": "A"}\n```', "A", OK),
    _row("key-with-space", '{"BETTER RESPONSE": "B"}', "B", OK),
    _row("winner-key", '{"WINNER": "B"}', "B", OK),
    _row("value-in-list", '{"BETTER_RESPONSE": ["B"]}', "B", REPAIRED),
    _row("response-B", '{"BETTER_RESPONSE": "Response B"}', "B", REPAIRED),
    _row("parenthesised-lowercase", '{"BETTER_RESPONSE": "(b)"}', "B", REPAIRED),
    _row("lowercase-key-and-letter", '{"better_response": "b"}', "B", REPAIRED),
    _row("assistant-A", '{"BETTER_RESPONSE": "Assistant A"}', "A", REPAIRED),
    _row("option-B", '{"BETTER_RESPONSE": "Option B"}', "B", REPAIRED),
    _row("response-A-with-period", '{"BETTER_RESPONSE": "Response A."}', "A", REPAIRED),
    _row("letter-with-comment", '{"BETTER_RESPONSE": "A (more detailed)"}', "A", REPAIRED),
    _row("single-quotes-trailing-comma", "{'BETTER_RESPONSE': 'B',}", "B", REPAIRED),
    _row(
        "truncated-json",
        '{"REASONING": "B is more detailed", "BETTER_RESPONSE": "B"',
        "B",
        REPAIRED,
    ),
    _row("double-brackets", "[[A]]", "A", REPAIRED),
    _row("verdict-double-brackets", "Final verdict: [[B]]", "B", REPAIRED),
    _row("prose-better-response-is", "The better response is B.", "B", REPAIRED),
    _row("prose-better-response-is-response", "The better response is response A.", "A", REPAIRED),
    _row("prose-bold", "The better response is: **B**", "B", REPAIRED),
    _row("labelled-line", "Better response: B", "B", REPAIRED),
    _row("labelled-line-bold", "**Better Response:** A", "A", REPAIRED),
    _row("both", '{"BETTER_RESPONSE": "both"}', None, FAILED),
    _row("tie", '{"BETTER_RESPONSE": "tie"}', None, FAILED),
    _row("neither", '{"BETTER_RESPONSE": "neither"}', None, FAILED),
    _row("letter-C", '{"BETTER_RESPONSE": "C"}', None, FAILED),
    _row("number-instead-of-letter", '{"BETTER_RESPONSE": 1}', None, FAILED),
    _row(
        "both-equal-with-reasoning",
        '{"REASONING": "Both are fine", "BETTER_RESPONSE": "Both are equal"}',
        None,
        FAILED,
    ),
    _row("prose-both", "Both responses are good.", None, FAILED),
    _row("empty-output", "", None, FAILED),
    # "A and B" names both responses: it is as ambiguous as "both" and must not pick A.
    _row(
        "A-and-B",
        '{"BETTER_RESPONSE": "A and B"}',
        None,
        FAILED,
    ),
    _row(
        "template-echo-A-or-B",
        '{"BETTER_RESPONSE": "A or B"}',
        None,
        FAILED,
    ),
    _row(
        "article-a-after-better-response-is",
        "The better response is a matter of taste.",
        None,
        FAILED,
    ),
    _row(
        "bare-letter-output",
        "A",
        "A",
        REPAIRED,
    ),
    _row(
        "bare-response-B-output",
        "Response B",
        "B",
        REPAIRED,
    ),
]


@pytest.mark.parametrize(("raw", "value", "status"), VERDICT_CASES)
def test_parse_verdict_table(raw, value, status):
    parsed = parse_verdict(raw)
    assert (parsed.value, parsed.status) == (value, status)
    assert parsed.raw == raw


# --- parse_verdict under the "conclusion" reading (a named deviation) -----------------------
# (raw, strict value, concluded value, concluded status)

CONCLUSION_CASES = [
    _row(
        "verdict-inside-reasoning-only",  # Qwen2.5-Coder-0.5B's usual form, cut at the end
        '{"REASONING": "A lists the steps. Therefore, Response A is better.',
        None,
        "A",
        REPAIRED,
    ),
    _row(
        "better-response-is-b-inside-reasoning",
        '{"REASONING": "Both are fluent, but the better response is B."}',
        None,
        "B",
        REPAIRED,
    ),
    _row(
        "response-b-is-the-better-choice",
        '{"REASONING": "Response (B) is clearly better here."}',
        None,
        "B",
        REPAIRED,
    ),
    _row(
        "possessive-form",
        '{"REASONING": "Assistant A\'s answer is better."}',
        None,
        "A",
        REPAIRED,
    ),
    _row(
        "conclusions-name-both-letters",
        '{"REASONING": "Response A is better in tone, but Response B is better overall."}',
        None,
        None,
        FAILED,
    ),
    _row(
        "a-verdict-field-that-is-unusable-still-fails",
        '{"REASONING": "Response A is better.", "BETTER_RESPONSE": "A and B"}',
        None,
        None,
        FAILED,
    ),
    _row(
        "a-usable-field-wins-over-the-reasoning",
        '{"REASONING": "Response A is better.", "BETTER_RESPONSE": "B"}',
        "B",
        "B",
        OK,
    ),
    _row(
        "a-comparison-is-no-conclusion",
        '{"REASONING": "Response A is more specific and accurate than Response B."}',
        None,
        None,
        FAILED,
    ),
    _row(
        "lower-case-letter-is-no-verdict",
        '{"REASONING": "The answer a is better than nothing."}',
        None,
        None,
        FAILED,
    ),
]


@pytest.mark.parametrize(("raw", "strict", "concluded", "status"), CONCLUSION_CASES)
def test_parse_verdict_conclusion_reading(raw, strict, concluded, status):
    assert parse_verdict(raw).value == strict
    parsed = parse_verdict(raw, CONCLUSION_READING)
    assert (parsed.value, parsed.status) == (concluded, status)
    assert parsed.raw == raw


INDEX_CONCLUSION_CASES = [
    _row(
        "best-response-inside-reasoning", '{"REASONING": "It is clear. The best response is 1."', 1
    ),
    _row(
        "two-conclusions-agree", '{"REASONING": "Best response: 0. So the best response is 0."}', 0
    ),
    _row(
        "conclusions-disagree",
        '{"REASONING": "The best response is 0, or rather the best response is 1."}',
        None,
    ),
    _row(
        "a-conclusion-out-of-range-spoils-it",
        '{"REASONING": "The best response is 1. No, the best response is 7."}',
        None,
    ),
    _row(
        "an-unusable-field-still-fails", '{"REASONING": "best response is 1", "BEST": "all"}', None
    ),
    _row("no-conclusion", '{"REASONING": "Response 0 is longer than response 1."}', None),
]


@pytest.mark.parametrize(("raw", "concluded"), INDEX_CONCLUSION_CASES)
def test_parse_index_conclusion_reading(raw, concluded):
    assert parse_index(raw, 2).value is None  # the strict reading finds no index in any of them
    parsed = parse_index(raw, 2, CONCLUSION_READING)
    assert parsed.value == concluded
    assert parsed.status is (FAILED if concluded is None else REPAIRED)


def test_an_unknown_verdict_reading_is_a_one_line_error():
    with pytest.raises(FlipConfigError, match="unknown verdict reading 'loose'"):
        parse_verdict("B", "loose")
    with pytest.raises(FlipConfigError, match="unknown verdict reading 'loose'"):
        parse_index("0", 2, "loose")


# --- parse_index ---------------------------------------------------------------------------
# (raw, num_candidates, expected value, expected status)

INDEX_CASES = [
    _row("json-int", '{"REASONING": "r", "BEST_RESPONSE_INDEX": 2}', 4, 2, OK),
    _row("json-zero", '{"BEST_RESPONSE_INDEX": 0}', 4, 0, OK),
    _row("json-last-in-range", '{"BEST_RESPONSE_INDEX": 3}', 4, 3, OK),
    _row("fenced-json", '```json\n{"BEST_RESPONSE_INDEX": 1}\n```', 4, 1, OK),
    _row("best-response-key", '{"BEST_RESPONSE": 2}', 4, 2, OK),
    _row("index-key", '{"INDEX": 2}', 4, 2, OK),
    _row("response-1-string", '{"BEST_RESPONSE_INDEX": "Response 1"}', 4, 1, REPAIRED),
    _row("float-1.0", '{"BEST_RESPONSE_INDEX": 1.0}', 4, 1, REPAIRED),
    _row("string-number", '{"BEST_RESPONSE_INDEX": "2"}', 4, 2, OK),
    _row("response-hash-2", '{"BEST_RESPONSE_INDEX": "Response #2"}', 4, 2, REPAIRED),
    _row("value-in-list", '{"BEST_RESPONSE_INDEX": [2]}', 4, 2, REPAIRED),
    _row("number-with-comment", '{"BEST_RESPONSE_INDEX": "2 (the most detailed)"}', 4, 2, REPAIRED),
    _row("lowercase-key-trailing-comma", '{"best_response_index": 3,}', 4, 3, REPAIRED),
    _row("prose-labelled", "Best response index: 3", 4, 3, REPAIRED),
    _row("prose-best-response-is-response", "The best response is Response 2.", 4, 2, REPAIRED),
    _row("prose-index-is", "The best response index is 1", 4, 1, REPAIRED),
    _row("out-of-range", '{"BEST_RESPONSE_INDEX": 4}', 4, None, FAILED),
    _row("float-out-of-range", '{"BEST_RESPONSE_INDEX": 2.0}', 2, None, FAILED),
    _row("prose-out-of-range", "Best response index: 7", 4, None, FAILED),
    _row("boolean", '{"BEST_RESPONSE_INDEX": true}', 4, None, FAILED),
    _row("null", '{"BEST_RESPONSE_INDEX": null}', 4, None, FAILED),
    _row("none-string", '{"BEST_RESPONSE_INDEX": "none"}', 4, None, FAILED),
    _row(
        "truncated-before-value",
        '{"REASONING": "Response 3 is best", "BEST_RESPONSE_INDEX": ',
        4,
        None,
        FAILED,
    ),
    _row("empty-output", "", 4, None, FAILED),
    _row("prose-no-index", "All responses are similar.", 4, None, FAILED),
    _row(
        "negative-json-int",
        '{"BEST_RESPONSE_INDEX": -1}',
        4,
        None,
        FAILED,
    ),
    _row(
        "negative-json-string",
        '{"BEST_RESPONSE_INDEX": "-1"}',
        4,
        None,
        FAILED,
    ),
    _row(
        "negative-prose",
        "Best response index: -1",
        4,
        None,
        FAILED,
    ),
    _row(
        "non-integer-float",
        '{"BEST_RESPONSE_INDEX": 1.5}',
        4,
        None,
        FAILED,
    ),
    _row(
        "two-indices",
        '{"BEST_RESPONSE_INDEX": "1 or 2"}',
        4,
        None,
        FAILED,
    ),
    _row(
        "bare-number-output",
        "2",
        4,
        2,
        REPAIRED,
    ),
]


@pytest.mark.parametrize(("raw", "num_candidates", "value", "status"), INDEX_CASES)
def test_parse_index_table(raw, num_candidates, value, status):
    parsed = parse_index(raw, num_candidates)
    assert (parsed.value, parsed.status) == (value, status)
    assert parsed.raw == raw


# --- reasoning and raw for the judge parsers ------------------------------------------------


@pytest.mark.parametrize(
    ("parse", "raw", "reasoning"),
    [
        pytest.param(
            parse_score,
            '{"REASONING": "Clear and correct.", "SCORE": 9}',
            "Clear and correct.",
            id="score-json",
        ),
        pytest.param(parse_score, "SCORE: 8\nREASONING: clear", "clear", id="score-prose"),
        pytest.param(
            parse_score,
            '{"Explanation": "Too short.", "SCORE": 3}',
            "Too short.",
            id="score-explanation-key",
        ),
        pytest.param(
            parse_score,
            '{"REASONING": "No score given"}',
            "No score given",
            id="score-failed-keeps-reasoning",
        ),
        pytest.param(
            parse_verdict,
            '{"REASONING": "B cites sources.", "BETTER_RESPONSE": "B"}',
            "B cites sources.",
            id="verdict-json",
        ),
        pytest.param(
            parse_verdict,
            '{"rationale": "A is wrong.", "better_response": "B"',
            "A is wrong.",
            id="verdict-truncated-rationale-key",
        ),
        pytest.param(
            lambda raw: parse_index(raw, 4),
            '{"REASONING": "Response 0 and 1 are worse", "BEST_RESPONSE_INDEX": 2}',
            "Response 0 and 1 are worse",
            id="index-json",
        ),
        pytest.param(parse_score, '{"SCORE": 5}', None, id="no-reasoning"),
    ],
)
def test_reasoning_is_extracted(parse, raw, reasoning):
    parsed = parse(raw)
    assert parsed.reasoning == reasoning
    assert parsed.raw == raw


@pytest.mark.parametrize(
    ("key", "canonical"),
    [
        ("INFERRED INSTRUCTION", "inferredinstruction"),
        ("Inferred_Instruction", "inferredinstruction"),
        ("inferred-instruction", "inferredinstruction"),
        ("INFERRED INSTRUCTION ", "inferredinstruction"),
        ("BEST_RESPONSE_INDEX", "bestresponseindex"),
    ],
)
def test_canonical_key(key, canonical):
    assert canonical_key(key) == canonical


# --- properties: parsers never raise and keep their invariants ------------------------------

_FRAGMENTS = [
    "{",
    "}",
    "[",
    "]",
    '"',
    "'",
    ":",
    ",",
    " ",
    "\n",
    "\\",
    "```",
    "```json",
    "**",
    "#",
    "-",
    "REASONING",
    "INFERRED INSTRUCTION",
    "Inferred_Instruction",
    "inferred-instruction",
    "Instruction:",
    "SCORE",
    "Score:",
    "Rating:",
    "BETTER_RESPONSE",
    "Better response is",
    "BEST_RESPONSE_INDEX",
    "Best response index:",
    "Response",
    "[[",
    "]]",
    "A",
    "B",
    "a",
    "b",
    "both",
    "out of",
    "/",
    "0",
    "1",
    "2",
    "3",
    "8",
    "10",
    "10.5",
    "85",
    "-3",
    "1.5",
    "1e400",
    "NaN",
    "Infinity",
    "true",
    "false",
    "null",
    "None",
    "é",
    "🙂",
    "\t",
    "<think>",
    "</think>",
]

json_ish_text = st.lists(
    st.one_of(st.sampled_from(_FRAGMENTS), st.text(max_size=4)), max_size=40
).map("".join)

any_text = st.one_of(st.text(), json_ish_text)

_STATUSES = set(ParseStatus)


def _check_common(parsed, raw):
    assert parsed.status in _STATUSES
    assert (parsed.value is None) == (parsed.status is FAILED)
    assert parsed.raw == raw
    assert parsed.reasoning is None or isinstance(parsed.reasoning, str)


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_property_parse_reconstruction(raw):
    parsed = parse_reconstruction(raw)
    _check_common(parsed, raw)
    if parsed.value is not None:
        assert isinstance(parsed.value, str) and parsed.value


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_property_parse_score(raw):
    parsed = parse_score(raw)
    _check_common(parsed, raw)
    if parsed.value is not None:
        assert not math.isnan(parsed.value)
        assert 1.0 <= parsed.value <= 10.0


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_property_parse_verdict(raw):
    parsed = parse_verdict(raw)
    _check_common(parsed, raw)
    if parsed.value is not None:
        assert parsed.value in {"A", "B"}
    concluded = parse_verdict(raw, CONCLUSION_READING)
    _check_common(concluded, raw)
    if parsed.value is not None:  # the conclusion reading only adds where strict fails
        assert (concluded.value, concluded.status) == (parsed.value, parsed.status)
    assert concluded.value in {None, "A", "B"}


@settings(max_examples=300, deadline=None)
@given(any_text, st.integers(min_value=1, max_value=10))
def test_property_parse_index(raw, num_candidates):
    parsed = parse_index(raw, num_candidates)
    _check_common(parsed, raw)
    if parsed.value is not None:
        assert isinstance(parsed.value, int) and not isinstance(parsed.value, bool)
        assert parsed.value in range(num_candidates)


# --- robustness: bounded, linear work on any output ----------------------------------------
# A catastrophic pattern blocks Python's signal handling, so a timer in the same process could
# never interrupt it: each hostile output is parsed in a child process that is killed when it
# overruns a wall-clock limit. Each parse must also take well under a second of CPU time (CPU,
# not wall time, so that other load on the machine does not make the test flaky). Every shape
# is 1 MB; the parsers read only MAX_PARSED_CHARS of it, and every pattern must be linear
# besides (the old ones took 7 s for 16k digits and 16 s for 8k spaces).

ONE_MB = 1_000_000
HOSTILE_SHAPES = {
    "digit-run": lambda: "1" * ONE_MB,
    "score-label-digit-run": lambda: "Score: " + "9" * ONE_MB,
    "decimal-run": lambda: "1." * (ONE_MB // 2),
    "heading-then-spaces": lambda: "## Score" + " " * ONE_MB + "x",
    "bold-heading-then-spaces": lambda: "**Score**" + " " * ONE_MB + "x",
    "label-then-spaces": lambda: "Score" + " " * ONE_MB + "x",
    "label-then-quotes": lambda: "Score" + "'" * ONE_MB + "x",
    "open-braces": lambda: "{" * ONE_MB,
    "nested-objects": lambda: '{"SCORE": ' * (ONE_MB // 10),
    "mismatched-brackets": lambda: "{]x" * (ONE_MB // 3),
    "alternating-quotes": lambda: "{" + 'x"' * (ONE_MB // 2),
    "double-quotes": lambda: '"' * ONE_MB,
    "backslashes": lambda: "{" + "\\" * ONE_MB,
    "many-empty-score-labels": lambda: "SCORE:\n" * (ONE_MB // 7),
    "score-words": lambda: "score " * (ONE_MB // 6),
    "unclosed-instruction-quotes": lambda: "instruction\u201c" * (ONE_MB // 12),
    "verdict-brackets-then-spaces": lambda: "[[response" + " " * ONE_MB,
    "response-letters": lambda: "Response A " * (ONE_MB // 11),
    "response-letter-possessives": lambda: "Response A's " * (ONE_MB // 13),
    "best-response-is-digits": lambda: "best response is 1" * (ONE_MB // 18),
    # json-repair's worst cases left by its window: braces held open up to its limits, then words.
    "16-open-braces-then-words": lambda: "{" * 16 + " x" * (ONE_MB // 2),
    "32-open-braces-then-words": lambda: "{" * 32 + " x" * (ONE_MB // 2),
}
PER_PARSE_CPU_SECONDS = 1.0  # the target: well under a second (measured worst: 0.25 s)
HARD_TIMEOUT_SECONDS = 30.0  # wall clock for six parses on a loaded machine; the old code: hours

_PUBLIC_PARSERS = {
    "parse_reconstruction": parse_reconstruction,
    "parse_score": parse_score,
    "parse_verdict": parse_verdict,
    "parse_verdict (conclusion)": lambda raw: parse_verdict(raw, CONCLUSION_READING),
    "parse_index": lambda raw: parse_index(raw, 4),
    "parse_index (conclusion)": lambda raw: parse_index(raw, 4, CONCLUSION_READING),
}


def _time_every_parser(raw: str, sender) -> None:
    """Child process: parse ``raw`` with every public parser, send back each one's CPU seconds."""
    seconds = {}
    for name, parse in _PUBLIC_PARSERS.items():
        start = time.process_time()
        parse(raw)
        seconds[name] = time.process_time() - start
    sender.send(seconds)


def _parse_times_in_child(raw: str, timeout: float) -> dict[str, float]:
    """CPU seconds per parser, measured in a child process killed after ``timeout`` wall seconds."""
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_time_every_parser, args=(raw, sender), daemon=True)
    child.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            pytest.fail(f"parsing did not finish within {timeout:.0f} s; the child was killed")
        try:
            return receiver.recv()
        except EOFError:
            child.join()
            pytest.fail(f"the parsing child died (exit code {child.exitcode})")
    finally:
        child.kill()
        child.join()
        receiver.close()


@pytest.mark.parametrize("shape", list(HOSTILE_SHAPES))
def test_hostile_output_parses_well_under_a_second(shape):
    seconds = _parse_times_in_child(HOSTILE_SHAPES[shape](), HARD_TIMEOUT_SECONDS)
    slow = {name: round(s, 3) for name, s in seconds.items() if s > PER_PARSE_CPU_SECONDS}
    assert not slow, f"{shape}: {slow}"


def test_text_past_the_parsed_bound_is_ignored():
    bound = fields.MAX_PARSED_CHARS
    assert bound >= 512 * 128  # a 512-token output of the longest tokens is never cut
    answer = '{"SCORE": 8}'
    within = " " * (bound - len(answer)) + answer
    assert (parse_score(within).value, parse_score(within).status) == (8.0, OK)
    past = " " * bound + answer
    parsed = parse_score(past)
    assert (parsed.value, parsed.status) == (None, FAILED)
    assert parsed.raw == past  # the raw output is kept whole


def test_repair_window_keeps_the_head_and_bounds_brackets_and_quotes():
    window = json_objects.repair_window
    short = "{'SCORE': 8, 'REASONING': 'fine'"
    assert window(short) == short
    assert window("x" * 10_000) == "x" * json_objects.REPAIR_WINDOW_CHARS
    depth = json_objects.REPAIR_MAX_DEPTH
    assert window("{" * (depth + 5)) == "{" * depth
    assert window("{]x" * (depth + 5)) == "{]x" * depth  # "]" does not close "{"
    # 16 braces held open across the window are the budget: 32 may only cover half of it.
    assert json_objects.REPAIR_MAX_OPEN_WORK == 16 * json_objects.REPAIR_WINDOW_CHARS
    assert len(window("{" * 16 + "x" * 10_000)) == json_objects.REPAIR_WINDOW_CHARS
    half = len(window("{" * 32 + "x" * 10_000))
    assert abs(half - json_objects.REPAIR_WINDOW_CHARS // 2) <= 32
    late = "x" * 3_000 + "{" * 30 + "x" * 10_000  # opened late, they stay within the budget
    assert window(late) == late[: json_objects.REPAIR_WINDOW_CHARS]
    balanced = "[Instructions] " * (json_objects.REPAIR_MAX_OPENINGS + 5)
    assert window(balanced) == "[Instructions] " * json_objects.REPAIR_MAX_OPENINGS
    quotes = "'a" * (json_objects.REPAIR_MAX_DELIMITERS + 5)
    assert window(quotes) == "'a" * json_objects.REPAIR_MAX_DELIMITERS
    # A repairable answer at the head is still repaired when a flood of brackets follows it.
    flooded = "{'SCORE': 7,}" + "{]x" * 5_000
    assert (parse_score(flooded).value, parse_score(flooded).status) == (7.0, REPAIRED)


# --- robustness: numbers and nesting no parser can use fail, they never raise ----------------
# {"SCORE": 999...} (400 digits) raised OverflowError from float(); an index of 5,000 digits
# raised ValueError from int()'s conversion limit; a value nested 900 deep raised RecursionError.

UNUSABLE_CASES = [
    _row("score-int-past-float", parse_score, '{"SCORE": ' + "9" * 400 + "}"),
    _row("score-negative-int-past-float", parse_score, '{"SCORE": -' + "9" * 400 + "}"),
    _row("score-repaired-int-past-float", parse_score, "{'SCORE': " + "9" * 400 + "}"),
    _row("score-5000-digit-string", parse_score, '{"SCORE": "' + "9" * 5000 + '"}'),
    _row("score-prose-5000-digits", parse_score, "Score: " + "9" * 5000),
    _row("index-5000-digit-string", parse_index, '{"BEST_RESPONSE_INDEX": "' + "1" * 5000 + '"}'),
    _row("index-5000-digit-number", parse_index, '{"BEST_RESPONSE_INDEX": ' + "1" * 5000 + "}"),
    _row("index-prose-5000-digits", parse_index, "Best response index: " + "1" * 5000),
    _row("index-sentence-5000-digits", parse_index, "The best response is " + "1" * 5000),
    _row("index-int-past-float", parse_index, '{"BEST_RESPONSE_INDEX": ' + "9" * 400 + "}"),
    _row(
        "instruction-nested-900-deep",
        parse_reconstruction,
        '{"INFERRED INSTRUCTION": ' + "[" * 900 + '"x"' + "]" * 900 + "}",
    ),
    _row(
        "verdict-nested-900-deep",
        parse_verdict,
        '{"BETTER_RESPONSE": ' + "[" * 900 + '"B"' + "]" * 900 + "}",
    ),
]


@pytest.mark.parametrize(("parse", "raw"), UNUSABLE_CASES)
def test_unusable_number_or_nesting_is_a_failed_parse(parse, raw):
    parsed = parse(raw, 4) if parse is parse_index else parse(raw)
    assert (parsed.value, parsed.status) == (None, FAILED)
    assert parsed.raw == raw


def test_reasoning_nested_too_deep_does_not_cost_the_score():
    raw = '{"SCORE": 8, "REASONING": ' + "[" * 900 + '"x"' + "]" * 900 + "}"
    parsed = parse_score(raw)
    assert (parsed.value, parsed.status) == (8.0, OK)


# Any code point, lone surrogates included (hypothesis leaves them out unless asked).
every_code_point = st.text(st.characters(codec=None, exclude_categories=()))

_SPELLED_KEYS = [
    *REASONING_KEYS,
    *INSTRUCTION_KEYS,
    *SCORE_KEYS,
    *VERDICT_KEYS,
    *INDEX_KEYS,
    "REASONING",
    "INFERRED INSTRUCTION",
    "Inferred_Instruction",
    "SCORE",
    "Final Score",
    "BETTER_RESPONSE",
    "better response",
    "BEST_RESPONSE_INDEX",
    "Best-Response",
]
_LEAF_VALUES = st.one_of(
    st.integers().map(str),
    st.integers(min_value=300, max_value=6_000).map(lambda digits: "9" * digits),
    st.integers(min_value=300, max_value=6_000).map(lambda digits: '"' + "1" * digits + '"'),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-0", "1.5", "true", "null"]),
    st.sampled_from(['"8/10"', '"4 out of 5"', '"Response B"', '"A and B"', '"N/A"', '""']),
    st.text(max_size=20).map(json.dumps),
)


@st.composite
def answer_values(draw) -> str:
    """A JSON value as text, nested in lists or objects up to 1,500 levels."""
    leaf = draw(_LEAF_VALUES)
    depth = draw(st.one_of(st.just(0), st.integers(0, 3), st.integers(0, 1_500)))
    if draw(st.booleans()):
        return "[" * depth + leaf + "]" * depth
    key = json.dumps(draw(st.sampled_from(_SPELLED_KEYS)))
    return ("{" + key + ": ") * depth + leaf + "}" * depth


@st.composite
def answer_texts(draw) -> str:
    """An answer object over the keys the parsers look for, then broken the ways models break it."""
    pairs = draw(
        st.lists(st.tuples(st.sampled_from(_SPELLED_KEYS), answer_values()), min_size=1, max_size=4)
    )
    text = "{" + ", ".join(f"{json.dumps(key)}: {value}" for key, value in pairs) + "}"
    damage = draw(st.sampled_from(["none", "cut", "single-quotes", "no-braces", "comma", "prose"]))
    if damage == "cut":
        text = text[: draw(st.integers(0, len(text)))]
    elif damage == "single-quotes":
        text = text.replace('"', "'")
    elif damage == "no-braces":
        text = text[1:-1]
    elif damage == "comma":
        text = text[:-1] + ",}"
    elif damage == "prose":
        text = f"Sure, here it is {{as asked}}:\n```json\n{text}\n```\n"
    return text


def _parse_everything(raw: str, num_candidates: int) -> None:
    for parsed in (
        parse_reconstruction(raw),
        parse_score(raw),
        parse_verdict(raw),
        parse_index(raw, num_candidates),
    ):
        _check_common(parsed, raw)


@settings(max_examples=200, deadline=None)
@given(every_code_point, st.integers(min_value=1, max_value=10))
@example("\ud800 Score: 8 \udfff", 4)
def test_property_no_parser_raises_on_any_code_points(raw, num_candidates):
    _parse_everything(raw, num_candidates)


@settings(max_examples=200, deadline=None)
@given(answer_texts(), st.integers(min_value=1, max_value=10))
@example('{"SCORE": ' + "9" * 400 + "}", 4)
@example('{"BEST_RESPONSE_INDEX": "' + "1" * 5000 + '"}', 4)
@example('{"BETTER_RESPONSE": ' + "[" * 900 + '"B"' + "]" * 900 + "}", 2)
def test_property_no_parser_raises_on_hostile_answers(raw, num_candidates):
    _parse_everything(raw, num_candidates)


# --- the linear patterns match what the old ones matched -----------------------------------
# The old patterns, quadratic on long runs but exact on short text, are the specification the
# rewritten ones must keep: the committed results are re-parsed at ingest and must not move.

_OLD_LABELLED_LINE = re.compile(
    r"^[\s>*#`\-\"']*([A-Za-z][A-Za-z' _\-]{1,60}?)[\s*\"'`]*[:=]\s*(.*)$"
)
_OLD_HEADING_LINE = re.compile(
    r"^\s*(?:#{1,6}|\*\*|__)\s*([A-Za-z][A-Za-z' _\-]{1,60}?)\s*(?:\*\*|__)?\s*$"
)
_OLD_FRACTION = re.compile(r"(-?\d+(?:\.\d+)?)\s*(?:/|out of)\s*(-?\d+(?:\.\d+)?)", re.IGNORECASE)
_OLD_INSTRUCTION_IN_PROSE = re.compile(
    r"\binstruction\b[^\"\u201c]{0,80}?[\"\u201c]([^\"\u201d]{3,})[\"\u201d]", re.IGNORECASE
)


def _old_line_label(line: str):
    if match := _OLD_LABELLED_LINE.match(line):
        return fields._label_key(match.group(1)), match.group(2).strip().strip("\"'`*").strip()
    if match := _OLD_HEADING_LINE.match(line):
        key = fields._label_key(match.group(1))
        return (key, "") if key else None
    return None


def _named_field(label):
    """A line label as the parsers use it: (key, value), or None when it names no field."""
    return None if label is None or label[0] is None else label


def _old_quoted_instruction(text: str):
    for match in _OLD_INSTRUCTION_IN_PROSE.finditer(text):
        quoted = match.group(1).strip()
        if canonical_key(quoted) not in fields.KNOWN_KEYS:
            return quoted
    return None


def _joined(pieces: list[str], min_size: int = 0, max_size: int = 14):
    return st.lists(st.sampled_from(pieces), min_size=min_size, max_size=max_size).map("".join)


# Lines built as prefix + label + separator and value, so that most of them are labels or
# headings, some only nearly (a space or a quote too many, a label too long, no separator).
_PREFIXES = ["", " ", "\t", ">", "-", "*", "**", "__", "#", "##", "####", "#######", "`", '"', "'"]
_LABEL_WORDS = ["Score", "Reasoning", "Inferred instruction", "Here is the", "My final", "the"]
_LABEL_WORDS += [" is", " would be", " ", "'", "_", "-", "A", "b", "x" * 30]
_TAILS = ["", " ", "  ", "\t", "\u00a0", "*", "**", "__", "'", '"', "`", ":", "=", "x", " 8"]
line_texts = st.tuples(
    _joined(_PREFIXES, max_size=3), _joined(_LABEL_WORDS, 1, 4), _joined(_TAILS, max_size=5)
).map("".join)
fraction_texts = _joined(
    ["1", "9", "10", "0", "-", ".", "/", " ", "out of", "OUT OF", "x", "\u0661", "score"]
)
# Texts made of segments: "instruction", filler, an opening quote, a quoted text, a closing
# quote or none; the filler may be too long (80+) and the quoted text too short or a key name.
_QUOTES = ["", '"', "\u201c", "\u201d"]
instruction_segments = st.tuples(
    st.sampled_from(["instruction", "INSTRUCTION", "instructions", "the instruction", "x"]),
    _joined([" ", " is: ", "\n", "x" * 40, '"'], max_size=3),
    st.sampled_from(_QUOTES[1:]),
    _joined(["ab", "Write a poem", " score ", "SCORE", "\n", "\u201c", "'"], max_size=3),
    st.sampled_from(_QUOTES),
)
instruction_texts = st.lists(instruction_segments.map("".join), max_size=4).map("".join)


@settings(max_examples=400, deadline=None)
@given(line_texts)
def test_line_label_is_unchanged_on_short_lines(line):
    assert _named_field(fields._line_label(line)) == _named_field(_old_line_label(line))


@settings(max_examples=400, deadline=None)
@given(fraction_texts)
def test_fraction_search_is_unchanged_on_short_text(text):
    old, new = _OLD_FRACTION.search(text), answers._FRACTION.search(text)
    assert (old and (old.span(), old.groups())) == (new and (new.span(), new.groups()))


@settings(max_examples=400, deadline=None)
@given(instruction_texts)
def test_quoted_instruction_is_unchanged_on_short_text(text):
    assert answers._quoted_instruction(text) == _old_quoted_instruction(text)
