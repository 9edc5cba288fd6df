"""The fields of a model output and the rule every parser shares.

An output's fields are found in valid JSON objects first, then in repaired JSON, then in
``Label: value`` lines and headings (:func:`extract_fields`); :func:`parse_field` applies the
package's two honesty rules (:mod:`flip_core.parsing`): a present but unusable field fails, and
prose is read only when the output holds no recognisable field at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar

from flip_core.parsing.json_objects import json_objects, repaired_json_objects

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
KNOWN_KEYS = frozenset(
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
"""Characters of an output that are parsed: 512 tokens of 128 characters (why: the
:mod:`flip_core.parsing` docstring)."""

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


@dataclass(frozen=True)
class _Fields:
    """Fields found in one output, keyed by canonical key, and how they were found."""

    values: dict[str, Any]
    status: ParseStatus

    @property
    def any_known(self) -> bool:
        """Whether the model wrote any field we recognise (then its prose is not searched)."""
        return any(key in KNOWN_KEYS for key in self.values)


def _label_key(label: str) -> str | None:
    """The known field a prose label names, or None (``Here is the inferred instruction``)."""
    key = canonical_key(_LABEL_FILLER.sub("", label.strip()))
    if key in KNOWN_KEYS:
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
    """The part of an output that is parsed: its first MAX_PARSED_CHARS characters."""
    return raw[:MAX_PARSED_CHARS]


def extract_fields(raw: str) -> _Fields:
    """All fields in the output: valid JSON first, then repaired JSON, then labelled lines."""
    raw = _bounded(raw)
    merged: dict[str, Any] = {}
    valid = json_objects(raw)
    for obj in valid:
        for key, value in _canonical_fields(obj).items():
            merged.setdefault(key, value)
    if valid:
        return _Fields(merged, ParseStatus.OK)
    for obj in repaired_json_objects(raw):
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


def as_text(value: Any) -> str:
    """A field value as text: strings stripped, lists joined, anything else as JSON.

    A value nested deeper than _MAX_VALUE_DEPTH is unusable and reads as ``""``.
    """
    if _nesting_depth(value, _MAX_VALUE_DEPTH) > _MAX_VALUE_DEPTH:
        return ""
    return _flatten(value)


def _reasoning(fields: dict[str, Any]) -> str | None:
    value = _lookup(fields, REASONING_KEYS)
    return as_text(value) if value is not None else None


Coercion = Callable[[Any], tuple[T | None, bool]]
"""Field value -> (value or None, whether it had to be adjusted)."""

_BARE_ANSWER_MAX_CHARS = 24


def parse_field(
    raw: str,
    aliases: tuple[str, ...],
    coerce: Coercion,
    read_prose: Callable[[str], T | None],
    accept_bare: bool = True,
    conclusions: Callable[[str], set[T | None]] | None = None,
) -> Parsed[T]:
    """The shared parsing rule (:mod:`flip_core.parsing`): field first, prose only without fields.

    ``accept_bare``: a short output that is nothing but a value ("8", "B") is that value.
    ``conclusions`` (the judges' named ``conclusion`` reading, :mod:`flip_core.parsing.answers`):
    where the field is absent and the rule above finds nothing, the values the text's
    conclusions state, one value when they all agree (None in the set: one was unusable).
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
    if conclusions is not None:
        stated = conclusions(text)
        if len(stated) == 1 and (concluded := stated.pop()) is not None:
            return Parsed(concluded, ParseStatus.REPAIRED, raw, reasoning)
    return Parsed(None, ParseStatus.FAILED, raw, reasoning)
