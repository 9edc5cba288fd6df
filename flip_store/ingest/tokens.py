"""What a run cost, counted at ingest: generated tokens per call, and whether a call finished.

lm-eval hands tasks only strings, so the cost of a generative call is counted by re-tokenising
its raw outputs with the model's own tokenizer (:meth:`ModelIdentity.tokenizer`). That is the
one unit of the store: where the tokenizer cannot be loaded on the ingesting machine the
counts are unknown (``token_count_method = "unknown"``), shown as such, and filled in by a
later ingest on a machine that has it; they are never counted in characters instead.

A call *finished* when the model ended it by itself (an end-of-turn token or a stop string)
rather than running into the token budget (``max_gen_toks``). The logged text excludes the
end-of-turn token, so a finished output re-tokenises to fewer tokens than the budget; an output
cut off at the budget re-tokenises to about the budget (decoding and re-encoding can merge or
split a token at the edges). A call counts as finished when its re-tokenised length is at most
``budget - FINISH_MARGIN``: conservative, an output that ended exactly at the budget's edge
counts as cut off (docs/conventions.md, "Finished rate of a call").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flip_core.logged_samples import LoggedSample
from flip_core.methods import Method
from flip_store.model_identity import ModelIdentity

FINISH_MARGIN = 2
"""Tokens below the budget a re-tokenised output must stay under to count as finished."""


@dataclass(frozen=True)
class CallCost:
    """One call's generated tokens per sample (None: unknown) and whether every sample
    finished by itself (None: unknown, or nothing was generated)."""

    tokens: tuple[int, ...] | None
    finished: bool | None

    @property
    def total(self) -> int | None:
        return None if self.tokens is None else sum(self.tokens)


def count_costs(
    model: ModelIdentity,
    method: Method,
    samples: list[LoggedSample],
    generation_kwargs: dict[str, Any] | None,
) -> tuple[list[list[CallCost]], str, list[int | None] | None]:
    """Per item and call the cost; the counting method; for likelihood methods each item's
    scored-continuation length in tokens (for per-token log-probabilities)."""
    tokenizer = model.tokenizer()
    counted_in = "unknown" if tokenizer is None else "tokenizer"

    def length(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    if not method.generative:
        nothing = [[CallCost((0,), None) for _ in sample.outputs] for sample in samples]
        units = [
            None if tokenizer is None else length(sample.continuations[0])  # type: ignore[index]
            for sample in samples
        ]
        return nothing, counted_in, units
    if tokenizer is None:
        return [[CallCost(None, None) for _ in s.outputs] for s in samples], counted_in, None
    budget = (generation_kwargs or {}).get("max_gen_toks")
    costs = []
    for sample in samples:
        item_costs = []
        for outputs in sample.outputs:
            tokens = tuple(length(text) for text in outputs)
            finished = None
            if isinstance(budget, int):
                finished = all(count <= budget - FINISH_MARGIN for count in tokens)
            item_costs.append(CallCost(tokens, finished))
        costs.append(item_costs)
    return costs, counted_in, None
