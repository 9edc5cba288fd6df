"""Tests for flip_core.parsing on outputs of the kind small instruction-tuned LMs really write.

Every table row states the value AND the status (ok / repaired / failed, as defined in the
module docstring of flip_core.parsing), so a change that silently shifts outputs between
"parsed" and "failed" shows up here.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flip_core.parsing import (
    ParseStatus,
    canonical_key,
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


@settings(max_examples=300, deadline=None)
@given(any_text, st.integers(min_value=1, max_value=10))
def test_property_parse_index(raw, num_candidates):
    parsed = parse_index(raw, num_candidates)
    _check_common(parsed, raw)
    if parsed.value is not None:
        assert isinstance(parsed.value, int) and not isinstance(parsed.value, bool)
        assert parsed.value in range(num_candidates)
