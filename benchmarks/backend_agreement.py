"""Do two backends give the same science? The same tasks, the same GGUF file, two backends.

Reads two lm-eval output folders of the same tasks (one per backend, e.g. the committed hf
runs of the bundled model and its llama.cpp runs) and prints, per task pair:

- FLIP-likelihood (``flipll_*``): the share of items whose pair decision (which candidate the
  summed log-probability ranks first) agrees, against the target of at least 95%, and the mean
  absolute per-token difference of the two backends' log-probabilities (the summed difference
  of each request divided by its continuation's token count, averaged over requests);
- generative tasks: each side's parse-failure rate and accuracy (target: parse rates within 5
  points), how many raw outputs are identical, and the calls that fail to parse on one
  backend only, each way, with an exact McNemar test (both backends answered the same calls,
  so a difference in parse rates can be told from chance).

Every number is recomputed from the raw outputs with flip_core, as the store does.

    FLIP_DATA_DIR=../shared/data .venv/bin/python benchmarks/backend_agreement.py \\
        results/raw/llmbar-smollm2-135m-cpu results/raw/llmbar-smollm2-135m-cpu-llamacpp
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from flip_core.logged_samples import LoggedSample, document_method, read_samples
from flip_core.paired import mcnemar_exact
from flip_core.selection import is_strictly_correct, top_indices
from harness_tasks.lm_eval_output import newest_samples_files

AGREEMENT_TARGET = 0.95
PARSE_RATE_TOLERANCE = 0.05


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first", type=Path, help="lm-eval output folder of one backend")
    parser.add_argument("second", type=Path, help="the same tasks from another backend")
    parser.add_argument(
        "--tokenizer", help="HF tokenizer folder for per-token figures (default: the bundled)"
    )
    args = parser.parse_args(argv)
    first, second = newest_samples_files(args.first), newest_samples_files(args.second)
    shared = sorted(set(first) & set(second))
    if not shared:
        print("the two folders share no task", file=sys.stderr)
        return 2
    tokenizer = _tokenizer(args.tokenizer)
    print(f"{args.first}  vs  {args.second}\n")
    for task in shared:
        a = {s.item.id: s for s in read_samples(first[task])}
        b = {s.item.id: s for s in read_samples(second[task])}
        items = sorted(set(a) & set(b))
        method = document_method(a[items[0]].doc)
        if method.generative:
            _generative(task, [a[i] for i in items], [b[i] for i in items])
        else:
            _likelihood(task, [a[i] for i in items], [b[i] for i in items], tokenizer)
    return 0


def _likelihood(task: str, a: list[LoggedSample], b: list[LoggedSample], tokenizer) -> None:  # type: ignore[no-untyped-def]
    agree = 0
    per_token: list[float] = []
    for left, right in zip(a, b, strict=True):
        scores_a, scores_b = left.rescore().scores, right.rescore().scores
        agree += top_indices(scores_a) == top_indices(scores_b)
        units = len(tokenizer(left.continuations[0], add_special_tokens=False)["input_ids"])
        for call_a, call_b in zip(left.outputs, right.outputs, strict=True):
            per_token.append(abs(call_a[0][0] - call_b[0][0]) / units)
    rate = agree / len(a)
    verdict = "meets" if rate >= AGREEMENT_TARGET else "misses"
    print(
        f"{task}: {len(a)} items; pair decisions agree on {agree} ({rate * 100:.1f}%, "
        f"{verdict} the {AGREEMENT_TARGET * 100:.0f}% target); mean |logp difference| per "
        f"token {sum(per_token) / len(per_token):.4f} nats over {len(per_token)} requests"
    )


def _generative(task: str, a: list[LoggedSample], b: list[LoggedSample]) -> None:
    def summary(samples: list[LoggedSample]) -> tuple[float, float]:
        scored = [s.rescore() for s in samples]
        failed = sum(s.parse_fail_rate for s in scored) / len(scored)
        correct = sum(
            is_strictly_correct(s.scores, sample.item.gold_index)
            for s, sample in zip(scored, samples, strict=True)
        )
        return failed, correct / len(samples)

    (fail_a, acc_a), (fail_b, acc_b) = summary(a), summary(b)
    same = sum(
        out_a == out_b
        for left, right in zip(a, b, strict=True)
        for out_a, out_b in zip(left.outputs, right.outputs, strict=True)
    )
    calls = sum(len(sample.outputs) for sample in a)
    only_a, only_b = _discordant_failures(a, b)
    gap = abs(fail_a - fail_b)
    verdict = "within" if gap <= PARSE_RATE_TOLERANCE else "outside"
    print(
        f"{task}: {len(a)} items; parse failures {fail_a * 100:.1f}% vs {fail_b * 100:.1f}% "
        f"({gap * 100:.1f} points, {verdict} the {PARSE_RATE_TOLERANCE * 100:.0f}-point "
        f"tolerance); accuracy {acc_a * 100:.1f}% vs {acc_b * 100:.1f}%; identical raw "
        f"outputs {same} of {calls}; calls failing on one side only: {only_a} vs {only_b} "
        f"(exact McNemar p = {mcnemar_exact(only_a, only_b):.2g})"
    )


def _discordant_failures(a: list[LoggedSample], b: list[LoggedSample]) -> tuple[int, int]:
    """Calls whose output failed to parse on the first backend only, and on the second only:
    a paired look at the parse rates, since both backends answered the same calls."""
    failed_a = [call.failed for sample in a for call in sample.rescore().calls]
    failed_b = [call.failed for sample in b for call in sample.rescore().calls]
    only_a = sum(x and not y for x, y in zip(failed_a, failed_b, strict=True))
    only_b = sum(y and not x for x, y in zip(failed_a, failed_b, strict=True))
    return only_a, only_b


def _tokenizer(folder: str | None):  # type: ignore[no-untyped-def]
    from transformers import AutoTokenizer

    from flip_core.models import bundled_model_dir

    return AutoTokenizer.from_pretrained(folder or str(bundled_model_dir()))


if __name__ == "__main__":
    sys.exit(main())
