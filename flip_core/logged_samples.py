"""The document each harness task logs per item, and re-scoring from logged raw outputs.

lm-eval writes every document and the raw model outputs into ``samples_<task>_<time>.jsonl``.
The document schema is defined here, in flip_core, because two parts rely on it: the harness
tasks write it, and the results store (and ``flip summarize``) read it back and recompute every
score from the raw outputs with :mod:`flip_core.methods`, never trusting logged metric values.

Reading is strict and streams: every line is validated against :class:`LoggedDocument` (a
declared pydantic schema: an item id that is a list, a candidate that is a number, a hash that
is an object are one-line errors naming the file and line), raw outputs must be text (or
checked log-probability pairs), logged metric values must be finite numbers, and the file is
read line by line, so padding it with blank lines costs time, not memory.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from flip_core.errors import FlipError, FlipInputError
from flip_core.items import Item
from flip_core.likelihood import read_loglikelihood
from flip_core.methods import REGISTERED, ItemScores, Method, method_from_document


class LoggedDocument(BaseModel):
    """The schema of a logged document (what :func:`item_document` writes)."""

    model_config = ConfigDict(strict=True, extra="allow", allow_inf_nan=False)

    item_id: str = Field(min_length=1, max_length=200)
    instruction: str
    candidates: list[str] = Field(min_length=1)
    gold_index: int | None
    benchmark: str = Field(max_length=40)
    domain: str = Field(max_length=40)
    dataset_source: str = Field(max_length=300)
    dataset_revision: str = Field(max_length=100)
    method: str = Field(max_length=60)
    prompt_template: str = Field(max_length=60)
    prompt_hash: str = Field(max_length=40)
    shuffle_seed: int | None
    calls_shown: list[list[int]]
    variant: str = Field(default="none", max_length=60)
    method_settings: str | None = None

    @field_validator("item_id", "benchmark", "domain", "method", "prompt_hash", "variant")
    @classmethod
    def _printable(cls, value: str) -> str:
        """Names are shown and stored as keys: no control characters (a NUL breaks databases)."""
        if any(ord(char) < 32 for char in value):
            raise ValueError("holds control characters")
        return value


DOC_FIELDS = tuple(
    name for name, field in LoggedDocument.model_fields.items() if field.is_required()
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
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if line.strip():
                    yield _read_record(line, f"{path}:{number}")
    except UnicodeDecodeError as error:
        raise FlipInputError(f"cannot read {path}: not UTF-8 ({error.reason})") from None
    except OSError as error:
        raise FlipInputError(f"cannot read {path}: {error.strerror or error}") from None


def _read_record(line: str, where: str) -> LoggedSample:
    try:
        record = json.loads(line, parse_constant=_no_constants)
        if not isinstance(record, dict) or not isinstance(record.get("doc"), dict):
            raise ValueError("not a logged sample (no document)")
        doc = _valid_document(record["doc"])
        continuations = None
        if document_method(doc).request_type == "loglikelihood":
            outputs = _loglikelihood_outputs(record)
            continuations = _continuations(record["arguments"])
        else:
            outputs = _text_outputs(record["resps"])
        logged = {name: _finite(record[name], name) for name in LOGGED_METRICS if name in record}
    except (ValueError, KeyError, TypeError, FlipError) as error:
        reason = f"missing key {error}" if isinstance(error, KeyError) else str(error)
        raise FlipInputError(f"{where}: {reason.splitlines()[0][:300]}") from None
    return LoggedSample(doc, outputs, logged, continuations)


def _valid_document(doc: dict[str, Any]) -> dict[str, Any]:
    missing = [name for name in DOC_FIELDS if name not in doc]
    if missing:
        raise ValueError(f"not a flip-reward-bench document (missing {missing[0]})")
    try:
        LoggedDocument.model_validate(doc)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        raise ValueError(f"document field {where}: {problem['msg']}") from None
    return doc


def _text_outputs(responses: Any) -> list[list[str]]:
    """Each call's samples; every one must be text (a model writes text)."""
    if not isinstance(responses, list) or not all(isinstance(r, list) for r in responses):
        raise ValueError("resps is not a list of lists of samples")
    if not all(isinstance(text, str) for response in responses for text in response):
        raise ValueError("a logged model output is not text")
    return [list(response) for response in responses]


def _finite(value: Any, name: str) -> float:
    """A logged metric value: a finite number (NaN would pass any comparison with the
    recomputed value, so it is refused)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"logged {name} is not a finite number")
    return float(value)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


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
