"""FLIP: reconstruct the instruction behind each candidate; reward = similarity to the real one.

One call per candidate with the reconstruction prompt (the instruction is never shown); a
candidate's score is the mean reward of its samples. The reward is word-level F1 by default
(``similarity``) and a reconstruction without a findable instruction is scored on the whole raw
output (``on_parse_failure``), both as the paper's authors do (docs/method.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import mean
from typing import Any

from flip_core.items import Item
from flip_core.methods.base import (
    Call,
    CallResult,
    ItemScores,
    Method,
    MethodFamily,
    OutputKind,
    chosen_and_rejected_mean,
)
from flip_core.prompts import FLIP_RECONSTRUCTION, flip_messages
from flip_core.reconstruction import (
    OnParseFailure,
    Reconstruction,
    score_reconstruction,
)
from flip_core.reconstruction import on_parse_failure as parse_failure_policy
from flip_core.sampled import SAMPLED_METRICS, sampled_metrics
from flip_core.similarity import get_similarity

DEFAULT_SIMILARITY = "f1"
"""The paper's reward: SQuAD-style word-level F1."""


class FlipMethod(Method):
    """FLIP: reconstruct the instruction behind each candidate; reward = mean similarity."""

    name = "flip"
    label = "FLIP"
    family = MethodFamily.FLIP
    output_kind = OutputKind.RECONSTRUCTION
    template = FLIP_RECONSTRUCTION
    extra_metrics = ("mean_reward_chosen", "mean_reward_rejected")
    supports_sampling = True
    SETTINGS = frozenset({"similarity", "on_parse_failure"})

    def __init__(
        self,
        similarity: str = DEFAULT_SIMILARITY,
        on_parse_failure: str | OnParseFailure = OnParseFailure.RAW_OUTPUT,
    ) -> None:
        self.similarity_name = similarity
        self.similarity = get_similarity(similarity)
        self.failure_policy = (
            on_parse_failure
            if isinstance(on_parse_failure, OnParseFailure)
            else parse_failure_policy(on_parse_failure)
        )

    @property
    def settings(self) -> dict[str, Any]:
        return {"similarity": self.similarity_name, "on_parse_failure": self.failure_policy.value}

    def calls(self, item: Item) -> list[Call]:
        return [Call(flip_messages(text), (i,)) for i, text in enumerate(item.candidates)]

    def score(self, item: Item, outputs: Sequence[Sequence[str]]) -> ItemScores:
        calls = self._check(item, outputs)
        scores: list[float | None] = []
        results = []
        for call, reconstructions in zip(calls, self.reconstructions(item, outputs), strict=True):
            scores.append(mean(r.reward for r in reconstructions))
            results.append(
                CallResult(
                    call.shown,
                    tuple(r.inferred_instruction for r in reconstructions),
                    tuple(r.parse_status for r in reconstructions),
                )
            )
        return ItemScores(scores, results)

    def reconstructions(
        self, item: Item, outputs: Sequence[Sequence[str]]
    ) -> list[list[Reconstruction]]:
        """Every sample of every call, parsed and rewarded against the instruction."""
        return [
            [
                score_reconstruction(raw, item.instruction, self.similarity, self.failure_policy)
                for raw in samples
            ]
            for samples in outputs
        ]

    @classmethod
    def metric_names(cls, sampled: bool = False) -> tuple[str, ...]:
        return super().metric_names() + (SAMPLED_METRICS if sampled else ())

    def extra_item_metrics(
        self, item: Item, scored: ItemScores, outputs: Sequence[Sequence[Any]], sampled: bool
    ) -> dict[str, float]:
        chosen, rejected = chosen_and_rejected_mean(scored.scores, item.gold_index)  # type: ignore[arg-type]
        metrics = {"mean_reward_chosen": chosen, "mean_reward_rejected": rejected}
        if sampled:
            rewards = [[r.reward for r in call] for call in self.reconstructions(item, outputs)]
            metrics |= sampled_metrics(rewards, item.gold_index)  # type: ignore[arg-type]
        return metrics
