"""Every JSON object in a model output, valid or repaired, in bounded time.

``json-repair`` is the exception: it is pure Python and superlinear on some shapes (measured
with json-repair 0.64: each bracket it holds open rescans all that follows, ``"{]x" * n`` takes
7 s at 4,096 characters and ``"{{{{{{{],{\u201d]" * n`` 10 s at 2,048). It therefore sees a
narrower window: the first :data:`REPAIR_WINDOW_CHARS` (4,096: 512 tokens at 8 characters each,
above the widest average of any committed output, 6.8), cut where the brackets it would hold
open cost more than 16 held across the whole window (:data:`REPAIR_MAX_OPEN_WORK`) or more than
32 are open at once, or before the 65th opening bracket or the 513th JSON delimiter (brackets
and quotes). An answer object holds one or two brackets open and a handful of quotes, and a
model writes it first, which the window keeps. The limits change none of the committed results
and 2 of 2,100 long outputs pieced together from them (up to 58 brackets and 198 delimiters in
4,096 characters), the two that hold 38 brackets open at once. What they leave costs about a
quarter of a second of CPU per call at worst (``benchmarks/parser_fuzz.py`` measures it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import json_repair

REPAIR_WINDOW_CHARS = 4096
"""Characters shown to json-repair at most: 512 tokens of 8 characters (module docstring)."""
REPAIR_MAX_OPEN_WORK = 16 * REPAIR_WINDOW_CHARS
"""Characters times brackets held open in json-repair's window (16 open across all of it)."""
REPAIR_MAX_DEPTH = 32
"""Brackets open at once in json-repair's window: its cost grows with the depth itself too."""
REPAIR_MAX_OPENINGS = 64
"""Opening brackets in json-repair's window, closed or not: some shapes rescan at each one."""
REPAIR_MAX_DELIMITERS = 512
"""Brackets and quotes in json-repair's window: its string scans restart at each quote."""

_MAX_OBJECT_STARTS = 64
_JSON_DECODER = json.JSONDecoder()
_BRACKETS = re.compile(r"[{}\[\]]")
_OPENING_OF = {"}": "{", "]": "["}
_OPENINGS = re.compile(r"[{\[]")
_DELIMITERS = re.compile(r"[{}\[\]\"'\u201c\u201d]")  # json-repair's string delimiters and brackets


def json_objects(text: str) -> list[dict[str, Any]]:
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


def _brackets_then_end(text: str) -> Iterator[tuple[int, str]]:
    """Each bracket of the text with its index, then ``(len(text), "")``."""
    for match in _BRACKETS.finditer(text):
        yield match.start(), match.group()
    yield len(text), ""


def _open_work_limit_start(text: str) -> int:
    """Where json-repair's work on brackets it holds open would pass the limits; else len(text).

    That work is the sum over brackets of the characters each stays open for: a bracket it
    holds open makes it rescan what follows (16 braces at the start of a 4,096-character window
    cost as much as REPAIR_MAX_OPEN_WORK). At most REPAIR_MAX_DEPTH may be open at once, as its
    cost grows with the depth itself too. A closing bracket closes the innermost open one only
    if it matches it: in ``"{]x" * n`` no brace closes, and json-repair rescans for each.
    """
    open_brackets: list[str] = []
    work = position = 0
    for index, bracket in _brackets_then_end(text):
        depth = len(open_brackets)
        if work + depth * (index - position) > REPAIR_MAX_OPEN_WORK:
            return position + (REPAIR_MAX_OPEN_WORK - work) // depth
        work, position = work + depth * (index - position), index
        if bracket in ("{", "["):
            if depth == REPAIR_MAX_DEPTH:
                return index
            open_brackets.append(bracket)
        elif open_brackets and open_brackets[-1] == _OPENING_OF.get(bracket):
            open_brackets.pop()
    return len(text)


def repair_window(text: str) -> str:
    """The head of the text that json-repair is shown, so that its superlinear cases stay cheap.

    See the module docstring: at most REPAIR_WINDOW_CHARS characters, cut where the work on
    brackets held open passes its limits, or before the opening bracket or delimiter past
    REPAIR_MAX_OPENINGS or REPAIR_MAX_DELIMITERS.
    """
    window = text[:REPAIR_WINDOW_CHARS]
    end = min(
        _open_work_limit_start(window),
        _nth_match_start(_OPENINGS, window, REPAIR_MAX_OPENINGS),
        _nth_match_start(_DELIMITERS, window, REPAIR_MAX_DELIMITERS),
    )
    return window[:end]


def repaired_json_objects(text: str) -> list[dict[str, Any]]:
    """Objects that ``json-repair`` recovers from broken JSON (one object, or several in prose)."""
    try:
        value = json_repair.loads(repair_window(text))
    except Exception:  # json-repair is best-effort; any failure just means "nothing recovered"
        return []
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []
