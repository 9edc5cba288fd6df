"""Result rows and the resumable JSON Lines output (one flushed line per finished prompt; a
torn last line is dropped on resume; rows written with other settings are refused)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flip_core.errors import FlipInputError
from flip_core.selection import pick_best, top_indices
from flip_rerank.inputs import FittedPrompt, RerankPrompt
from flip_rerank.pickers import PromptScores, Reranker


def result_row(fitted: FittedPrompt, scored: PromptScores | None, reranker: Reranker) -> dict:
    """The output row of one prompt: the pick, ties, and every candidate's score."""
    prompt = fitted.prompt
    candidates = []
    for i, text in enumerate(prompt.candidates):
        candidate: dict[str, Any] = {
            "index": i,
            "chars": len(text),
            "truncated_to": fitted.truncated.get(i),
            "reference_score": (
                None if prompt.reference_scores is None else prompt.reference_scores[i]
            ),
            "score": None if scored is None else scored.scores[i],
        }
        if scored is not None and scored.details:
            candidate.update(scored.details[i])
        candidates.append(candidate)
    row: dict[str, Any] = {
        "id": prompt.id,
        "domain": prompt.domain,
        "instruction": prompt.instruction,
        "method": reranker.name,
        "status": "refused" if scored is None else "ok",
        "refusal": fitted.refusal,
        "picked_index": None,
        "picked_response": None,
        "picked_reference_score": None,
        "top_indices": [],
        "tie": False,
        "truncated_candidates": len(fitted.truncated),
        "candidates": candidates,
        "input_fingerprint": prompt.fingerprint,
        "settings": reranker.settings,
    }
    if reranker.model_name is not None:
        row["model_name"] = reranker.model_name
    if scored is not None:
        top = top_indices(scored.scores)
        picked = pick_best(scored.scores, tie_break="first")
        row.update(
            picked_index=picked,
            picked_response=prompt.candidates[picked],
            picked_reference_score=(
                None if prompt.reference_scores is None else prompt.reference_scores[picked]
            ),
            top_indices=top,
            tie=len(top) > 1,
        )
    return row


# --------------------------------------------------------------------------- resumable output


def _row_line(row: dict[str, Any]) -> str:
    return json.dumps(row, ensure_ascii=False) + "\n"


@dataclass
class FinishedRows:
    """Rows already in an output file (by prompt id), and what was repaired on reading it."""

    rows: dict[str, dict[str, Any]]
    dropped_line: int | None = None


def read_finished(
    path: str | Path,
    settings: dict[str, Any],
    prompts: Sequence[RerankPrompt] = (),
) -> FinishedRows:
    """The rows already in ``path``; repairs the file after a kill.

    A last line that is not complete JSON (a kill while writing it) is cut off the file and
    reported in ``dropped_line``. Any other bad line, a row written with other settings, or a
    row whose prompt is not (or no longer the same) in ``prompts`` is an error that names the
    file and line: nothing is mixed.
    """
    path = Path(path)
    if not path.exists():
        return FinishedRows({})
    if path.is_dir():
        raise FlipInputError(f"cannot write {path}: it is a folder")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise FlipInputError(f"cannot read {path}: {error.strerror or error}") from None
    known = {prompt.id: prompt for prompt in prompts}
    rows: dict[str, dict[str, Any]] = {}
    lines = data.splitlines(keepends=True)
    offset = 0
    for number, raw in enumerate(lines, start=1):
        start, offset = offset, offset + len(raw)
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except ValueError:
            row = None
        if not isinstance(row, dict):
            if number == len(lines) and row is None:
                _truncate(path, start)
                return FinishedRows(rows, dropped_line=number)
            raise FlipInputError(f"{path}:{number}: not a rerank result row")
        _check_row(path, number, row, settings, known)
        rows[row["id"]] = row
    if data and not data.endswith(b"\n"):  # a complete row whose newline was lost
        with path.open("ab") as handle:
            handle.write(b"\n")
    return FinishedRows(rows)


def _truncate(path: Path, size: int) -> None:
    with path.open("r+b") as handle:
        handle.truncate(size)


def _check_row(
    path: Path,
    number: int,
    row: dict[str, Any],
    settings: dict[str, Any],
    known: dict[str, RerankPrompt],
) -> None:
    where = f"{path}:{number}"
    if not isinstance(row.get("id"), str) or "settings" not in row:
        raise FlipInputError(f"{where}: not a rerank result row (no 'id' or 'settings')")
    if row["settings"] != settings:
        old = row["settings"] if isinstance(row["settings"], dict) else {}
        key = next(
            (k for k in sorted(set(old) | set(settings)) if old.get(k) != settings.get(k)),
            "settings",
        )
        raise FlipInputError(
            f"{where}: written with other settings ({key}: {old.get(key)!r}, now "
            f"{settings.get(key)!r}); choose another --output to keep both"
        )
    if known:
        prompt = known.get(row["id"])
        if prompt is None:
            raise FlipInputError(f"{where}: prompt {row['id']!r} is not in the input")
        if row.get("input_fingerprint") != prompt.fingerprint:
            raise FlipInputError(
                f"{where}: prompt {row['id']!r} differs from the input's (line {prompt.line}); "
                "choose another --output"
            )


class RowWriter:
    """Appends rows as JSON lines, flushed and synced one by one (a kill loses no whole row)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("a", encoding="utf-8")
        except OSError as error:
            raise FlipInputError(f"cannot write {self.path}: {error.strerror or error}") from None

    def write(self, row: dict[str, Any]) -> None:
        self._handle.write(_row_line(row))
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> RowWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
