"""Re-deriving a reranking row's candidate scores from what the row itself logged.

A ``flip rerank`` row carries, per candidate, the score its picker gave and, for model
pickers, the raw outputs behind it. Each picker re-derives its scores with the same code that
picked (:meth:`flip_rerank.pickers.base.Reranker.rederive_scores`: FLIP as the row's settings
configured it, the judge's ratings parsed again, the model-free pickers' own scores), and a row
whose scores do not follow refuses the whole run: a consistent forgery of scores would
otherwise reach the leaderboard. A picker whose scores only the model can recompute
(FLIP-likelihood's log-probabilities) is stored as *submitted, unverified*.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from flip_core.errors import FlipError, FlipInputError
from flip_rerank.inputs import RerankPrompt
from flip_rerank.pickers import picker_class

TOLERANCE = 1e-9


def verifiable(method: str) -> bool:
    """Whether the store can recompute the scores of ``method``'s rows without its model."""
    return picker_class(method).verifiable


def check_scores(
    row: dict[str, Any], prompt: RerankPrompt, settings: dict[str, Any], where: str
) -> None:
    """Raise a one-line :class:`FlipInputError` unless the row's scores follow from what it
    logged (a no-op for pickers that are not :func:`verifiable`)."""
    picker = picker_class(str(row["method"]))
    if not picker.verifiable:
        return
    logged = [candidate["score"] for candidate in row["candidates"]]
    try:
        derived = picker.rederive_scores(row, prompt, settings)
    except (FlipError, KeyError, TypeError, ValueError) as error:
        raise FlipInputError(f"{where}: its raw outputs cannot be re-scored ({error})") from None
    if not _same(logged, derived):
        raise FlipInputError(
            f"{where}: the candidate scores of prompt {prompt.id!r} do not follow from its "
            "logged raw outputs"
        )


def _same(logged: Sequence[Any], derived: Sequence[float | None]) -> bool:
    if len(logged) != len(derived):
        return False
    for a, b in zip(logged, derived, strict=True):
        if a is None or b is None:
            if a is not b:
                return False
            continue
        if isinstance(a, bool) or not isinstance(a, int | float) or not math.isfinite(a):
            return False
        if not abs(a - b) <= TOLERANCE:
            return False
    return True
