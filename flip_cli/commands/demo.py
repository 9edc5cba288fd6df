"""``flip demo``: the main job on embedded defaults, runnable offline on two CPU cores.

Scores the bundled demo set (24 hand-written items in RewardBench 2's schema) with the bundled
SmolLM2-135M-Instruct in the ``cpu`` profile, and prints per-item rewards and best-of-4
accuracy beside chance and the length baselines.
"""

from __future__ import annotations

import argparse

from flip_cli.scorer_options import add_scorer_arguments


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="score the bundled demo set with the bundled model (offline, CPU)",
        description=__doc__,
    )
    parser.add_argument("--limit", type=int, help="score only the first N demo items")
    parser.add_argument("--output", help="write one JSON result row per item here (JSON Lines)")
    add_scorer_arguments(parser, default_profile="cpu")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from flip_cli.item_report import print_item_table, print_summary, score_items
    from flip_cli.scorer_options import build_scorer
    from flip_core.atomic_write import write_jsonl_atomically
    from flip_core.errors import FlipConfigError
    from flip_core.items import demo_items

    items = demo_items()
    if args.limit is not None:
        if args.limit < 1:
            raise FlipConfigError(f"--limit must be >= 1, got {args.limit}")
        items = items[: args.limit]
    scorer = build_scorer(args)
    profile = scorer.profile
    print(
        f"FLIP demo: {len(items)} demo items (written for this project, not RewardBench 2), "
        f"model {scorer.generator.model_name}, profile {profile.name} "
        f"(max {profile.max_new_tokens} new tokens, batch {profile.batch_size})"
    )
    rows = score_items(scorer, items)
    print_item_table(rows)
    print_summary(rows, items)
    if args.output:
        write_jsonl_atomically(args.output, rows)
        print(f"\nwrote {len(rows)} result rows to {args.output}")
    return 0
