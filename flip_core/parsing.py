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
for the verdict. Parsers never raise on model text (a property test checks this).
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

_LABEL_FILLER = re.compile(
    r"^(?:here is|here's|the|my|final)\s+|\s+(?:is|was|would be)$", re.IGNORECASE
)
_LABELLED_LINE = re.compile(r"^[\s>*#`\-\"']*([A-Za-z][A-Za-z' _\-]{1,60}?)[\s*\"'`]*[:=]\s*(.*)$")
_HEADING_LINE = re.compile(
    r"^\s*(?:#{1,6}|\*\*|__)\s*([A-Za-z][A-Za-z' _\-]{1,60}?)\s*(?:\*\*|__)?\s*$"
)
_MAX_OBJECT_STARTS = 64
_JSON_DECODER = json.JSONDecoder()


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


def _repaired_json_objects(text: str) -> list[dict[str, Any]]:
    """Objects that ``json-repair`` recovers from broken JSON (one object, or several in prose)."""
    try:
        value = json_repair.loads(text)
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


def _labelled_lines(text: str) -> dict[str, str]:
    """Known fields written as ``Label: value`` lines or headings; the first of each wins.

    A label with nothing after it takes the next non-empty line, unless that line is itself a
    label (then the field is empty and skipped).
    """
    found: dict[str, str] = {}
    lines = text.splitlines()
    for number, line in enumerate(lines):
        labelled = _line_label(line)
        if labelled is None or labelled[0] is None or labelled[0] in found:
            continue
        key, value = labelled
        if not value:
            following = next((later for later in lines[number + 1 :] if later.strip()), "")
            labelled_following = _line_label(following)
            if labelled_following is None or labelled_following[0] is None:
                value = following.strip().strip("\"'`*").strip()
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


def extract_fields(raw: str) -> _Fields:
    """All fields in the output: valid JSON first, then repaired JSON, then labelled lines."""
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


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        return " ".join(_as_text(item) for item in value).strip()
    return json.dumps(value, ensure_ascii=False)


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
    fields = extract_fields(raw)
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
        stripped = raw.strip()
        result = None
        if accept_bare and 0 < len(stripped) <= _BARE_ANSWER_MAX_CHARS:
            result = coerce(stripped)[0]
        if result is None:
            result = read_prose(raw)
        if result is not None:
            return Parsed(result, ParseStatus.REPAIRED, raw, reasoning)
    return Parsed(None, ParseStatus.FAILED, raw, reasoning)


# --- FLIP: the inferred instruction -------------------------------------------------------

# Small models often skip JSON and say so in prose: 'The instruction that most plausibly
# produced the response above is: "..."' or 'The instruction "..." is ...'. The quoted text
# right after the word "instruction" is then the model's own answer.
_INSTRUCTION_IN_PROSE = re.compile(
    r"\binstruction\b[^\"\u201c]{0,80}?[\"\u201c]([^\"\u201d]{3,})[\"\u201d]", re.IGNORECASE
)


def _coerce_instruction(value: Any) -> tuple[str | None, bool]:
    text = _as_text(value)
    return (text, False) if text else (None, True)


def _quoted_instruction(raw: str) -> str | None:
    for match in _INSTRUCTION_IN_PROSE.finditer(raw):
        quoted = match.group(1).strip()
        if canonical_key(quoted) not in _KNOWN_KEYS:
            return quoted
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
_FRACTION = re.compile(_NUMBER + r"\s*(?:/|out of)\s*" + _NUMBER, re.IGNORECASE)
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


def _coerce_score(value: Any) -> tuple[float | None, bool]:
    if isinstance(value, bool):
        return None, True
    if isinstance(value, int | float):
        return _score_from_parts(float(value), None)
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
            value, adjusted = int(numbers[0]), text != numbers[0]
        return (value, adjusted) if 0 <= value < num_candidates else (None, True)

    return coerce


def parse_index(raw: str, num_candidates: int) -> Parsed[int]:
    """The ``BEST_RESPONSE_INDEX`` of a listwise judgement, in ``range(num_candidates)``."""
    coerce = _index_coercion(num_candidates)

    def index_in_prose(text: str) -> int | None:
        match = _INDEX_IN_PROSE.search(text)
        return coerce(match.group(1))[0] if match else None

    return _parse_field(raw, INDEX_KEYS, coerce, index_in_prose)
