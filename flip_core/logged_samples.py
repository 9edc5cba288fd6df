"""The document each harness task logs per item, and re-scoring from logged raw outputs.

lm-eval writes every document and the raw model outputs into ``samples_<task>_<time>.jsonl``.
The document schema is defined here, in flip_core, because two parts rely on it: the harness
tasks write it, and the results store (and ``flip summarize``) read it back and recompute every
score from the raw outputs with :mod:`flip_core.methods`, never trusting logged metric values.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flip_core.errors import FlipInputError
from flip_core.items import Item
from flip_core.methods import ItemScores, Method, get_method

DOC_FIELDS = (
    "item_id",
    "instruction",
    "candidates",
    "gold_index",
    "benchmark",
    "domain",
    "dataset_source",
    "dataset_revision",
    "method",
    "prompt_template",
    "prompt_hash",
    "shuffle_seed",
    "calls_shown",
)


LOGGED_METRICS = ("acc", "acc_tie_aware", "parse_fail_rate")
"""Per-sample metric values lm-eval logs; compared with recomputed ones, never used."""


def item_document(
    item: Item, method: Method, source: str, revision: str, shuffle_seed: int | None
) -> dict[str, Any]:
    """The logged document: the item, its data's origin, and how the method shows it."""
    return {
        "item_id": item.id,
        "instruction": item.instruction,
        "candidates": list(item.candidates),
        "gold_index": item.gold_index,
        "benchmark": item.benchmark,
        "domain": item.domain,
        "dataset_source": source,
        "dataset_revision": revision,
        "method": method.name,
        "prompt_template": method.template.name,
        "prompt_hash": method.template.hash,
        "shuffle_seed": shuffle_seed,
        "calls_shown": [list(call.shown) for call in method.calls(item)],
    }


def document_item(doc: dict[str, Any]) -> Item:
    return Item(
        id=doc["item_id"],
        instruction=doc["instruction"],
        candidates=tuple(doc["candidates"]),
        gold_index=doc["gold_index"],
        benchmark=doc["benchmark"],
        domain=doc["domain"],
    )


def document_method(doc: dict[str, Any]) -> Method:
    """The method that produced a document, configured as it was (the listwise seed)."""
    return get_method(doc["method"], shuffle_seed=doc["shuffle_seed"])


@dataclass(frozen=True)
class LoggedSample:
    """One logged document with its raw outputs (one list of samples per model call)."""

    doc: dict[str, Any]
    outputs: list[list[str]]
    logged_metrics: dict[str, float]

    @property
    def item(self) -> Item:
        return document_item(self.doc)

    def rescore(self) -> ItemScores:
        """Scores recomputed from the raw outputs; checks the calls match what was logged."""
        method = document_method(self.doc)
        item = self.item
        shown = [list(call.shown) for call in method.calls(item)]
        if shown != self.doc["calls_shown"]:
            raise FlipInputError(
                f"item {item.id}: logged calls {self.doc['calls_shown']} differ from the "
                f"{method.name} protocol {shown}"
            )
        return method.score(item, self.outputs)


def read_samples(path: str | Path) -> Iterator[LoggedSample]:
    """Logged samples of one ``samples_*.jsonl`` file, with one-line errors naming the line."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise FlipInputError(f"cannot read {path}: {error}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            doc = record["doc"]
            missing = [name for name in DOC_FIELDS if name not in doc]
            if missing:
                raise ValueError(f"not a flip-reward-bench document (missing {missing[0]})")
            outputs = [list(map(str, response)) for response in record["resps"]]
            logged = {name: float(record[name]) for name in LOGGED_METRICS if name in record}
        except (ValueError, KeyError, TypeError) as error:
            reason = f"missing key {error}" if isinstance(error, KeyError) else str(error)
            raise FlipInputError(f"{path}:{number}: {reason.splitlines()[0]}") from None
        yield LoggedSample(doc, outputs, logged)
