"""``flip summarize PATH``: accuracy tables straight from lm-eval output folders.

Every score is recomputed from the logged raw outputs with flip_core (metric values in the
files are not used), so the table is what the results store will hold. Per task: strict
best-of-N accuracy with a 95% bootstrap interval, tie-aware accuracy, parse failures, and the
chance and length baselines on the same items; per method and benchmark: the plain mean of the
domains (as the paper reports) and the accuracy pooled over all items.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "summarize",
        help="accuracy tables from lm-eval output folders, re-scored from raw outputs",
        description=__doc__,
    )
    parser.add_argument("path", help="an lm-eval --output_path folder (searched recursively)")
    parser.set_defaults(handler=run)


def _limit_of(samples_file: Path) -> float | None:
    """The ``--limit`` of the run that wrote a samples file (its results file sits beside it)."""
    from flip_core.errors import FlipInputError
    from harness_tasks.lm_eval_output import read_results, results_file_of

    results = results_file_of(samples_file)
    if results is None:
        return None
    try:
        return read_results(results).config.limit
    except FlipInputError:
        return None


def run(args: argparse.Namespace) -> int:
    print_summary(Path(args.path))
    return 0


def print_summary(root: Path) -> None:
    """The per-task and per-method tables for every newest samples file below ``root``."""
    from flip_core.baselines import reference_points
    from flip_core.catalog.variants import SAMPLED
    from flip_core.errors import FlipInputError
    from flip_core.logged_samples import read_samples
    from flip_core.sampled import SAMPLED_METRICS
    from flip_core.selection import best_of_n_accuracy, bootstrap_interval, is_strictly_correct
    from harness_tasks.lm_eval_output import newest_samples_files

    if not root.is_dir():
        raise FlipInputError(f"{root} is not a folder")
    files = newest_samples_files(root)
    if not files:
        raise FlipInputError(f"no samples_*.jsonl files below {root} (run lm_eval --log_samples)")

    header = (
        f"{'task':34} {'n':>4}  {'acc [95% CI]':22} {'tie-aware':>9} {'parse fail':>10}  "
        f"{'chance':>6} {'longest':>7} {'shortest':>8}"
    )
    print(header)
    per_group: dict[tuple[str, str, str], list[tuple[float, list[float]]]] = defaultdict(list)
    sampled_lines: list[str] = []
    for task, path in files.items():
        samples = list(read_samples(path))
        if not samples:
            raise FlipInputError(f"{path} holds no samples")
        items = [sample.item for sample in samples]
        scored = [sample.rescore() for sample in samples]
        golds = [item.gold_index for item in items]
        accuracy = best_of_n_accuracy([s.scores for s in scored], golds)
        reference = reference_points([i.candidates for i in items], golds)
        parse_fail = sum(s.parse_fail_rate for s in scored) / len(scored)
        limited = " (limited)" if _limit_of(path) is not None else ""
        print(
            f"{task + limited:34} {len(items):>4}  {accuracy.strict.format():22} "
            f"{accuracy.tie_aware.value * 100:9.1f} {parse_fail * 100:10.1f}  "
            f"{reference.chance * 100:6.1f} {reference.longest * 100:7.1f} "
            f"{reference.shortest * 100:8.1f}"
        )
        doc = samples[0].doc
        variant = doc.get("variant", "none")
        if variant == SAMPLED:
            sampled_lines.append(_sampled_line(task, samples))
        strict_values = [
            float(is_strictly_correct(s.scores, gold))
            for s, gold in zip(scored, golds, strict=True)
        ]
        group = (doc["method"], doc["benchmark"], variant)
        per_group[group].append((accuracy.strict.value, strict_values))

    print("\nper method and benchmark (domain mean = plain mean of domains; pooled = all items)")
    for (method, benchmark, variant), domains in sorted(per_group.items()):
        domain_mean = sum(value for value, _ in domains) / len(domains)
        pooled = bootstrap_interval([v for _, values in domains for v in values])
        name = f"{method}_{benchmark}" + ("" if variant == "none" else f"_{variant}")
        print(
            f"{name:34} domains {len(domains)}  domain mean "
            f"{domain_mean * 100:.1f}  pooled {pooled.format()} (n={pooled.n})"
        )
    if sampled_lines:
        print(
            "\nsampled FLIP: strict accuracy [95% CI] with the mean F1 of the first k samples "
            "(k=5 is acc) and with the best F1 of the first k"
        )
        print(f"{'task':34} " + " ".join(f"{name:22}" for name in SAMPLED_METRICS))
        print("\n".join(sampled_lines))
    print("(accuracy in %: strict best-of-N, the chosen must score strictly above every rejected)")


def _sampled_line(task: str, samples: list[Any]) -> str:
    """One sampled task's accuracy under every k-sample rule of :mod:`flip_core.sampled`."""
    from flip_core.logged_samples import document_method
    from flip_core.sampled import SAMPLED_METRICS
    from flip_core.selection import bootstrap_interval

    method = document_method(samples[0].doc)
    per_item = [method.item_metrics(s.item, s.rescore(), s.outputs, sampled=True) for s in samples]
    cells = [bootstrap_interval([m[name] for m in per_item]).format() for name in SAMPLED_METRICS]
    return f"{task:34} " + " ".join(f"{cell:22}" for cell in cells)
