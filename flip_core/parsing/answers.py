"""The four parsers: FLIP's inferred instruction, the pointwise score, the pairwise verdict
and the listwise index, each the shared field rule (:func:`flip_core.parsing.fields.parse_field`)
with its own coercion and prose reading.
"""

from __future__ import annotations

import math
import re
from typing import Any

from flip_core.errors import FlipConfigError
from flip_core.parsing.fields import (
    INDEX_KEYS,
    INSTRUCTION_KEYS,
    KNOWN_KEYS,
    SCORE_KEYS,
    VERDICT_KEYS,
    Coercion,
    Parsed,
    as_text,
    canonical_key,
    parse_field,
)

# --- how a judge's answer is read ---------------------------------------------------------

STRICT_READING = "strict"
"""The judges' reading of the paper's protocol and the default: the answer field
(``BETTER_RESPONSE``, ``BEST_RESPONSE_INDEX``), or prose only when the output holds no field at
all (:mod:`flip_core.parsing`)."""
CONCLUSION_READING = "conclusion"
"""A named deviation for the pairwise and listwise judges: where the strict reading finds no
answer field, the answer the text concludes with counts ("Therefore, Response A is better.",
"The best response is 0."), when every such conclusion in it states the same answer. Small
judges often put their answer inside the ``REASONING`` field and stop there; this reading
measures how much of their deficit is the format rather than the judgement
(``benchmarks/judge_verdict_reading.py``). Not for the pointwise score: a number in a reasoning
("a score of 3 would be harsh") is not a conclusion."""
VERDICT_READINGS = (STRICT_READING, CONCLUSION_READING)


def check_verdict_reading(name: str) -> str:
    """``name`` checked against :data:`VERDICT_READINGS` (a one-line error otherwise)."""
    if name not in VERDICT_READINGS:
        raise FlipConfigError(f"unknown verdict reading {name!r}; choose one of {VERDICT_READINGS}")
    return name


# --- FLIP: the inferred instruction -------------------------------------------------------

# Small models often skip JSON and say so in prose: 'The instruction that most plausibly
# produced the response above is: "..."' or 'The instruction "..." is ...'. The quoted text
# (3+ characters) right after the word "instruction" is then the model's own answer.
_INSTRUCTION_OPENING = re.compile(r"\binstruction\b[^\"\u201c]{0,80}?[\"\u201c]", re.IGNORECASE)
_CLOSING_QUOTE = re.compile(r"[\"\u201d]")
_MIN_QUOTED_CHARS = 3


def _coerce_instruction(value: Any) -> tuple[str | None, bool]:
    text = as_text(value)
    return (text, False) if text else (None, True)


def _quoted_instruction(text: str) -> str | None:
    """The first quote after "instruction" that is not a field name ('instruction "SCORE"').

    Found in two steps, the opening quote and then the closing one, where one pattern
    (``instruction ... "([^"]{3,})"``) rescanned the rest of the text from every "instruction"
    when the closing quote was missing: quadratic in ``'instruction\u201c' * n``. Without a
    closing quote after an opening one there is none after any later one either, so the scan
    stops; otherwise it resumes where the pattern's own search would.
    """
    position = 0
    while opening := _INSTRUCTION_OPENING.search(text, position):
        closing = _CLOSING_QUOTE.search(text, opening.end())
        if closing is None:
            return None
        if closing.start() - opening.end() < _MIN_QUOTED_CHARS:
            position = opening.start() + 1
            continue
        quoted = text[opening.end() : closing.start()].strip()
        if canonical_key(quoted) not in KNOWN_KEYS:
            return quoted
        position = closing.end()
    return None


def parse_reconstruction(raw: str) -> Parsed[str]:
    """The ``INFERRED INSTRUCTION`` of a FLIP output (JSON, a labelled line, or quoted prose).

    A bare short output is not taken as an instruction: only the quoted-prose rule reads prose.
    """
    return parse_field(
        raw, INSTRUCTION_KEYS, _coerce_instruction, _quoted_instruction, accept_bare=False
    )


# --- pointwise judge: a 1-10 score --------------------------------------------------------

SCORE_MIN, SCORE_MAX = 1.0, 10.0
_NUMBER = r"(-?\d+(?:\.\d+)?)"
_NUMBERS = re.compile(r"-?\d+(?:\.\d+)?")
_EXACT_NUMBER = re.compile(r"^\s*" + _NUMBER + r"\s*$")
# The numerator starts at the first digit of its run (``(?<!\d)``): a search in a run of n digits
# with no "/" after it otherwise tried every digit as a start and rescanned the run (n squared).
# The first match is unchanged: one starting inside a run has a twin at the run's start.
_FRACTION = re.compile(r"(-?(?<!\d)\d+(?:\.\d+)?)\s*(?:/|out of)\s*" + _NUMBER, re.IGNORECASE)
_SCORE_IN_PROSE = re.compile(
    r"\b(?:score|rating)\b[^0-9]{0,20}?" + _NUMBER + r"(?:\s*(?:/|out of)\s*" + _NUMBER + r")?",
    re.IGNORECASE,
)


def _score_from_parts(number: float, denominator: float | None) -> tuple[float | None, bool]:
    """Put a score on the 1-10 scale. Returns (score or None, whether it had to be adjusted).

    An explicit denominator other than 10 (``4/5``, ``80 out of 100``) is rescaled to 10.
    Values in [0, 1) and (10, 11] are clamped to the scale. Negative values, values above 11
    (out of 100? a typo?), non-finite values and zero denominators fail rather than be guessed.
    """
    if not math.isfinite(number):
        return None, True
    adjusted = False
    if denominator is not None:
        if not math.isfinite(denominator) or denominator <= 0:
            return None, True
        if denominator != SCORE_MAX:
            number, adjusted = number / denominator * SCORE_MAX, True
    if number < 0 or number > SCORE_MAX + 1:
        return None, True
    if not SCORE_MIN <= number <= SCORE_MAX:
        number, adjusted = min(SCORE_MAX, max(SCORE_MIN, number)), True
    return number, adjusted


def _as_float(value: int | float) -> float:
    """``float(value)``; an int beyond float range (``{"SCORE": 999...}``) is an infinity."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _coerce_score(value: Any) -> tuple[float | None, bool]:
    if isinstance(value, bool):
        return None, True
    if isinstance(value, int | float):
        return _score_from_parts(_as_float(value), None)
    text = as_text(value)
    if match := _FRACTION.search(text):
        return _score_from_parts(float(match.group(1)), float(match.group(2)))[0], True
    if match := _EXACT_NUMBER.match(text):
        return _score_from_parts(float(match.group(1)), None)
    numbers = _NUMBERS.findall(text)
    if len(numbers) == 1:  # "8 (very good)"; "7-8" holds two numbers and is ambiguous
        return _score_from_parts(float(numbers[0]), None)[0], True
    return None, True


def _score_in_prose(raw: str) -> float | None:
    match = _SCORE_IN_PROSE.search(raw) or _FRACTION.search(raw)
    if match is None:
        return None
    denominator = float(match.group(2)) if match.group(2) else None
    return _score_from_parts(float(match.group(1)), denominator)[0]


def parse_score(raw: str) -> Parsed[float]:
    """The 1-10 ``SCORE`` of a pointwise judgement, from JSON, ``Score: 8`` or ``8/10`` prose."""
    return parse_field(raw, SCORE_KEYS, _coerce_score, _score_in_prose)


# --- pairwise judge: "A" or "B" -----------------------------------------------------------

_VERDICT_WORDS = re.compile(r"\b(?:response|output|answer|assistant|option)\b", re.IGNORECASE)
# The letter itself must be upper case, so that "is a matter of taste" is not read as A.
_VERDICT_IN_PROSE = re.compile(
    r"(?:better[ _]response|\[\[)\W{0,6}(?:is\W{0,3})?(?:response\s*)?\(?"
    r"((?-i:[AB]))\b(?!\w)",
    re.IGNORECASE,
)


_STANDALONE_VERDICT = re.compile(r"(?<![A-Za-z])[AB](?![A-Za-z])")


def _coerce_verdict(value: Any) -> tuple[str | None, bool]:
    """ "A", "(b)", "Response B", "A (more detailed)"; but "A and B", "A or B" are ambiguous."""
    text = as_text(value)
    remainder = _VERDICT_WORDS.sub("", text)
    letters = re.sub(r"[^A-Za-z]", "", remainder).upper()
    if letters in {"A", "B"}:
        return letters, text != letters
    named = set(_STANDALONE_VERDICT.findall(remainder))
    if len(named) == 1:
        return named.pop(), True
    return None, True


def _verdict_in_prose(raw: str) -> str | None:
    match = _VERDICT_IN_PROSE.search(raw)
    return match.group(1) if match else None


# "Response A is better", "Output (B) is clearly better", "Assistant A's answer is the better".
# Each part is bounded or separated from the next by a different character class, so a scan is
# linear in the text.
_VERDICT_CONCLUSION = re.compile(
    r"\b(?:response|output|answer|assistant)\s{0,3}\(?((?-i:[AB]))\)?(?:'s\s{1,3}\w{1,20})?"
    r"\s{1,3}(?:is|was|would\s{1,3}be)\s{1,3}(?:the\s{1,3})?"
    r"(?:(?:clearly|much|slightly|far|overall)\s{1,3})?better\b",
    re.IGNORECASE,
)


def _concluded_verdicts(text: str) -> set[str | None]:
    """Every letter the text concludes is better, in either phrasing."""
    stated = {m.group(1) for m in _VERDICT_CONCLUSION.finditer(text)}
    return stated | {m.group(1) for m in _VERDICT_IN_PROSE.finditer(text)}


def parse_verdict(raw: str, reading: str = STRICT_READING) -> Parsed[str]:
    """The ``BETTER_RESPONSE`` of a pairwise judgement: ``"A"`` or ``"B"``, read as
    ``reading`` says (:data:`VERDICT_READINGS`)."""
    concluding = check_verdict_reading(reading) == CONCLUSION_READING
    return parse_field(
        raw,
        VERDICT_KEYS,
        _coerce_verdict,
        _verdict_in_prose,
        conclusions=_concluded_verdicts if concluding else None,
    )


# --- listwise judge: an index -------------------------------------------------------------

_INDEX_IN_PROSE = re.compile(
    r"best[ _]response(?:[ _]index)?\W{0,6}?(?:is\W{0,3})?(?:response\s*)?(-?\d+)",
    re.IGNORECASE,
)


def _as_int(digits: str) -> int | None:
    """``int(digits)``, or None past Python's int-string conversion limit (4,300 digits).

    Such a number is no index, and ``int`` refuses it with a ValueError.
    """
    try:
        return int(digits)
    except ValueError:
        return None


def _index_coercion(num_candidates: int) -> Coercion:
    def coerce(value: Any) -> tuple[int | None, bool]:
        if isinstance(value, bool):
            return None, True
        adjusted = False
        if isinstance(value, float):
            if not value.is_integer():
                return None, True
            value, adjusted = int(value), True
        if not isinstance(value, int):
            text = as_text(value)
            numbers = _NUMBERS.findall(text)
            if len(numbers) != 1 or "." in numbers[0]:  # "1 or 2" and "1.5" are not indices
                return None, True
            number = _as_int(numbers[0])
            if number is None:
                return None, True
            value, adjusted = number, text != numbers[0]
        return (value, adjusted) if 0 <= value < num_candidates else (None, True)

    return coerce


def parse_index(raw: str, num_candidates: int, reading: str = STRICT_READING) -> Parsed[int]:
    """The ``BEST_RESPONSE_INDEX`` of a listwise judgement, in ``range(num_candidates)``, read
    as ``reading`` says (:data:`VERDICT_READINGS`)."""
    coerce = _index_coercion(num_candidates)

    def index_in_prose(text: str) -> int | None:
        match = _INDEX_IN_PROSE.search(text)
        return coerce(match.group(1))[0] if match else None

    def concluded_indices(text: str) -> set[int | None]:
        return {coerce(match.group(1))[0] for match in _INDEX_IN_PROSE.finditer(text)}

    concluding = check_verdict_reading(reading) == CONCLUSION_READING
    return parse_field(
        raw,
        INDEX_KEYS,
        coerce,
        index_in_prose,
        conclusions=concluded_indices if concluding else None,
    )
