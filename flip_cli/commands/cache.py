"""``flip cache seed``: fill lm-eval's response cache from finished runs.

A probe run (``_hack_*`` tasks) changes only the rejected candidates; seeded from the clean
run's samples, lm-eval's ``--use_cache`` answers every unchanged request from the clean run
and asks the model only about the edited ones (:mod:`harness_tasks.response_cache`)::

    flip cache seed results/raw/llmbar-smollm2-135m-cpu/flip_llmbar_neighbor --cache C
    lm_eval ... --tasks flip_llmbar_neighbor_hack_pad --use_cache C
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    cache = subparsers.add_parser(
        "cache", help="lm-eval response cache: seed it from finished runs", description=__doc__
    )
    actions = cache.add_subparsers(dest="action", required=True, metavar="ACTION")
    seed = actions.add_parser(
        "seed",
        help="write the logged answers of lm-eval samples files into a response cache",
        description=__doc__,
    )
    seed.add_argument(
        "sources", nargs="+", type=Path, help="lm-eval output folders or samples_*.jsonl files"
    )
    seed.add_argument(
        "--cache", required=True, help="the prefix given to lm_eval --use_cache (same string)"
    )
    seed.add_argument("--rank", type=int, default=0, help="the lm-eval rank (default 0)")
    seed.set_defaults(handler=run_seed)


def run_seed(args: argparse.Namespace) -> int:
    from flip_core.errors import FlipInputError
    from harness_tasks.response_cache import cache_file, seed_cache

    missing = [str(source) for source in args.sources if not source.exists()]
    if missing:
        raise FlipInputError(f"{missing[0]} does not exist")
    report = seed_cache(args.sources, args.cache, args.rank)
    print(
        f"seeded {cache_file(args.cache, args.rank)}: {report.written} answers from "
        f"{report.files} samples file(s); {report.skipped_sampled} sampled request(s) skipped "
        "(lm-eval never caches those)"
    )
    return 0
