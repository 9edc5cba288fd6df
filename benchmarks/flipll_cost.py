"""Cost of FLIP-likelihood against generative FLIP: wall time and tokens, same pairs, same model.

FLIP-likelihood (``flipll``, this project's extension) scores the original instruction by
teacher forcing: one forward pass per candidate plus one for the empty-response reference, and
no token is generated. Generative FLIP decodes a reconstruction per candidate. Both run here
through the same lm-eval path that ``flip eval`` uses (``simple_evaluate`` with this project's
tasks and the chat template), on the same first ``--pairs`` LLMBar Neighbor pairs, with one
loaded model (the bundled SmolLM2-135M-Instruct on CPU by default) and the ``cpu`` decoding
profile for FLIP (greedy, at most 128 new tokens). Each method is warmed up on one pair first;
with ``--rounds`` above 1 the two alternate so that machine noise hits both alike. Printed:
per method the requests, tokens processed (prompt tokens of every request; for FLIP-likelihood
the context and the scored continuation, which one forward pass covers), generated tokens
(re-tokenised outputs), wall time, and best-of-2 accuracy on these pairs (context only: a few
dozen pairs say little); then the ratios FLIP / FLIP-likelihood.

    FLIP_DATA_DIR=/work/shared/data .venv/bin/python benchmarks/flipll_cost.py [--pairs 50]
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import torch

TASKS = {"FLIP (generative)": "flip_llmbar_neighbor", "FLIP-likelihood": "flipll_llmbar_neighbor"}


@dataclass
class Totals:
    requests: int = 0
    processed_tokens: int = 0
    generated_tokens: int = 0
    seconds: float = 0.0
    correct: float = 0.0
    items: int = 0


def default_data_dir() -> str | None:
    sibling = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
    return os.environ.get("FLIP_DATA_DIR") or (str(sibling) if sibling.is_dir() else None)


def run_once(lm, manager, task: str, pairs: int, totals: Totals | None) -> None:
    """Evaluate ``task`` on the first ``pairs`` items; add its cost to ``totals`` (if given)."""
    from lm_eval import simple_evaluate

    start = time.perf_counter()
    output = simple_evaluate(
        model=lm,
        tasks=[task],
        task_manager=manager,
        limit=pairs,
        apply_chat_template=True,
        log_samples=True,
        bootstrap_iters=0,
    )
    seconds = time.perf_counter() - start
    if totals is None:
        return
    tokenizer = lm.tokenizer
    samples = output["samples"][task]

    def count(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    for sample in samples:
        for arguments, responses in zip(sample["arguments"], sample["resps"], strict=True):
            totals.requests += 1
            if isinstance(arguments[1], str):  # (context, continuation): one forward pass
                totals.processed_tokens += count(arguments[0] + arguments[1])
            else:  # (context, generation settings): the prompt, then decoding
                totals.processed_tokens += count(arguments[0])
                totals.generated_tokens += sum(count(text) for text in responses)
        totals.correct += float(sample["acc"])
    totals.items += len(samples)
    totals.seconds += seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default", help="'default' (bundled) or a folder")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--pairs", type=int, default=50, help="first N LLMBar Neighbor pairs")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--profile", default="cpu", choices=("cpu", "default"))
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--data-dir", default=default_data_dir(), help="FLIP_DATA_DIR")
    args = parser.parse_args()
    if not args.data_dir:
        parser.error("set FLIP_DATA_DIR (or --data-dir) to the folder holding llmbar/")
    os.environ["FLIP_DATA_DIR"] = args.data_dir
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    from flip_core.models import resolve_model
    from harness_tasks.catalog import TASK_DIR

    for name in ("lm-eval", "lm_eval", "harness_tasks"):
        logging.getLogger(name).setLevel(logging.ERROR)
    resolved = resolve_model(args.model)
    model_args = {"gguf_file": resolved.gguf_file} if resolved.gguf_file else {}
    lm = HFLM(
        pretrained=resolved.path,
        dtype="float32" if args.device == "cpu" else "auto",
        device=args.device,
        batch_size=args.batch_size,
        **model_args,
    )
    manager = TaskManager(
        include_path=[str(TASK_DIR)], include_defaults=False, metadata={"profile": args.profile}
    )
    for task in TASKS.values():  # warm-up: task loading, first batches
        run_once(lm, manager, task, 1, None)
    totals = {label: Totals() for label in TASKS}
    for round_number in range(args.rounds):
        labels = list(TASKS) if round_number % 2 == 0 else list(reversed(TASKS))
        for label in labels:
            run_once(lm, manager, TASKS[label], args.pairs, totals[label])
        print(f"round {round_number + 1}/{args.rounds} done")

    print(
        f"\nmodel {resolved.name} on {args.device} ({torch.get_num_threads()} threads), "
        f"first {args.pairs} LLMBar Neighbor pairs, batch {args.batch_size}, "
        f"profile {args.profile}, {args.rounds} round(s), data {args.data_dir}"
    )
    print(
        f"{'method':20} {'requests':>8} {'processed tok':>14} {'generated tok':>14} "
        f"{'wall s':>8} {'acc':>6}"
    )
    for label, t in totals.items():
        print(
            f"{label:20} {t.requests:8d} {t.processed_tokens:14d} {t.generated_tokens:14d} "
            f"{t.seconds:8.1f} {t.correct / t.items:6.3f}"
        )
    flip, flipll = totals["FLIP (generative)"], totals["FLIP-likelihood"]
    print(
        f"ratio FLIP / FLIP-likelihood: wall time {flip.seconds / flipll.seconds:.2f}x, "
        f"processed tokens {flip.processed_tokens / flipll.processed_tokens:.2f}x, "
        f"generated tokens {flip.generated_tokens} vs 0"
    )


if __name__ == "__main__":
    main()
