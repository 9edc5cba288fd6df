"""The one item shape every benchmark is mapped to, and the JSON Lines readers for it.

An item is an instruction with its candidate responses and, where known, which candidate is
the gold one. Sources differ (RewardBench 2 rows, LLMBar pairs, user files); adapters map each
to :class:`Item` so scorers, metrics and the store never see a source's own layout.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from flip_core.catalog.benchmarks import RB2
from flip_core.errors import FlipInputError

RB2_DOMAINS = {domain.sources["subset"]: domain.name for domain in RB2.domains}
"""RewardBench 2 subset names -> this project's domain names (docs/conventions.md); other
subsets (Safety, Ties) of user files become their lower-cased names."""


@dataclass(frozen=True)
class Item:
    """An instruction, its candidates, and the gold candidate's index (None when unknown).

    ``id`` is ``{benchmark}:{domain}:{source id}`` (docs/conventions.md): the same under every
    method and variant, so it joins runs.
    """

    id: str
    instruction: str
    candidates: tuple[str, ...]
    gold_index: int | None = None
    benchmark: str | None = None
    domain: str | None = None


def content_hash(item: Item) -> str:
    """An item's identity beyond its id: its instruction, candidates and gold, canonically
    (two copies of a dataset that share ids but not texts are told apart by it)."""
    canonical = json.dumps(
        [item.instruction, list(item.candidates), item.gold_index], separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def item_id(benchmark: str, domain: str, source_id: str | int) -> str:
    return f"{benchmark}:{domain}:{source_id}"


def rb2_row_to_item(row: Mapping[str, Any], benchmark: str = "rb2") -> Item:
    """A RewardBench 2 row (``prompt``, ``chosen``, ``rejected``, ``subset``, ``id``).

    The chosen response comes first among the candidates; protocols that show several
    candidates at once must shuffle them (the gold index is never shown to a model).
    """
    subset = row["subset"]
    domain = RB2_DOMAINS.get(subset, str(subset).lower().replace(" ", "_"))
    chosen, rejected = list(row["chosen"]), list(row["rejected"])
    if len(chosen) != 1 or not rejected:
        raise ValueError(
            f"expected 1 chosen and >= 1 rejected, got {len(chosen)} and {len(rejected)}"
        )
    return Item(
        id=item_id(benchmark, domain, row["id"]),
        instruction=str(row["prompt"]),
        candidates=tuple(str(c) for c in chosen + rejected),
        gold_index=0,
        benchmark=benchmark,
        domain=domain,
    )


def _user_row_to_item(row: Mapping[str, Any], line_number: int) -> Item:
    """A user's row: ``instruction`` and ``responses``, optional ``id`` and ``gold_index``."""
    instruction, responses = row["instruction"], row["responses"]
    if not isinstance(instruction, str) or not isinstance(responses, list):
        raise ValueError("'instruction' must be a string and 'responses' a list of strings")
    if not responses or not all(isinstance(r, str) for r in responses):
        raise ValueError("'responses' must be a non-empty list of strings")
    gold = row.get("gold_index")
    if gold is not None and not (isinstance(gold, int) and 0 <= gold < len(responses)):
        raise ValueError(f"'gold_index' must be an index into 'responses', got {gold!r}")
    return Item(
        id=str(row.get("id", line_number)),
        instruction=instruction,
        candidates=tuple(responses),
        gold_index=gold,
        benchmark=row.get("benchmark"),
        domain=row.get("domain"),
    )


def _row_to_item(row: Any, line_number: int, benchmark: str) -> Item:
    if not isinstance(row, dict):
        raise ValueError("each line must be a JSON object")
    if "instruction" in row and "responses" in row:
        return _user_row_to_item(row, line_number)
    if {"prompt", "chosen", "rejected", "subset", "id"} <= row.keys():
        return rb2_row_to_item(row, benchmark)
    raise ValueError(
        "expected the keys 'instruction' and 'responses' "
        "(or RewardBench 2's 'id', 'prompt', 'chosen', 'rejected', 'subset')"
    )


def _parse_lines(lines: Iterator[str], source: str, benchmark: str) -> list[Item]:
    items: list[Item] = []
    for line_number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            items.append(_row_to_item(json.loads(line), line_number, benchmark))
        except (ValueError, KeyError, TypeError) as error:
            reason = f"missing key {error}" if isinstance(error, KeyError) else str(error)
            raise FlipInputError(f"{source}:{line_number}: {reason.splitlines()[0]}") from None
    if not items:
        raise FlipInputError(f"{source} holds no items")
    return items


def load_items(path: str | Path, benchmark: str = "user") -> list[Item]:
    """Read items from a JSON Lines file, with errors that name the file and line."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as handle:
            return _parse_lines(iter(handle), str(path), benchmark)
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise FlipInputError(f"cannot read {path}: {reason}") from None


DEMO_RESOURCE = "demo_rb2.jsonl"


def demo_rows() -> list[dict[str, Any]]:
    """The demo set's raw rows, in RewardBench 2's schema (written for this project)."""
    text = resources.files("flip_core").joinpath("data", DEMO_RESOURCE).read_text("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def demo_items() -> list[Item]:
    """The bundled demo set: 24 hand-written items, 6 per RewardBench 2 domain, ``demo:*`` ids."""
    return [rb2_row_to_item(row, benchmark="demo") for row in demo_rows()]
