"""Re-deriving a reranking row's candidate scores from what the row itself logged.

A ``flip rerank`` row carries, per candidate, the score its picker gave and, for model
pickers, the raw outputs behind it. Whatever can be recomputed is recomputed with the same code
the pickers use, and a row whose scores do not follow refuses the whole run (a consistent
forgery of scores would otherwise reach the leaderboard):

- ``flip``: the FLIP method as the row's settings configured it (similarity, parse-failure
  policy, restatement guard) scores the logged raw outputs against the prompt's instruction;
- ``judge_pointwise``: the ratings parsed again from the raw outputs, their mean;
- ``longest``, ``shortest``, ``random``: the model-free pickers' own scores of the candidates
  (the random draw from its logged seed and the prompt id).

``flipll`` logs teacher-forced log-probabilities, which only the model can recompute: such a
run is stored as *submitted, unverified*, and shown so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from flip_core.errors import FlipError, FlipInputError
from flip_core.items import Item
from flip_core.methods import get_method
from flip_rerank.inputs import RerankPrompt, fit_to_budget
from flip_rerank.pickers import LengthPicker, RandomPicker

TOLERANCE = 1e-9
UNVERIFIABLE = frozenset({"flipll"})
"""Pickers whose scores only the model can recompute."""


def verifiable(method: str) -> bool:
    return method not in UNVERIFIABLE


def check_scores(
    row: dict[str, Any], prompt: RerankPrompt, settings: dict[str, Any], where: str
) -> None:
    """Raise a one-line :class:`FlipInputError` unless the row's scores follow from what it
    logged (a no-op for :data:`UNVERIFIABLE` pickers)."""
    method = str(row["method"])
    if not verifiable(method):
        return
    logged = [candidate["score"] for candidate in row["candidates"]]
    try:
        derived = _derived_scores(method, row, prompt, settings)
    except (FlipError, KeyError, TypeError, ValueError) as error:
        raise FlipInputError(f"{where}: its raw outputs cannot be re-scored ({error})") from None
    if not _same(logged, derived):
        raise FlipInputError(
            f"{where}: the candidate scores of prompt {prompt.id!r} do not follow from its "
            "logged raw outputs"
        )


def _derived_scores(
    method: str, row: dict[str, Any], prompt: RerankPrompt, settings: dict[str, Any]
) -> list[float | None]:
    if method in ("longest", "shortest"):
        (scored,) = LengthPicker(method).score([fit_to_budget(prompt, None, False)])
        return list(scored.scores)
    if method == "random":
        (scored,) = RandomPicker(int(settings.get("seed", 0))).score(
            [fit_to_budget(prompt, None, False)]
        )
        return list(scored.scores)
    samples = [candidate["samples"] for candidate in row["candidates"]]
    outputs = [[str(s["raw_output"]) for s in candidate] for candidate in samples]
    if method == "flip":
        fitted = fit_to_budget(prompt, settings.get("max_candidate_chars"), False)
        flip_settings = {
            "similarity": str(settings.get("similarity", "f1")),
            "on_parse_failure": str(settings.get("on_parse_failure", "raw_output")),
        }
        guard = settings.get("guard")
        flip = (
            get_method("flip_guarded", policy=str(guard), **flip_settings)
            if guard
            else get_method("flip", **flip_settings)
        )
        item = Item(prompt.id, prompt.instruction, tuple(fitted.shown))
        return list(flip.score(item, outputs).scores)
    if method == "judge_pointwise":
        judge = get_method("judge_pointwise")
        item = Item(prompt.id, prompt.instruction, tuple(prompt.candidates))
        return list(judge.score(item, outputs).scores)
    raise FlipInputError(f"unknown reranking method {method!r}")


def _mean(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("a candidate without samples")
    return sum(values) / len(values)


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
