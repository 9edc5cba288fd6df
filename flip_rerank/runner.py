"""The run: batches of prompts through a reranker, each row written as its batch finishes."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flip_core.errors import FlipConfigError
from flip_rerank.inputs import RerankPrompt, fit_to_budget
from flip_rerank.output import RowWriter, read_finished, result_row
from flip_rerank.pickers import Reranker, picker_class


@dataclass
class RerankRun:
    """What a run produced: the rows of the given prompts, in input order, and bookkeeping."""

    rows: list[dict[str, Any]]
    resumed: int
    scored_now: int
    dropped_line: int | None


def run_rerank(
    prompts: Sequence[RerankPrompt],
    reranker: Reranker,
    output: str | Path,
    *,
    limit: int | None = None,
    prompts_per_batch: int = 4,
    progress: bool = True,
    on_message: Callable[[str], None] | None = None,
) -> RerankRun:
    """Pick the best candidate of every prompt not yet in ``output``, appending a row per prompt.

    ``limit``: only the first N prompts (an output may hold more, from an earlier run; rows
    are checked against all of ``prompts``). The candidates of ``prompts_per_batch`` prompts
    go to the model in one call (batching across prompts); each prompt's row is written as
    soon as its batch returns, so a kill loses at most one batch.
    """
    from tqdm.auto import tqdm

    if prompts_per_batch < 1:
        raise FlipConfigError(f"--prompts-per-batch must be >= 1, got {prompts_per_batch}")
    if limit is not None and limit < 1:
        raise FlipConfigError(f"--limit must be >= 1, got {limit}")
    say = on_message or (lambda message: None)
    finished = read_finished(output, reranker.settings, prompts)
    prompts = prompts[:limit]
    if finished.dropped_line is not None:
        say(
            f"{output}:{finished.dropped_line}: dropped an incomplete last line (a run was "
            "stopped while writing it); that prompt is scored again"
        )
    done = dict(finished.rows)
    resumed = sum(prompt.id in done for prompt in prompts)
    pending = [prompt for prompt in prompts if prompt.id not in done]
    if resumed:
        say(f"resuming {output}: {resumed} of {len(prompts)} prompts already done")
    with (
        RowWriter(output) as writer,
        tqdm(
            total=len(prompts), initial=resumed, unit="prompt", desc=reranker.name,
            disable=not progress,
        ) as bar,
    ):  # fmt: skip
        for start in range(0, len(pending), prompts_per_batch):
            batch = [
                fit_to_budget(p, reranker.max_candidate_chars, reranker.shows_instruction)
                for p in pending[start : start + prompts_per_batch]
            ]
            to_score = [fitted for fitted in batch if fitted.refusal is None]
            scores = iter(reranker.score(to_score) if to_score else [])
            for fitted in batch:
                scored = None if fitted.refusal is not None else next(scores)
                row = result_row(fitted, scored, reranker)
                writer.write(row)
                done[row["id"]] = row
                bar.update(1)
    return RerankRun(
        rows=[done[prompt.id] for prompt in prompts],
        resumed=resumed,
        scored_now=len(pending),
        dropped_line=finished.dropped_line,
    )


def default_output_path(
    input_path: str | Path, method: str, model: str | None = None, profile: str | None = None
) -> Path:
    """``results/rerank/{input stem}-{method}[-{model}-{profile}].jsonl``."""
    parts = [Path(input_path).stem, method]
    if picker_class(method).uses_model:
        parts += [re.sub(r"[^A-Za-z0-9._-]+", "_", model or "default").strip("_")[-60:], profile]
    return Path("results") / "rerank" / ("-".join(p for p in parts if p) + ".jsonl")
