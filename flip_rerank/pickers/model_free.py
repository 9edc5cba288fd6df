"""Pickers that ask no model: always-longest, always-shortest and a seeded random draw.

They are the reference points a model reranker must beat; their scores are recomputed from the
prompt alone, so a stored run of one is always verified.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, ClassVar

from flip_rerank.inputs import FittedPrompt, RerankPrompt, fit_to_budget
from flip_rerank.pickers.base import PickerOptions, PromptScores, Reranker


class _ModelFreePicker(Reranker):
    """Scores the whole candidates (no context budget); re-derivation is scoring again."""

    @classmethod
    def rederive_scores(
        cls, row: dict[str, Any], prompt: RerankPrompt, settings: dict[str, Any]
    ) -> list[float | None]:
        picker = cls.create(PickerOptions(seed=int(settings.get("seed", 0))))
        (scored,) = picker.score([fit_to_budget(prompt, None, False)])
        return list(scored.scores)


class _LengthPicker(_ModelFreePicker):
    """The score is the character length, signed so that the preferred length ranks first."""

    sign: ClassVar[float]

    @classmethod
    def create(cls, options: PickerOptions) -> Reranker:
        return cls()

    def score(self, batch: Sequence[FittedPrompt]) -> list[PromptScores]:
        return [
            PromptScores([self.sign * len(text) for text in fitted.prompt.candidates], [])
            for fitted in batch
        ]


class LongestPicker(_LengthPicker):
    """``longest``: the longest candidate (the length bias a reranker must beat)."""

    name = "longest"
    store_model_name = "model-free: always the longest"
    sign = 1.0


class ShortestPicker(_LengthPicker):
    """``shortest``: the shortest candidate."""

    name = "shortest"
    store_model_name = "model-free: always the shortest"
    sign = -1.0


class RandomPicker(_ModelFreePicker):
    """``random``: one uniform draw per candidate, seeded by ``(seed, prompt id)``, so that a
    pick depends neither on batching nor on resuming."""

    name = "random"
    store_model_name = "model-free: random pick (seeded draw)"

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    @classmethod
    def create(cls, options: PickerOptions) -> Reranker:
        return cls(0 if options.seed is None else options.seed)

    @property
    def settings(self) -> dict[str, Any]:
        return {"method": self.name, "seed": self.seed}

    def score(self, batch: Sequence[FittedPrompt]) -> list[PromptScores]:
        results = []
        for fitted in batch:
            rng = random.Random(f"{self.seed}:{fitted.prompt.id}")
            results.append(PromptScores([rng.random() for _ in fitted.prompt.candidates], []))
        return results
