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

from flip_core.errors import FlipError, FlipInputError
from flip_core.items import Item
from flip_core.likelihood import read_loglikelihood
from flip_core.methods import REGISTERED, ItemScores, Method, method_from_document

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


LOGGED_METRICS = tuple(
    dict.fromkeys(name for method in REGISTERED for name in method.metric_names(sampled=True))
)
"""Per-sample metric values lm-eval logs (those present); compared with recomputed ones, never
used."""


def item_document(
    item: Item, method: Method, source: str, revision: str, variant: str = "none"
) -> dict[str, Any]:
    """The logged document: the item (as shown: a probe's edited candidates), its data's
    origin, the task variant, how the method shows it and how it is configured
    (``method_settings``, JSON, so that the store re-scores with the same settings).
    ``variant`` and ``method_settings`` are optional when read (older runs are clean runs with
    default settings)."""
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
        "shuffle_seed": method.shuffle_seed,
        "method_settings": json.dumps(method.settings, sort_keys=True),
        "calls_shown": [list(call.shown) for call in method.calls(item)],
        "variant": variant,
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
    """The method that produced a document, configured as it was."""
    settings = doc.get("method_settings")
    if isinstance(settings, str):
        try:
            doc = {**doc, "method_settings": json.loads(settings)}
        except ValueError:
            raise FlipInputError("method_settings is not JSON") from None
    return method_from_document(doc)


@dataclass(frozen=True)
class LoggedSample:
    """One logged document with its raw outputs (one list of samples per model call).

    Outputs are texts, or for likelihood methods checked (log-probability, is_greedy) pairs;
    ``continuations`` then holds each call's scored continuation (None for generative ones).
    """

    doc: dict[str, Any]
    outputs: list[list[Any]]
    logged_metrics: dict[str, float]
    continuations: list[str] | None = None

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
        if method.request_type == "loglikelihood":
            self._check_continuations(item, len(shown))
        return method.score(item, self.outputs)

    def _check_continuations(self, item: Item, calls: int) -> None:
        """Every call scored one and the same continuation, holding the item's instruction."""
        continuations = self.continuations or []
        if len(continuations) != calls or len(set(continuations)) != 1:
            raise FlipInputError(
                f"item {item.id}: expected {calls} requests scoring one identical continuation"
            )
        if item.instruction.strip() not in continuations[0]:
            raise FlipInputError(f"item {item.id}: the scored continuation is not its instruction")


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
            continuations = None
            if document_method(doc).request_type == "loglikelihood":
                outputs = _loglikelihood_outputs(record)
                continuations = _continuations(record["arguments"])
            else:
                outputs = [list(map(str, response)) for response in record["resps"]]
            logged = {name: float(record[name]) for name in LOGGED_METRICS if name in record}
        except (ValueError, KeyError, TypeError, FlipError) as error:
            reason = f"missing key {error}" if isinstance(error, KeyError) else str(error)
            raise FlipInputError(f"{path}:{number}: {reason.splitlines()[0]}") from None
        yield LoggedSample(doc, outputs, logged, continuations)


def _loglikelihood_outputs(record: dict[str, Any]) -> list[list[Any]]:
    """Checked (log-probability, is_greedy) pairs per call; ``filtered_resps`` (what lm-eval
    scored) must be the same values as ``resps`` (what the model returned)."""
    outputs = [[read_loglikelihood(value) for value in response] for response in record["resps"]]
    filtered = [read_loglikelihood(value) for value in record["filtered_resps"]]
    if filtered != [response[0] if response else None for response in outputs]:
        raise ValueError("filtered_resps differ from resps")
    return outputs


def _continuations(arguments: Any) -> list[str]:
    """The continuation of each logged request: lm-eval's samples files hold the arguments as
    ``{"gen_args_0": {"arg_0": context, "arg_1": continuation}, ...}``, its in-memory samples
    as a list of (context, continuation) pairs."""
    if isinstance(arguments, dict):
        arguments = [arguments[f"gen_args_{i}"] for i in range(len(arguments))]
        arguments = [(args["arg_0"], args["arg_1"]) for args in arguments]
    continuations = [pair[1] for pair in arguments]
    if not all(isinstance(text, str) for text in continuations):
        raise ValueError("a logged continuation is not text")
    return continuations
