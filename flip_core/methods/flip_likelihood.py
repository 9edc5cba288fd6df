"""FLIP-likelihood (``flipll``, this project's extension of the paper; docs/method.md).

One call per candidate with FLIP's reconstruction prompt, plus a last call whose response is
empty; every call carries the same continuation, the original instruction. A candidate's score
is the summed log-probability of the instruction given its response (higher is better;
identical continuations make the sums comparable within an item). The reference call's
log-probability is kept for the PMI (:func:`flip_core.likelihood.pmi`). Calls follow the
source order of the candidates and never depend on the gold index.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flip_core.errors import FlipConfigError
from flip_core.items import Item
from flip_core.likelihood import LIKELIHOOD_METRICS, LogLikelihood, item_metrics, per_token_mean
from flip_core.methods.base import (
    Call,
    CallResult,
    ItemScores,
    Method,
    MethodFamily,
    OutputKind,
)
from flip_core.parsing import ParseStatus
from flip_core.prompts import FLIP_LIKELIHOOD, flip_likelihood_messages


class FlipLikelihoodMethod(Method):
    """FLIP-likelihood: the log-probability of the original instruction given each response."""

    name = "flipll"
    label = "FLIP-likelihood"
    family = MethodFamily.FLIP
    paper = False
    output_kind = OutputKind.LOGPROB
    template = FLIP_LIKELIHOOD
    request_type = "loglikelihood"
    extra_metrics = LIKELIHOOD_METRICS

    def calls(self, item: Item) -> list[Call]:
        candidates = [
            Call(flip_likelihood_messages(text), (i,), item.instruction)
            for i, text in enumerate(item.candidates)
        ]
        return [*candidates, Call(flip_likelihood_messages(""), (), item.instruction)]

    def score(self, item: Item, outputs: Sequence[Sequence[LogLikelihood]]) -> ItemScores:
        calls = self._check(item, outputs)
        scores: list[float | None] = []
        results = []
        for call, samples in zip(calls, outputs, strict=True):
            if len(samples) != 1:
                raise FlipConfigError(
                    f"flipll: item {item.id} has {len(samples)} outputs for one "
                    "loglikelihood request (teacher forcing is deterministic: expected 1)"
                )
            logprob = float(samples[0][0])
            if call.shown:
                scores.append(logprob)
            results.append(CallResult(call.shown, (logprob,), (ParseStatus.OK,)))
        return ItemScores(scores, results)

    @staticmethod
    def reference_logprob(scored: ItemScores) -> float:
        """The log-probability of the instruction after the empty response (the last call)."""
        return float(scored.calls[-1].values[0])

    def extra_item_metrics(
        self, item: Item, scored: ItemScores, outputs: Sequence[Sequence[Any]], sampled: bool
    ) -> dict[str, float]:
        return item_metrics(scored.scores, self.reference_logprob(scored), item.gold_index)  # type: ignore[arg-type]

    def per_token_metrics(self, metrics: dict[str, float], scored_units: int) -> dict[str, float]:
        """The chosen and rejected log-probabilities per scored token (the store knows the
        tokenizer; the harness does not)."""
        return {
            f"mean_logprob_per_token_{side}": per_token_mean(
                metrics[f"mean_logprob_{side}"], scored_units
            )
            for side in ("chosen", "rejected")
        }
