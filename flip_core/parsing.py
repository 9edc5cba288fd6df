"""Turn what a (small) model really writes into values, with an honest status.

Small models wrap JSON in code fences or chatter, use single quotes, leave trailing commas,
stop before the closing brace (token limit), misspell keys ("Inferred_Instruction") or skip
JSON altogether ("Score: 8/10"). Every parser here returns the value, a :class:`ParseStatus`
and the raw text, so that the store can recount parse failures and re-parse raw outputs later:

- ``ok``: a syntactically valid JSON object held the field (fences or prose around it allowed);
- ``repaired``: the value was recovered by JSON repair (``json-repair``), from a labelled line
  such as ``Score: 8``, or coerced from an irregular form (``"8/10"``, ``"Response B"``);
- ``failed``: no usable value; ``value`` is ``None``.

Parsers never raise on model text (a property test checks this).
"""

from __future__ import annotations

import json
import re
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
    """Key spelling variants collapse to one form: ``Inferred_Instruction`` -> ``inferredinstruction``."""
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

_FENCED_BLOCK = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)
_LABEL_FILLER = re.compile(r"^(?:the|my|final)\s+|\s+(?:is|was|would be)$", re.IGNORECASE)
_LABELLED_LINE = re.compile(r"^[\s>*#`\-\"']*([A-Za-z][A-Za-z _\-]{1,40}?)[\s*\"'`]*[:=]\s*(.*)$")


@dataclass(frozen=True)
class _Fields:
    """Fields found in one output, keyed by canonical key, and how they were found."""

    values: dict[str, Any]
    status: ParseStatus


def _strict_json_object(text: str) -> dict[str, Any] | None:
    """The first valid JSON object in the text: whole text, a fenced block, or a ``{...}`` span."""
    stripped = text.strip()
    candidates = [stripped, *(m.group(1).strip() for m in _FENCED_BLOCK.finditer(text))]
    start, end = stripped.find("{"), stripped.rfind("}")
    if 0 <= start < end:
        candidates.append(stripped[start : end + 1])
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except (ValueError, RecursionError):
            continue
        if isinstance(value, dict):
            return value
    return None


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


def _labelled_lines(text: str) -> dict[str, str]:
    """``Label: value`` lines of plain prose, first occurrence of each label wins.

    A label with nothing after the colon takes the next non-empty line as its value.
    """
    found: dict[str, str] = {}
    lines = text.splitlines()
    for number, line in enumerate(lines):
        match = _LABELLED_LINE.match(line)
        if not match:
            continue
        key = canonical_key(_LABEL_FILLER.sub("", match.group(1).strip()))
        value = match.group(2).strip().strip("\"'`*").strip()
        if not value:
            value = next((later.strip() for later in lines[number + 1 :] if later.strip()), "")
        if key and value and key not in found:
            found[key] = value.strip("\"'`*").strip()
    return found


def _canonical_fields(obj: dict[str, Any]) -> dict[str, Any]:
    return {canonical_key(str(key)): value for key, value in obj.items()}


def extract_fields(raw: str) -> _Fields:
    """All fields in the output: strict JSON first, then repaired JSON, then labelled lines."""
    strict = _strict_json_object(raw)
    if strict is not None:
        return _Fields(_canonical_fields(strict), ParseStatus.OK)
    merged: dict[str, Any] = {}
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


def _worse(status: ParseStatus, repaired: bool) -> ParseStatus:
    return ParseStatus.REPAIRED if repaired and status is ParseStatus.OK else status


# --- FLIP: the inferred instruction -------------------------------------------------------


# Small models often skip JSON and say so in prose: 'The instruction that most plausibly
# produced the response above is: "..."' or 'The instruction "..." is ...'. The quoted text
# right after the word "instruction" is then the model's own answer.
_INSTRUCTION_IN_PROSE = re.compile(
    r"\binstruction\b[^\"\u201c]{0,80}?[\"\u201c]([^\"\u201d]{3,})[\"\u201d]", re.IGNORECASE
)
_KNOWN_KEYS = {*REASONING_KEYS, *INSTRUCTION_KEYS, *SCORE_KEYS, *VERDICT_KEYS, *INDEX_KEYS}


def _quoted_instruction(raw: str) -> str | None:
    for match in _INSTRUCTION_IN_PROSE.finditer(raw):
        quoted = match.group(1).strip()
        if canonical_key(quoted) not in _KNOWN_KEYS:
            return quoted
    return None


def parse_reconstruction(raw: str) -> Parsed[str]:
    """The ``INFERRED INSTRUCTION`` of a FLIP output (JSON, a labelled line, or quoted prose)."""
    fields = extract_fields(raw)
    reasoning = _reasoning(fields.values)
    value = _lookup(fields.values, INSTRUCTION_KEYS)
    text = _as_text(value) if value is not None else ""
    if text:
        return Parsed(text, fields.status, raw, reasoning)
    if quoted := _quoted_instruction(raw):
        return Parsed(quoted, ParseStatus.REPAIRED, raw, reasoning)
    return Parsed(None, ParseStatus.FAILED, raw, reasoning)


# --- pointwise judge: a 1-10 score --------------------------------------------------------

SCORE_MIN, SCORE_MAX = 1.0, 10.0
_NUMBER = r"(-?\d+(?:\.\d+)?)"
_FRACTION = re.compile(_NUMBER + r"\s*(?:/|out of)\s*" + _NUMBER, re.IGNORECASE)
_LEADING_NUMBER = re.compile(r"^\s*" + _NUMBER)
_SCORE_IN_PROSE = re.compile(
    r"\b(?:score|rating)\b[^0-9]{0,20}?(\d+(?:\.\d+)?)(?:\s*(?:/|out of)\s*(\d+(?:\.\d+)?))?",
    re.IGNORECASE,
)


def _score_from_parts(number: float, denominator: float | None) -> tuple[float | None, bool]:
    """Put a score on the 1-10 scale. Returns (score or None, whether it had to be adjusted).

    An explicit denominator other than 10 (``4/5``, ``80 out of 100``) is rescaled to 10.
    Values just outside the scale (0, 10.5) are clamped. A value above 10 with no denominator
    is ambiguous (out of 100? a typo?) and fails rather than being guessed.
    """
    adjusted = False
    if denominator is not None and denominator > 0 and denominator != SCORE_MAX:
        number = number / denominator * SCORE_MAX
        adjusted = True
    if number < 0 or (denominator is None and number > SCORE_MAX + 1):
        return None, True
    if not SCORE_MIN <= number <= SCORE_MAX:
        number = min(SCORE_MAX, max(SCORE_MIN, number))
        adjusted = True
    return number, adjusted


def _coerce_score(value: Any) -> tuple[float | None, bool]:
    if isinstance(value, bool):
        return None, True
    if isinstance(value, int | float):
        return _score_from_parts(float(value), None)
    text = _as_text(value)
    if match := _FRACTION.search(text):
        score, _ = _score_from_parts(float(match.group(1)), float(match.group(2)))
        return score, True
    if match := _LEADING_NUMBER.match(text):
        score, adjusted = _score_from_parts(float(match.group(1)), None)
        return score, adjusted or match.group(0).strip() != text
    return None, True


def parse_score(raw: str) -> Parsed[float]:
    """The 1-10 ``SCORE`` of a pointwise judgement, from JSON, ``Score: 8`` or ``8/10`` prose."""
    fields = extract_fields(raw)
    reasoning = _reasoning(fields.values)
    value = _lookup(fields.values, SCORE_KEYS)
    if value is not None:
        score, adjusted = _coerce_score(value)
        if score is not None:
            return Parsed(score, _worse(fields.status, adjusted), raw, reasoning)
    if match := _SCORE_IN_PROSE.search(raw) or _FRACTION.search(raw):
        denominator = float(match.group(2)) if match.group(2) else None
        score, _ = _score_from_parts(float(match.group(1)), denominator)
        if score is not None:
            return Parsed(score, ParseStatus.REPAIRED, raw, reasoning)
    return Parsed(None, ParseStatus.FAILED, raw, reasoning)


# --- pairwise judge: "A" or "B" -----------------------------------------------------------

_VERDICT_WORDS = re.compile(r"\b(?:response|output|answer|assistant|option)\b", re.IGNORECASE)
_VERDICT_IN_PROSE = re.compile(
    r"(?:better[ _]response|\[\[)\W{0,6}(?:is\W{0,3})?(?:response\s*)?\(?([AB])\b(?!\w)",
    re.IGNORECASE,
)


def _coerce_verdict(value: Any) -> tuple[str | None, bool]:
    text = _as_text(value)
    letters = re.sub(r"[^A-Za-z]", "", _VERDICT_WORDS.sub("", text)).upper()
    if letters in {"A", "B"}:
        return letters, text != letters
    return None, True


def parse_verdict(raw: str) -> Parsed[str]:
    """The ``BETTER_RESPONSE`` of a pairwise judgement: ``"A"`` or ``"B"``."""
    fields = extract_fields(raw)
    reasoning = _reasoning(fields.values)
    value = _lookup(fields.values, VERDICT_KEYS)
    if value is not None:
        verdict, adjusted = _coerce_verdict(value)
        if verdict is not None:
            return Parsed(verdict, _worse(fields.status, adjusted), raw, reasoning)
    if match := _VERDICT_IN_PROSE.search(raw):
        return Parsed(match.group(1).upper(), ParseStatus.REPAIRED, raw, reasoning)
    return Parsed(None, ParseStatus.FAILED, raw, reasoning)


# --- listwise judge: an index -------------------------------------------------------------

_INDEX_IN_PROSE = re.compile(
    r"best[ _]response(?:[ _]index)?\W{0,6}(?:is\W{0,3})?(?:response\s*)?(\d+)", re.IGNORECASE
)


def _coerce_index(value: Any, num_candidates: int) -> tuple[int | None, bool]:
    if isinstance(value, bool):
        return None, True
    adjusted = False
    if isinstance(value, float) and value.is_integer():
        value, adjusted = int(value), True
    if not isinstance(value, int):
        match = re.search(r"-?\d+", _as_text(value))
        if not match:
            return None, True
        value, adjusted = int(match.group(0)), True
    if 0 <= value < num_candidates:
        return value, adjusted
    return None, True


def parse_index(raw: str, num_candidates: int) -> Parsed[int]:
    """The ``BEST_RESPONSE_INDEX`` of a listwise judgement, in ``range(num_candidates)``."""
    fields = extract_fields(raw)
    reasoning = _reasoning(fields.values)
    value = _lookup(fields.values, INDEX_KEYS)
    if value is not None:
        index, adjusted = _coerce_index(value, num_candidates)
        if index is not None:
            return Parsed(index, _worse(fields.status, adjusted), raw, reasoning)
    if match := _INDEX_IN_PROSE.search(raw):
        index, _ = _coerce_index(int(match.group(1)), num_candidates)
        if index is not None:
            return Parsed(index, ParseStatus.REPAIRED, raw, reasoning)
    return Parsed(None, ParseStatus.FAILED, raw, reasoning)
