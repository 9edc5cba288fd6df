"""The LLM-as-a-judge baselines, built from the same small model (docs/method.md).

- pointwise: rate each candidate 1-10 on its own; score = mean rating of the samples that parsed;
- pairwise: compare every ordered pair (A, B) and (B, A), so position bias cancels; score =
  wins, a verdict that does not parse wins nothing (``verdict_reading="conclusion"``, a named
  deviation, also reads the verdict a reasoning concludes with: :mod:`flip_core.parsing.answers`);
- listwise: show all candidates in an order shuffled by a seed and the item id, map the pick
  back; score = share of samples picking each candidate (``verdict_reading`` as for pairwise).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from itertools import permutations
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
)
from flip_core.parsing import (
    STRICT_READING,
    check_verdict_reading,
    parse_index,
    parse_score,
    parse_verdict,
)
from flip_core.prompts import (
    JUDGE_LISTWISE,
    JUDGE_PAIRWISE,
    JUDGE_POINTWISE,
    listwise_messages,
    pairwise_messages,
    pointwise_messages,
)

LISTWISE_SHUFFLE_SEED = 1234
"""The seed of the listwise judge's candidate order (with the item id): the one definition."""


class PointwiseJudge(Method):
    """Rate each candidate 1-10 on its own; score = mean rating of the samples that parsed."""

    name = "judge_pointwise"
    label = "pointwise judge"
    family = MethodFamily.JUDGE
    output_kind = OutputKind.RATING
    template = JUDGE_POINTWISE

    def calls(self, item: Item) -> list[Call]:
        return [
            Call(pointwise_messages(item.instruction, text), (i,))
            for i, text in enumerate(item.candidates)
        ]

    def score(self, item: Item, outputs: Sequence[Sequence[str]]) -> ItemScores:
        calls = self._check(item, outputs)
        scores: list[float | None] = []
        results = []
        for call, samples in zip(calls, outputs, strict=True):
            parsed = [parse_score(raw) for raw in samples]
            ratings = [p.value for p in parsed if p.value is not None]
            scores.append(mean(ratings) if ratings else None)
            results.append(CallResult.of(call.shown, parsed))
        return ItemScores(scores, results)


def reading_settings(verdict_reading: str) -> dict[str, Any]:
    """The logged setting of a judge's verdict reading. The paper's strict reading logs none,
    as before the option existed, so documents of committed runs and of new runs are equal."""
    return {} if verdict_reading == STRICT_READING else {"verdict_reading": verdict_reading}


class PairwiseJudge(Method):
    """Compare every ordered pair (A, B) and (B, A); score = wins, a failed verdict wins nothing."""

    name = "judge_pairwise"
    label = "pairwise judge"
    family = MethodFamily.JUDGE
    output_kind = OutputKind.VERDICT
    template = JUDGE_PAIRWISE
    SETTINGS = frozenset({"verdict_reading"})
    first_shown_answer = "A"

    def __init__(self, verdict_reading: str = STRICT_READING) -> None:
        self.verdict_reading = check_verdict_reading(verdict_reading)

    @property
    def settings(self) -> dict[str, Any]:
        return reading_settings(self.verdict_reading)

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
            parsed = [parse_verdict(raw, self.verdict_reading) for raw in samples]
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
    label = "listwise judge"
    family = MethodFamily.JUDGE
    output_kind = OutputKind.PICK
    template = JUDGE_LISTWISE
    SETTINGS = frozenset({"seed", "verdict_reading"})
    first_shown_answer = 0

    def __init__(
        self, seed: int = LISTWISE_SHUFFLE_SEED, verdict_reading: str = STRICT_READING
    ) -> None:
        self.seed = int(seed)
        self.verdict_reading = check_verdict_reading(verdict_reading)

    @property
    def settings(self) -> dict[str, Any]:
        return {"seed": self.seed, **reading_settings(self.verdict_reading)}

    @property
    def shuffle_seed(self) -> int | None:
        return self.seed

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
        parsed = [parse_index(raw, len(call.shown), self.verdict_reading) for raw in samples]
        picks = [0.0] * len(item.candidates)
        for position in (p.value for p in parsed):
            if position is not None:
                picks[call.shown[position]] += 1.0 / len(samples)
        return ItemScores(picks, [CallResult.of(call.shown, parsed)])
