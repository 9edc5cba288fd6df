"""FLIP and FLIP-likelihood behind a restatement guard (``flip_guarded``, ``flipll_guarded``).

A response that restates its instruction hands FLIP the answer (docs/method.md, "Guarded
variants"): the guard of :mod:`flip_core.restatement` measures, per candidate, how much of the
instruction the response repeats and acts on it before the model is asked (``strip``: cut the
restated spans; ``zero``: score the response as if it were empty) or after (``penalise``: scale
the reward toward the floor of its scale: 0 for F1, the empty-response reference for
FLIP-likelihood's log-probability, so the PMI shrinks). The guard sees only the instruction
and the candidate, never the gold label, so the methods stay label-blind; its decision is
recorded per call (:meth:`call_annotations`) for the store and Inspect.

These are the only implementations of the guard: the harness tasks, :class:`FlipScorer` (and
through it the TRL reward function and ``flip rerank``'s FLIP picker) and ``flip rerank``'s
FLIP-likelihood picker all build these methods.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from flip_core.errors import FlipConfigError
from flip_core.items import Item
from flip_core.methods.base import Call, ItemScores
from flip_core.methods.flip import FlipMethod
from flip_core.methods.flip_likelihood import FlipLikelihoodMethod
from flip_core.prompts import flip_likelihood_messages, flip_messages
from flip_core.restatement import (
    PENALISE,
    POLICIES,
    ZERO,
    GuardDecision,
    guard,
    penalised_reward,
)

GUARD_POLICY = ZERO
"""The policy of the guarded variants: ``zero`` at 90% of the instruction restated. Measured on
the 134 LLMBar Neighbor pairs with SmolLM2-135M (``benchmarks/guard_policies.py``; docs/method.md,
"Guarded variants", has every number): it is the only policy that keeps clean accuracy within a
point of the unguarded method (FLIP -0.7, FLIP-likelihood -0.7 points; ``strip`` and ``penalise``
cost 2.2 and 3.0, because at half the instruction they act on 6% of clean candidates), it
removes the ``hack_restate`` drop entirely (FLIP 20.1 points, FLIP-likelihood 69.4), and in a
GRPO group it ranks the plain completion above its echoed twin (``strip`` only ties them:
``examples/grpo_flip.py --check-echo``). Its cost: a restatement of less than 90% of the
instruction is not acted on (``penalise`` ramps from 50%)."""


class _Guarded:
    """The guard's share of a guarded method: a policy and one decision per candidate."""

    policy: str
    SETTINGS: ClassVar[frozenset[str]]
    """The settings :meth:`Method.from_settings` accepts (the method's own, and ``policy``)."""
    GUARD_METRICS: ClassVar[tuple[str, ...]] = ("guard_rate",)
    """Per item: the share of its candidates the guard acted on."""

    def guard_rate(self, item: Item) -> float:
        decisions = self.decisions(item)
        return sum(d.applied for d in decisions) / len(decisions)

    def _set_policy(self, policy: str) -> None:
        if policy not in POLICIES:
            raise FlipConfigError(f"unknown guard policy {policy!r}; choose one of {POLICIES}")
        self.policy = policy

    def decisions(self, item: Item) -> list[GuardDecision]:
        """The guard's decision on every candidate (deterministic: the store recomputes it)."""
        return [guard(item.instruction, text, self.policy) for text in item.candidates]

    def shown_text(self, decision: GuardDecision, text: str) -> str:
        """What the model is shown for a candidate: the guarded text, except under
        ``penalise``, which acts on the reward instead."""
        return text if self.policy == PENALISE else decision.guarded_text

    def shown_texts(self, item: Item) -> list[str]:
        """:meth:`shown_text` of every candidate, in order."""
        return [
            self.shown_text(decision, text)
            for decision, text in zip(self.decisions(item), item.candidates, strict=True)
        ]

    def penalised(self, item: Item, scored: ItemScores, floor: float = 0.0) -> ItemScores:
        """Under ``penalise``, each candidate's score scaled toward ``floor`` by its decision
        (:func:`flip_core.restatement.penalised_reward`); the scores as they are otherwise."""
        if self.policy != PENALISE:
            return scored
        return ItemScores(
            [
                None if score is None else penalised_reward(score, decision, floor)
                for score, decision in zip(scored.scores, self.decisions(item), strict=True)
            ],
            scored.calls,
        )

    def extra_item_metrics(
        self, item: Item, scored: ItemScores, outputs: Sequence[Sequence[Any]], sampled: bool
    ) -> dict[str, float]:
        inherited = super().extra_item_metrics(item, scored, outputs, sampled)  # type: ignore[misc]
        return inherited | {"guard_rate": self.guard_rate(item)}


class GuardedFlip(_Guarded, FlipMethod):
    """FLIP with the restatement guard."""

    name = "flip_guarded"
    label = "FLIP + restatement guard"
    paper = False
    supports_sampling = True
    extra_metrics = FlipMethod.extra_metrics + _Guarded.GUARD_METRICS

    SETTINGS = FlipMethod.SETTINGS | {"policy"}

    def __init__(self, policy: str = GUARD_POLICY, **flip_settings: Any) -> None:
        super().__init__(**flip_settings)
        self._set_policy(policy)

    @property
    def settings(self) -> dict[str, Any]:
        return {**super().settings, "policy": self.policy}

    def calls(self, item: Item) -> list[Call]:
        return [Call(flip_messages(text), (i,)) for i, text in enumerate(self.shown_texts(item))]

    def score(self, item: Item, outputs: Sequence[Sequence[str]]) -> ItemScores:
        return self.penalised(item, super().score(item, outputs))

    def call_annotations(self, item: Item) -> list[dict[str, Any] | None]:
        return [decision.to_dict() for decision in self.decisions(item)]


class GuardedFlipLikelihood(_Guarded, FlipLikelihoodMethod):
    """FLIP-likelihood with the restatement guard (the empty-response reference call is
    unguarded: it shows no response)."""

    name = "flipll_guarded"
    label = "FLIP-likelihood + restatement guard"
    extra_metrics = FlipLikelihoodMethod.extra_metrics + _Guarded.GUARD_METRICS

    SETTINGS = FlipLikelihoodMethod.SETTINGS | {"policy"}

    def __init__(self, policy: str = GUARD_POLICY) -> None:
        self._set_policy(policy)

    @property
    def settings(self) -> dict[str, Any]:
        return {"policy": self.policy}

    def calls(self, item: Item) -> list[Call]:
        candidates = [
            Call(flip_likelihood_messages(text), (i,), item.instruction)
            for i, text in enumerate(self.shown_texts(item))
        ]
        return [*candidates, Call(flip_likelihood_messages(""), (), item.instruction)]

    def score(self, item: Item, outputs: Sequence[Sequence[Any]]) -> ItemScores:
        scored = super().score(item, outputs)
        return self.penalised(item, scored, floor=self.reference_logprob(scored))

    def call_annotations(self, item: Item) -> list[dict[str, Any] | None]:
        return [decision.to_dict() for decision in self.decisions(item)] + [None]
