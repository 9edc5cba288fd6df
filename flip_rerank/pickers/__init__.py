"""The pickers ``flip rerank`` offers, by name: one registry that the CLI's choices, the
runner's output names and the store's verification all read.

Adding a picker is one class (a :class:`~flip_rerank.pickers.base.Reranker` that says whether
it uses a model, how it scores, and how its logged scores are re-derived) and one line here.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from flip_core.errors import FlipConfigError
from flip_rerank.pickers.base import PickerOptions, PromptScores, Reranker
from flip_rerank.pickers.model_free import LongestPicker, RandomPicker, ShortestPicker
from flip_rerank.pickers.model_pickers import (
    FlipLikelihoodReranker,
    FlipReranker,
    PointwiseJudgeReranker,
)

PICKERS: dict[str, type[Reranker]] = {
    picker.name: picker
    for picker in (
        FlipReranker,
        FlipLikelihoodReranker,
        PointwiseJudgeReranker,
        LongestPicker,
        ShortestPicker,
        RandomPicker,
    )
}
RERANK_METHODS = tuple(PICKERS)
MODEL_METHODS = tuple(name for name, picker in PICKERS.items() if picker.uses_model)


def picker_class(method: str) -> type[Reranker]:
    """The picker registered as ``method`` (a one-line error naming the choices otherwise)."""
    try:
        return PICKERS[method]
    except KeyError:
        raise FlipConfigError(
            f"unknown method {method!r}; choose one of {', '.join(RERANK_METHODS)}"
        ) from None


def make_reranker(method: str, **options: Any) -> Reranker:
    """A picker by name, configured by the :class:`PickerOptions` fields given as keywords."""
    known = {field.name for field in fields(PickerOptions)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(f"make_reranker: unknown option(s) {', '.join(unknown)}")
    return picker_class(method).create(PickerOptions(**options))


__all__ = [
    "MODEL_METHODS",
    "PICKERS",
    "RERANK_METHODS",
    "PickerOptions",
    "PromptScores",
    "Reranker",
    "make_reranker",
    "picker_class",
]
