"""Would a larger token budget let the cut-off calls finish? Loops against unfinished answers.

A run's finished rate (docs/conventions.md, "Finished rate of a call") counts the calls the
model ended by itself; the rest ran into the budget (``max_gen_toks``). Raising the budget
helps only where a cut-off answer was still progressing; greedy decoding of a small model often
repeats a phrase instead, and no budget ends such a loop. For every generative task of the
given lm-eval output folders this prints the calls, how many were cut off (as ingest counts
them: re-tokenised with the model's own tokenizer, within 2 tokens of the budget), and how many
of those end in a repetition loop: their last ``--window`` characters already occur earlier in
the same output. The rest are what a larger budget could finish at most.

    FLIP_DATA_DIR=../shared/data .venv/bin/python benchmarks/cutoff_loops.py \\
        results/raw/llmbar-qwen2.5-coder-0.5b-default-llamacpp
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from flip_core.logged_samples import document_method, read_samples
from flip_store.ingest.tokens import FINISH_MARGIN
from flip_store.model_identity import identify_model
from harness_tasks.lm_eval_output import find_results_files, logged_tasks, read_results


def is_loop(text: str, window: int) -> bool:
    """Whether ``text`` ends with a stretch it has already written: its last ``window``
    characters (or its last 60 of them, for repeats shorter than the window) occur earlier."""
    tail = text[-window:]
    return len(text) > window and (tail in text[:-window] or tail[:60] in text[:-window])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path, help="lm-eval output folders")
    parser.add_argument("--window", type=int, default=150, help="characters compared (150)")
    args = parser.parse_args(argv)
    for folder in args.folders:
        for results_file, problem in find_results_files(folder):
            if problem:
                print(problem, file=sys.stderr)
                continue
            run = read_results(results_file)
            tokenizer = identify_model(run).tokenizer()
            for logged in logged_tasks(results_file, run):
                budget = (logged.config.generation_kwargs or {}).get("max_gen_toks")
                samples = list(read_samples(logged.samples_file))
                if not samples or not document_method(samples[0].doc).generative:
                    continue
                if tokenizer is None or not isinstance(budget, int):
                    print(f"{logged.task}: no tokenizer or no logged budget; skipped")
                    continue
                outputs = [text for s in samples for call in s.outputs for text in call]
                cut = [
                    text
                    for text in outputs
                    if len(tokenizer(text, add_special_tokens=False)["input_ids"])
                    > budget - FINISH_MARGIN
                ]
                loops = sum(is_loop(text, args.window) for text in cut)
                print(
                    f"{folder.name}/{logged.task}: {len(outputs)} outputs, budget {budget} "
                    f"tokens; {len(cut)} cut off ({len(cut) / len(outputs) * 100:.1f}%), of "
                    f"which {loops} end in a repetition loop and {len(cut) - loops} were still "
                    "progressing"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
