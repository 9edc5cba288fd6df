"""The scoring methods as label-blind protocols: which calls to make, and how to score.

Each method turns an item into model calls (a conversation plus which candidates it shows, in
the order shown), then turns the raw outputs of those calls into one score per candidate. The
harness tasks, the results store (which re-scores logged raw outputs) and the reranker all use
these same two functions, so a score is computed one way only.

Label-blindness: the gold index is never used to build a call. FLIP and the pointwise judge
see one candidate per call; the pairwise judge sees every ordered pair (both orders, so
position bias cancels) and a candidate's score is its number of wins; the listwise judge sees
all candidates in an order shuffled by a seed and the item id, and its answer is mapped back.
FLIP-likelihood (this project's extension, :mod:`flip_core.likelihood`) sees one candidate per
call and makes one reference call with an empty response; every call scores the same
continuation, the original instruction.

Generative methods read raw text outputs (``request_type = "generate_until"``);
FLIP-likelihood reads (log-probability, is_greedy) pairs of teacher-forced continuations
(``request_type = "loglikelihood"``).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import permutations
from statistics import mean
from typing import Any

from flip_core.errors import FlipConfigError
from flip_core.items import Item
from flip_core.likelihood import LogLikelihood
from flip_core.parsing import Parsed, ParseStatus, parse_index, parse_score, parse_verdict
from flip_core.prompts import (
    FLIP_LIKELIHOOD,
    FLIP_RECONSTRUCTION,
    JUDGE_LISTWISE,
    JUDGE_PAIRWISE,
    JUDGE_POINTWISE,
    Conversation,
    PromptTemplate,
    flip_likelihood_messages,
    flip_messages,
    listwise_messages,
    pairwise_messages,
    pointwise_messages,
)
from flip_core.reconstruction import OnParseFailure, Reconstruction, score_reconstruction
from flip_core.similarity import Similarity, f1_similarity

Score = float | None


@dataclass(frozen=True)
class Call:
    """One model call: the conversation, and the candidate indices it shows, in shown order.

    ``continuation``: for likelihood methods, the text whose log-probability is asked for as
    the model's whole answer (None for generative methods). A call may show no candidate
    (FLIP-likelihood's empty-response reference).
    """

    conversation: Conversation
    shown: tuple[int, ...]
    continuation: str | None = None


@dataclass(frozen=True)
class CallResult:
    """What one call's output(s) meant: the parsed value per sample and its parse status."""

    shown: tuple[int, ...]
    values: tuple[Any, ...]
    statuses: tuple[ParseStatus, ...]

    @classmethod
    def of(cls, shown: tuple[int, ...], parsed: Sequence[Parsed[Any]]) -> CallResult:
        """The result of a call from the parsed outputs of its samples."""
        return cls(shown, tuple(p.value for p in parsed), tuple(p.status for p in parsed))

    @property
    def failed(self) -> bool:
        """A call fails when none of its samples parsed."""
        return all(status is ParseStatus.FAILED for status in self.statuses)


@dataclass(frozen=True)
class ItemScores:
    """Per-candidate scores (source order) and the per-call details behind them."""

    scores: list[Score]
    calls: list[CallResult] = field(default_factory=list)

    @property
    def parse_fail_rate(self) -> float:
        if not self.calls:
            return 0.0
        return sum(call.failed for call in self.calls) / len(self.calls)


class Method:
    """A scoring method: ``calls(item)`` to ask, ``score(item, outputs)`` to read the answers.

    ``outputs[k]`` holds the sampled raw outputs of ``calls(item)[k]`` (one per sample): text
    for ``request_type == "generate_until"``, (log-probability, is_greedy) pairs for
    ``"loglikelihood"``.
    """

    name: str
    template: PromptTemplate
    request_type: str = "generate_until"

    def calls(self, item: Item) -> list[Call]:
        raise NotImplementedError

    def score(self, item: Item, outputs: Sequence[Sequence[str]]) -> ItemScores:
        raise NotImplementedError

    def _check(self, item: Item, outputs: Sequence[Sequence[str]]) -> list[Call]:
        calls = self.calls(item)
        if len(outputs) != len(calls):
            raise FlipConfigError(
                f"{self.name}: item {item.id} needs {len(calls)} outputs, got {len(outputs)}"
            )
        if any(len(samples) == 0 for samples in outputs):
            raise FlipConfigError(f"{self.name}: item {item.id} has a call without output")
        return calls


class FlipMethod(Method):
    """FLIP: reconstruct the instruction behind each candidate; reward = mean similarity."""

    name = "flip"
    template = FLIP_RECONSTRUCTION

    def __init__(
        self,
        similarity: Similarity = f1_similarity,
        failure_policy: OnParseFailure = OnParseFailure.RAW_OUTPUT,
    ) -> None:
        self.similarity = similarity
        self.failure_policy = failure_policy

    def calls(self, item: Item) -> list[Call]:
        return [Call(flip_messages(text), (i,)) for i, text in enumerate(item.candidates)]

    def score(self, item: Item, outputs: Sequence[Sequence[str]]) -> ItemScores:
        calls = self._check(item, outputs)
        scores: list[Score] = []
        results = []
        for call, reconstructions in zip(calls, self._reconstructions(item, outputs), strict=True):
            scores.append(mean(r.reward for r in reconstructions))
            results.append(
                CallResult(
                    call.shown,
                    tuple(r.inferred_instruction for r in reconstructions),
                    tuple(r.parse_status for r in reconstructions),
                )
            )
        return ItemScores(scores, results)

    def sample_rewards(self, item: Item, outputs: Sequence[Sequence[str]]) -> list[list[float]]:
        """Each candidate's reward per sample (sampled FLIP keeps them all: the accuracy of
        fewer samples, or of the best sample, follows from them; :mod:`flip_core.sampled`)."""
        self._check(item, outputs)
        return [[r.reward for r in call] for call in self._reconstructions(item, outputs)]

    def _reconstructions(
        self, item: Item, outputs: Sequence[Sequence[str]]
    ) -> list[list[Reconstruction]]:
        return [
            [
                score_reconstruction(raw, item.instruction, self.similarity, self.failure_policy)
                for raw in samples
            ]
            for samples in outputs
        ]


class PointwiseJudge(Method):
    """Rate each candidate 1-10 on its own; score = mean rating of the samples that parsed."""

    name = "judge_pointwise"
    template = JUDGE_POINTWISE

    def calls(self, item: Item) -> list[Call]:
        return [
            Call(pointwise_messages(item.instruction, text), (i,))
            for i, text in enumerate(item.candidates)
        ]

    def score(self, item: Item, outputs: Sequence[Sequence[str]]) -> ItemScores:
        calls = self._check(item, outputs)
        scores: list[Score] = []
        results = []
        for call, samples in zip(calls, outputs, strict=True):
            parsed = [parse_score(raw) for raw in samples]
            ratings = [p.value for p in parsed if p.value is not None]
            scores.append(mean(ratings) if ratings else None)
            results.append(CallResult.of(call.shown, parsed))
        return ItemScores(scores, results)


class PairwiseJudge(Method):
    """Compare every ordered pair (A, B) and (B, A); score = wins, a failed verdict wins nothing."""

    name = "judge_pairwise"
    template = JUDGE_PAIRWISE

    def calls(self, item: Item) -> list[Call]:
        return [
            Call(
                pairwise_messages(item.instruction, item.candidates[a], item.candidates[b]), (a, b)
            )
            for a, b in permutations(range(len(item.candidates)), 2)
        ]

    def score(self, item: Item, outputs: Sequence[Sequence[str]]) -> ItemScores:
        calls = self._check(item, outputs)
        wins = [0.0] * len(item.candidates)
        results = []
        for call, samples in zip(calls, outputs, strict=True):
            parsed = [parse_verdict(raw) for raw in samples]
            for verdict in (p.value for p in parsed):
                if verdict is not None:
                    winner = call.shown[0] if verdict == "A" else call.shown[1]
                    wins[winner] += 1.0 / len(samples)
            results.append(CallResult.of(call.shown, parsed))
        return ItemScores(list(wins), results)


class ListwiseJudge(Method):
    """Show all candidates in a seeded shuffled order; score = share of samples picking each.

    The order depends only on ``seed`` and the item id, so reruns and other models see the same
    order, and the gold candidate's slot is uniformly spread over items.
    """

    name = "judge_listwise"
    template = JUDGE_LISTWISE

    def __init__(self, seed: int = 1234) -> None:
        self.seed = seed

    def order(self, item: Item) -> tuple[int, ...]:
        shown = list(range(len(item.candidates)))
        random.Random(f"{self.seed}:{item.id}").shuffle(shown)
        return tuple(shown)

    def calls(self, item: Item) -> list[Call]:
        shown = self.order(item)
        texts = [item.candidates[i] for i in shown]
        return [Call(listwise_messages(item.instruction, texts), shown)]

    def score(self, item: Item, outputs: Sequence[Sequence[str]]) -> ItemScores:
        (call,) = self._check(item, outputs)
        (samples,) = outputs
        parsed = [parse_index(raw, len(call.shown)) for raw in samples]
        picks = [0.0] * len(item.candidates)
        for position in (p.value for p in parsed):
            if position is not None:
                picks[call.shown[position]] += 1.0 / len(samples)
        return ItemScores(picks, [CallResult.of(call.shown, parsed)])


class FlipLikelihoodMethod(Method):
    """FLIP-likelihood (``flipll``, this project's extension of the paper).

    One call per candidate with FLIP's reconstruction prompt, plus a last call whose response
    is empty; every call carries the same continuation, the original instruction. A
    candidate's score is the summed log-probability of the instruction given its response
    (higher is better; identical continuations make the sums comparable within an item). The
    reference call's log-probability is kept for the PMI (:func:`flip_core.likelihood.pmi`).
    Calls follow the source order of the candidates and never depend on the gold index.
    """

    name = "flipll"
    template = FLIP_LIKELIHOOD
    request_type = "loglikelihood"

    def calls(self, item: Item) -> list[Call]:
        candidates = [
            Call(flip_likelihood_messages(text), (i,), item.instruction)
            for i, text in enumerate(item.candidates)
        ]
        return [*candidates, Call(flip_likelihood_messages(""), (), item.instruction)]

    def score(self, item: Item, outputs: Sequence[Sequence[LogLikelihood]]) -> ItemScores:
        calls = self._check(item, outputs)  # type: ignore[arg-type]
        scores: list[Score] = []
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


METHOD_NAMES = ("flip", "judge_pointwise", "judge_pairwise", "judge_listwise", "flipll")
PAPER_METHODS = METHOD_NAMES[:4]
"""The paper's methods (FLIP and the three judges); ``flipll`` is this project's extension."""


def get_method(name: str, shuffle_seed: int | None = None, **options: Any) -> Method:
    """A method by its conventions.md name; ``shuffle_seed`` configures the listwise order
    (``None``: its default) and is ignored by the methods that show one candidate per call."""
    classes: dict[str, type[Method]] = {
        "flip": FlipMethod,
        "judge_pointwise": PointwiseJudge,
        "judge_pairwise": PairwiseJudge,
        "judge_listwise": ListwiseJudge,
        "flipll": FlipLikelihoodMethod,
    }
    if name not in classes:
        raise FlipConfigError(f"unknown method {name!r}; choose one of {', '.join(METHOD_NAMES)}")
    if name == "judge_listwise" and shuffle_seed is not None:
        options["seed"] = shuffle_seed
    return classes[name](**options)
