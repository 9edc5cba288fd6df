"""Turn what a (small) model really writes into values, with an honest status.

Small models wrap JSON in code fences or chatter, use single quotes, leave trailing commas,
stop before the closing brace (token limit), misspell keys ("Inferred_Instruction") or skip
JSON altogether ("Score: 8/10"). Every parser here returns the value, a :class:`ParseStatus`
and the raw text, so that the store can recount parse failures and re-parse raw outputs later:

- ``ok``: a syntactically valid JSON object held the field (fences or prose around it allowed);
- ``repaired``: the value was recovered by JSON repair (``json-repair``), from a labelled line
  such as ``Score: 8`` or a heading, from prose (a bare ``8``, ``The better response is B``),
  or coerced from an irregular form (``"8/10"``, ``"Response B"``);
- ``failed``: no usable value; ``value`` is ``None``.

Two rules keep repairs honest. A field that is present but unusable (``"SCORE": "N/A"``,
``"BETTER_RESPONSE": "A and B"``) fails: the rest of the text is not searched for a number
that might be something else. And prose is only read when the output holds no recognisable
field at all, so a number inside a reasoning ("a score of 3 would be harsh") is never taken
for the verdict. Parsers never raise on model text (property tests check this): a number too
large for a float or an int (``{"SCORE": 999...}``) or a value nested too deep to walk is an
unusable value, so a ``failed`` parse.

Bounded, linear work. Model text is untrusted, and one pathological output must not stall an
ingest, so parsing reads at most :data:`MAX_PARSED_CHARS` (65,536) characters of it: the 512 new
tokens of the ``default`` and ``paper`` profiles times 128 characters, the longest token in the
vocabularies the catalog uses (Qwen's run of 128 spaces; SmolLM2's longest is 81). No output of
a 512-token budget is ever cut; the excess of a longer one (a raised token limit, a broken
engine) is ignored, while ``raw`` keeps all of it. Every pattern is linear in the text it scans:
no two unbounded repeats can match the same characters one after the other, so no pattern
retries a long run once per starting point (the old ones were quadratic in a run of digits or
of spaces). On the bounded text this costs milliseconds whatever the shape.

``json-repair`` is the exception: it is pure Python and superlinear on some shapes (measured
with json-repair 0.64: every unclosed ``{`` rescans the rest of its input, and ``"{]x" * n``
takes 7 s at 4,096 characters). It therefore sees a narrower window: the first
:data:`REPAIR_WINDOW_CHARS` (4,096: 512 tokens at 8 characters each, above the widest average
of any committed output, 6.8), cut before the 17th opening bracket or the 129th JSON delimiter
(brackets and quotes). An answer object needs a handful of each and a model writes it at the
start, which the window keeps; no committed output reaches these limits. The worst case left is
about a quarter of a second per call: ``benchmarks/parser_fuzz.py`` measures it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar

import json_repair

T = TypeVar("T")


class ParseStatus(StrEnum):
    OK = "ok"
    REPAIRED = "repaired"
    FAILED = "failed"


@dataclass(frozen=True)
class Parsed(Generic[T]):
    """A parsed model output: the value (``None`` when failed), its status, and the raw text."""

    value: T | None
    status: ParseStatus
    raw: str
    reasoning: str | None = None

    @property
    def failed(self) -> bool:
        return self.status is ParseStatus.FAILED


def canonical_key(key: str) -> str:
    """Key spelling variants collapse: ``Inferred_Instruction`` -> ``inferredinstruction``."""
    return re.sub(r"[^a-z0-9]", "", key.lower())


# Accepted spellings of each field, in canonical form, best first.
REASONING_KEYS = ("reasoning", "reason", "explanation", "rationale", "thoughts")
INSTRUCTION_KEYS = (
    "inferredinstruction",
    "reconstructedinstruction",
    "inferredprompt",
    "instruction",
)
SCORE_KEYS = ("score", "rating", "finalscore")
VERDICT_KEYS = ("betterresponse", "better", "winner", "preferredresponse", "verdict")
INDEX_KEYS = ("bestresponseindex", "bestresponse", "bestindex", "index", "best")
_KNOWN_KEYS = frozenset(
    (*REASONING_KEYS, *INSTRUCTION_KEYS, *SCORE_KEYS, *VERDICT_KEYS, *INDEX_KEYS)
)
# A label that ends with one of these names that field ("Here is the inferred instruction").
_LABEL_SUFFIX_KEYS = (
    "inferredinstruction",
    "reconstructedinstruction",
    "reasoning",
    "score",
    "rating",
    "betterresponse",
    "bestresponseindex",
)

MAX_PARSED_CHARS = 512 * 128
"""Characters of an output that are parsed (module docstring): 512 tokens of 128 characters."""
REPAIR_WINDOW_CHARS = 4096
"""Characters shown to json-repair at most: 512 tokens of 8 characters (module docstring)."""
REPAIR_MAX_OPENINGS = 16
"""Opening brackets shown to json-repair at most: each unclosed one rescans what follows it."""
REPAIR_MAX_DELIMITERS = 128
"""Brackets and quotes shown to json-repair at most: its string scans restart at each quote."""

_LABEL_FILLER = re.compile(
    r"^(?:here is|here's|the|my|final)\s+|\s+(?:is|was|would be)$", re.IGNORECASE
)
# A label is a letter and 1-60 more of [A-Za-z' _-], the shortest that lets the rest match. It
# ends on a character that the separator after it cannot take (not a space or an apostrophe
# before ``[\s*"'`]*``, not a space before ``\s*``), so label and separator never compete for
# the same run of characters. Competing, they retried a run of n spaces up to 60 times (and the
# heading's two adjacent ``\s*`` n more times each, n squared). The languages are unchanged: a
# shortest label longer than two characters never ends in such a character, because the
# separator could have taken it; a two-character one such as ``"A "`` names no field either way.
_LABELLED_LINE = re.compile(
    r"^[\s>*#`\-\"']*([A-Za-z](?:[A-Za-z' _\-]{0,59}?[A-Za-z_\-]))[\s*\"'`]*[:=]\s*(.*)$"
)
_HEADING_LINE = re.compile(
    r"^\s*(?:#{1,6}|\*\*|__)\s*([A-Za-z](?:[A-Za-z' _\-]{0,59}?[A-Za-z'_\-]))"
    r"\s*(?:(?:\*\*|__)\s*)?$"
)
_MAX_OBJECT_STARTS = 64
_JSON_DECODER = json.JSONDecoder()
_OPENINGS = re.compile(r"[{\[]")
_DELIMITERS = re.compile(r"[{}\[\]\"'\u201c\u201d]")  # json-repair's string delimiters and brackets


@dataclass(frozen=True)
class _Fields:
    """Fields found in one output, keyed by canonical key, and how they were found."""

    values: dict[str, Any]
    status: ParseStatus

    @property
    def any_known(self) -> bool:
        """Whether the model wrote any field we recognise (then its prose is not searched)."""
        return any(key in _KNOWN_KEYS for key in self.values)


def _json_objects(text: str) -> list[dict[str, Any]]:
    """Every valid top-level JSON object in the text, in order (fences or prose around them).

    Scanning from each ``{`` rather than parsing the whole text copes with chatter that holds
    braces itself ("Here it is {as requested}: {...}") and with a model that splits its answer
    over two objects.
    """
    objects: list[dict[str, Any]] = []
    start = text.find("{")
    for _ in range(_MAX_OBJECT_STARTS):
        if start == -1:
            break
        try:
            value, end = _JSON_DECODER.raw_decode(text, start)
        except (ValueError, RecursionError):
            value, end = None, start + 1
        if isinstance(value, dict):
            objects.append(value)
        else:
            end = start + 1
        start = text.find("{", end)
    return objects


def _nth_match_start(pattern: re.Pattern[str], text: str, limit: int) -> int:
    """Where the match after the first ``limit`` matches starts; ``len(text)`` if there is none."""
    for count, match in enumerate(pattern.finditer(text)):
        if count == limit:
            return match.start()
    return len(text)


def _repair_window(text: str) -> str:
    """The head of the text that json-repair is shown, so that its superlinear cases stay cheap.

    See the module docstring: at most REPAIR_WINDOW_CHARS characters, cut before the opening
    bracket or delimiter past REPAIR_MAX_OPENINGS or REPAIR_MAX_DELIMITERS.
    """
    window = text[:REPAIR_WINDOW_CHARS]
    end = min(
        _nth_match_start(_OPENINGS, window, REPAIR_MAX_OPENINGS),
        _nth_match_start(_DELIMITERS, window, REPAIR_MAX_DELIMITERS),
    )
    return window[:end]


def _repaired_json_objects(text: str) -> list[dict[str, Any]]:
    """Objects that ``json-repair`` recovers from broken JSON (one object, or several in prose)."""
    try:
        value = json_repair.loads(_repair_window(text))
    except Exception:  # json-repair is best-effort; any failure just means "nothing recovered"
        return []
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []


def _label_key(label: str) -> str | None:
    """The known field a prose label names, or None (``Here is the inferred instruction``)."""
    key = canonical_key(_LABEL_FILLER.sub("", label.strip()))
    if key in _KNOWN_KEYS:
        return key
    return next((suffix for suffix in _LABEL_SUFFIX_KEYS if key.endswith(suffix)), None)


def _line_label(line: str) -> tuple[str | None, str] | None:
    """(known key or None, text after the label) for a labelled line or a heading, else None."""
    if match := _LABELLED_LINE.match(line):
        return _label_key(match.group(1)), match.group(2).strip().strip("\"'`*").strip()
    if match := _HEADING_LINE.match(line):
        key = _label_key(match.group(1))
        return (key, "") if key else None
    return None


def _next_non_blank(lines: list[str]) -> list[int | None]:
    """For each line, the index of the next line that is not blank (None after the last one).

    Computed once, backwards, so that many empty labels do not each rescan the lines after them.
    """
    following: list[int | None] = [None] * len(lines)
    upcoming: int | None = None
    for number in range(len(lines) - 1, -1, -1):
        following[number] = upcoming
        if lines[number] and not lines[number].isspace():
            upcoming = number
    return following


def _labelled_lines(text: str) -> dict[str, str]:
    """Known fields written as ``Label: value`` lines or headings; the first of each wins.

    A label with nothing after it takes the next non-empty line, unless that line is itself a
    label (then the field is empty and skipped).
    """
    found: dict[str, str] = {}
    lines = text.splitlines()
    labels = [_line_label(line) for line in lines]
    next_non_blank = _next_non_blank(lines)
    for number, labelled in enumerate(labels):
        if labelled is None or labelled[0] is None or labelled[0] in found:
            continue
        key, value = labelled
        following = next_non_blank[number]
        if not value and following is not None:
            labelled_following = labels[following]
            if labelled_following is None or labelled_following[0] is None:
                value = lines[following].strip().strip("\"'`*").strip()
        if value:
            found[key] = value
    return found


def _canonical_fields(obj: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    """Keys in canonical form; fields of nested objects (``{"output": {...}}``) are lifted."""
    fields = {canonical_key(str(key)): value for key, value in obj.items()}
    if depth < 2:
        for value in obj.values():
            if isinstance(value, dict):
                for key, inner in _canonical_fields(value, depth + 1).items():
                    fields.setdefault(key, inner)
    return fields


def _bounded(raw: str) -> str:
    """The part of an output that is parsed: its first MAX_PARSED_CHARS (module docstring)."""
    return raw[:MAX_PARSED_CHARS]


def extract_fields(raw: str) -> _Fields:
    """All fields in the output: valid JSON first, then repaired JSON, then labelled lines."""
    raw = _bounded(raw)
    merged: dict[str, Any] = {}
    valid = _json_objects(raw)
    for obj in valid:
        for key, value in _canonical_fields(obj).items():
            merged.setdefault(key, value)
    if valid:
        return _Fields(merged, ParseStatus.OK)
    for obj in _repaired_json_objects(raw):
        for key, value in _canonical_fields(obj).items():
            merged.setdefault(key, value)
    for key, value in _labelled_lines(raw).items():
        merged.setdefault(key, value)
    return _Fields(merged, ParseStatus.REPAIRED if merged else ParseStatus.FAILED)


def _lookup(fields: dict[str, Any], aliases: tuple[str, ...]) -> Any:
    for alias in aliases:
        if alias in fields and fields[alias] not in (None, ""):
            return fields[alias]
    return None


_MAX_VALUE_DEPTH = 32
"""Nesting a field value may have: json's C decoder accepts about 1,000 levels, more than the
Python stack has left to walk them (RecursionError); an answer needs two or three."""


def _nesting_depth(value: Any, limit: int) -> int:
    """How deeply lists and dicts nest in ``value``, walked without recursion to ``limit + 1``."""
    deepest = 0
    pending = [(value, 0)]
    while pending and deepest <= limit:
        item, depth = pending.pop()
        deepest = max(deepest, depth)
        if isinstance(item, list):
            pending.extend((inner, depth + 1) for inner in item)
        elif isinstance(item, dict):
            pending.extend((inner, depth + 1) for inner in item.values())
    return deepest


def _flatten(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        return " ".join(_flatten(item) for item in value).strip()
    return json.dumps(value, ensure_ascii=False)


def _as_text(value: Any) -> str:
    """A field value as text: strings stripped, lists joined, anything else as JSON.

    A value nested deeper than _MAX_VALUE_DEPTH is unusable and reads as ``""``.
    """
    if _nesting_depth(value, _MAX_VALUE_DEPTH) > _MAX_VALUE_DEPTH:
        return ""
    return _flatten(value)


def _reasoning(fields: dict[str, Any]) -> str | None:
    value = _lookup(fields, REASONING_KEYS)
    return _as_text(value) if value is not None else None


Coercion = Callable[[Any], tuple[T | None, bool]]
"""Field value -> (value or None, whether it had to be adjusted)."""

_BARE_ANSWER_MAX_CHARS = 24


def _parse_field(
    raw: str,
    aliases: tuple[str, ...],
    coerce: Coercion,
    read_prose: Callable[[str], T | None],
    accept_bare: bool = True,
) -> Parsed[T]:
    """The shared parsing rule (module docstring): field first, prose only without fields.

    ``accept_bare``: a short output that is nothing but a value ("8", "B") is that value.
    """
    text = _bounded(raw)
    fields = extract_fields(text)
    reasoning = _reasoning(fields.values)
    value = _lookup(fields.values, aliases)
    if value is not None:
        result, adjusted = coerce(value)
        if result is None:
            return Parsed(None, ParseStatus.FAILED, raw, reasoning)
        adjusted = adjusted or isinstance(value, list | dict)  # ["B"] is an irregular form
        status = ParseStatus.REPAIRED if adjusted else fields.status
        return Parsed(result, status, raw, reasoning)
    if not fields.any_known:
        stripped = text.strip()
        result = None
        if accept_bare and 0 < len(stripped) <= _BARE_ANSWER_MAX_CHARS:
            result = coerce(stripped)[0]
        if result is None:
            result = read_prose(text)
        if result is not None:
            return Parsed(result, ParseStatus.REPAIRED, raw, reasoning)
    return Parsed(None, ParseStatus.FAILED, raw, reasoning)


# --- FLIP: the inferred instruction -------------------------------------------------------

# Small models often skip JSON and say so in prose: 'The instruction that most plausibly
# produced the response above is: "..."' or 'The instruction "..." is ...'. The quoted text
# (3+ characters) right after the word "instruction" is then the model's own answer.
_INSTRUCTION_OPENING = re.compile(r"\binstruction\b[^\"\u201c]{0,80}?[\"\u201c]", re.IGNORECASE)
_CLOSING_QUOTE = re.compile(r"[\"\u201d]")
_MIN_QUOTED_CHARS = 3


def _coerce_instruction(value: Any) -> tuple[str | None, bool]:
    text = _as_text(value)
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
        if canonical_key(quoted) not in _KNOWN_KEYS:
            return quoted
        position = closing.end()
    return None


def parse_reconstruction(raw: str) -> Parsed[str]:
    """The ``INFERRED INSTRUCTION`` of a FLIP output (JSON, a labelled line, or quoted prose).

    A bare short output is not taken as an instruction: only the quoted-prose rule reads prose.
    """
    return _parse_field(
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
    text = _as_text(value)
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
    return _parse_field(raw, SCORE_KEYS, _coerce_score, _score_in_prose)


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
    text = _as_text(value)
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


def parse_verdict(raw: str) -> Parsed[str]:
    """The ``BETTER_RESPONSE`` of a pairwise judgement: ``"A"`` or ``"B"``."""
    return _parse_field(raw, VERDICT_KEYS, _coerce_verdict, _verdict_in_prose)


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
            text = _as_text(value)
            numbers = _NUMBERS.findall(text)
            if len(numbers) != 1 or "." in numbers[0]:  # "1 or 2" and "1.5" are not indices
                return None, True
            number = _as_int(numbers[0])
            if number is None:
                return None, True
            value, adjusted = number, text != numbers[0]
        return (value, adjusted) if 0 <= value < num_candidates else (None, True)

    return coerce


def parse_index(raw: str, num_candidates: int) -> Parsed[int]:
    """The ``BEST_RESPONSE_INDEX`` of a listwise judgement, in ``range(num_candidates)``."""
    coerce = _index_coercion(num_candidates)

    def index_in_prose(text: str) -> int | None:
        match = _INDEX_IN_PROSE.search(text)
        return coerce(match.group(1))[0] if match else None

    return _parse_field(raw, INDEX_KEYS, coerce, index_in_prose)
