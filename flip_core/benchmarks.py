"""Benchmark loaders: RewardBench 2, LLMBar and the demo set, from the Hub or local copies.

Every loader returns :class:`Item` objects plus where they came from and which exact revision,
so that a result can be tied to its data. ``FLIP_DATA_DIR`` (docs/conventions.md), when set, makes
every loader read local copies instead of the Hugging Face Hub:

- ``$FLIP_DATA_DIR/reward-bench-2/``: the Hub's ``test`` split as parquet or JSON Lines files,
  same columns (``id``, ``prompt``, ``chosen``, ``rejected``, ``subset``, ...);
- ``$FLIP_DATA_DIR/llmbar/``: the LLMBar repository's layout, ``Adversarial_Neighbor.json`` ...
  (and ``Natural.json`` where a copy has it): lists of ``input``, ``output_1``, ``output_2``,
  ``label``.

On the Hub, RewardBench 2 is ``allenai/reward-bench-2``. LLMBar's own Hub repository only has a
loading script, which current ``datasets`` releases no longer run, so LLMBar is read from the
copy inside RewardBench v1 (``allenai/reward-bench``, split ``filtered``, subsets
``llmbar-adver-*`` and ``llmbar-natural``), which holds the same pairs as chosen/rejected.
LLMBar item ids are the row index within the subset under both sources.

The loaders live in flip_core rather than in the harness glue because the results store needs
the gold labels too: it re-scores raw outputs against the data, never against a results file.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flip_core.catalog.benchmarks import LLMBAR, benchmark
from flip_core.errors import FlipInputError
from flip_core.items import RB2_DOMAINS, Item, demo_items, item_id, rb2_row_to_item

DATA_DIR_ENV = "FLIP_DATA_DIR"
RB2_HUB_ID = "allenai/reward-bench-2"
RB2_HUB_REVISION_ENV = "FLIP_RB2_REVISION"
REWARDBENCH_V1_HUB_ID = "allenai/reward-bench"
LLMBAR_HUB_REVISION_ENV = "FLIP_LLMBAR_REVISION"

RB2_COLUMNS = ("id", "prompt", "chosen", "rejected", "subset")


@dataclass(frozen=True)
class LoadedBenchmark:
    """The items of one benchmark domain, and the exact data they came from."""

    benchmark: str
    domain: str
    items: list[Item]
    source: str
    revision: str


def data_dir() -> Path | None:
    value = os.environ.get(DATA_DIR_ENV, "").strip()
    return Path(value).expanduser() if value else None


def load_benchmark(name: str, domain: str) -> LoadedBenchmark:
    """Items of benchmark ``name``/``domain``: local copies under FLIP_DATA_DIR, else the Hub."""
    benchmark(name).domain(domain)  # one-line errors for unknown names
    if name == "demo":
        from flip_core.items import DEMO_RESOURCE

        return LoadedBenchmark("demo", domain, demo_items(), f"package:{DEMO_RESOURCE}", "bundled")
    local = data_dir()
    if name == "rb2":
        return _rb2_local(local, domain) if local else _rb2_hub(domain)
    return _llmbar_local(local, domain) if local else _llmbar_hub(domain)


def _require(items: list[Item], benchmark: str, domain: str, source: str) -> list[Item]:
    if not items:
        raise FlipInputError(f"{source} holds no {benchmark} items for domain {domain!r}")
    return items


def _file_revision(paths: list[Path]) -> str:
    """A content hash of local data files, so a changed copy never passes for the same data."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return "sha256:" + digest.hexdigest()[:16]


# --- RewardBench 2 --------------------------------------------------------------------------


def _rb2_rows_from_files(folder: Path) -> tuple[list[dict[str, Any]], list[Path]]:
    if not folder.is_dir():
        raise FlipInputError(f"{folder} is missing: put RewardBench 2's test split there")
    files = sorted(
        p for p in folder.rglob("*") if p.suffix in {".parquet", ".jsonl", ".json"} and p.is_file()
    )
    if not files:
        raise FlipInputError(f"{folder} holds no .parquet or .jsonl files")
    rows: list[dict[str, Any]] = []
    for path in files:
        rows.extend(_read_rows(path))
    return rows, files


def _read_rows(path: Path) -> list[dict[str, Any]]:
    try:
        if path.suffix == ".parquet":
            import pyarrow.parquet as pq

            return pq.read_table(path).to_pylist()
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json" and text.lstrip().startswith("["):
            return json.loads(text)
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    except (OSError, ValueError) as error:
        raise FlipInputError(f"cannot read {path}: {str(error).splitlines()[0]}") from None


def _rb2_items(rows: list[dict[str, Any]], domain: str, source: str) -> list[Item]:
    subset = next(name for name, value in RB2_DOMAINS.items() if value == domain)
    items = []
    for number, row in enumerate(rows):
        missing = [column for column in RB2_COLUMNS if column not in row]
        if missing:
            raise FlipInputError(f"{source}: row {number} lacks the columns {', '.join(missing)}")
        if row["subset"] != subset:
            continue
        try:
            items.append(rb2_row_to_item(row))
        except (ValueError, TypeError) as error:
            raise FlipInputError(f"{source}: row {number} ({row['id']}): {error}") from None
    return _require(items, "rb2", domain, source)


def _rb2_local(root: Path, domain: str) -> LoadedBenchmark:
    folder = root / "reward-bench-2"
    rows, files = _rb2_rows_from_files(folder)
    items = _rb2_items(rows, domain, str(folder))
    return LoadedBenchmark("rb2", domain, items, f"local:{folder}", _file_revision(files))


def _hub_revision(repo_id: str, env: str) -> str:
    """The commit sha of the requested revision (``main`` unless the environment pins one)."""
    from huggingface_hub import HfApi

    requested = os.environ.get(env, "main")
    try:
        return HfApi().dataset_info(repo_id, revision=requested).sha or requested
    except Exception as error:  # offline, unknown revision, rate limit: all end the same way
        raise FlipInputError(
            f"cannot reach {repo_id}@{requested} on the Hugging Face Hub ({type(error).__name__}); "
            f"set {DATA_DIR_ENV} to a folder with local copies"
        ) from None


def _rb2_hub(domain: str) -> LoadedBenchmark:
    from datasets import load_dataset

    revision = _hub_revision(RB2_HUB_ID, RB2_HUB_REVISION_ENV)
    rows = load_dataset(RB2_HUB_ID, split="test", revision=revision).to_list()
    items = _rb2_items(rows, domain, f"{RB2_HUB_ID}@{revision}")
    return LoadedBenchmark("rb2", domain, items, f"hub:{RB2_HUB_ID}", revision)


# --- LLMBar ---------------------------------------------------------------------------------


def _llmbar_pair(row: Any, domain: str, index: int, source: str) -> Item:
    try:
        label = int(row["label"])
        candidates = (str(row["output_1"]), str(row["output_2"]))
        instruction = str(row["input"])
    except (KeyError, TypeError, ValueError) as error:
        raise FlipInputError(
            f"{source}: row {index} is not an LLMBar pair (input, output_1, output_2, label): "
            f"{error}"
        ) from None
    if label not in (1, 2):
        raise FlipInputError(f"{source}: row {index} has label {label}, expected 1 or 2")
    return Item(
        id=item_id("llmbar", domain, index),
        instruction=instruction,
        candidates=candidates,
        gold_index=label - 1,
        benchmark="llmbar",
        domain=domain,
    )


def _llmbar_local(root: Path, domain: str) -> LoadedBenchmark:
    path = root / "llmbar" / LLMBAR.domain(domain).sources["file"]
    if not path.is_file():
        raise FlipInputError(f"{path} is missing: the LLMBar {domain} subset is not in {root}")
    rows = _read_rows(path)
    if not isinstance(rows, list):
        raise FlipInputError(f"{path}: expected a JSON list of LLMBar pairs")
    items = [_llmbar_pair(row, domain, i, str(path)) for i, row in enumerate(rows)]
    items = _require(items, "llmbar", domain, str(path))
    return LoadedBenchmark("llmbar", domain, items, f"local:{path}", _file_revision([path]))


def _llmbar_hub(domain: str) -> LoadedBenchmark:
    from datasets import load_dataset

    subset = LLMBAR.domain(domain).sources["subset"]
    revision = _hub_revision(REWARDBENCH_V1_HUB_ID, LLMBAR_HUB_REVISION_ENV)
    rows = load_dataset(REWARDBENCH_V1_HUB_ID, split="filtered", revision=revision).to_list()
    source = f"{REWARDBENCH_V1_HUB_ID}@{revision}"
    items = [
        Item(
            id=item_id("llmbar", domain, index),
            instruction=str(row["prompt"]),
            candidates=(str(row["chosen"]), str(row["rejected"])),
            gold_index=0,
            benchmark="llmbar",
            domain=domain,
        )
        for index, row in enumerate(r for r in rows if r.get("subset") == subset)
    ]
    items = _require(items, "llmbar", domain, source)
    return LoadedBenchmark(
        "llmbar", domain, items, f"hub:{REWARDBENCH_V1_HUB_ID}:{subset}", revision
    )
