"""``flip score``: FLIP rewards for responses given inline or in a JSON Lines file."""

from __future__ import annotations

import argparse

from flip_cli.scorer_options import add_scorer_arguments, build_scorer


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "score",
        help="score responses to an instruction by prompt reconstruction",
        description=(
            "Score responses with FLIP. Inline: --instruction TEXT --response TEXT "
            "[--response TEXT ...]. From a file: --input FILE.jsonl, one item per line with "
            "'instruction' and 'responses' (optional 'id', 'gold_index'), or RewardBench 2 rows."
        ),
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--instruction", help="the original instruction (inline mode)")
    source.add_argument("--input", help="JSON Lines file of items")
    parser.add_argument(
        "--response", action="append", default=[], help="a response (repeat for several)"
    )
    parser.add_argument("--output", help="write one JSON result row per item here (JSON Lines)")
    add_scorer_arguments(parser, default_profile="default")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from flip_cli.item_report import (
        print_candidate_table,
        print_item_table,
        print_summary,
        score_items,
    )
    from flip_core.atomic_write import write_jsonl_atomically
    from flip_core.errors import FlipInputError
    from flip_core.items import Item, load_items

    if args.input is not None:
        if args.response:
            raise FlipInputError("--response cannot be combined with --input")
        items = load_items(args.input)
    else:
        if not args.response:
            raise FlipInputError("--instruction needs at least one --response")
        items = [Item(id="inline", instruction=args.instruction, candidates=tuple(args.response))]

    rows = score_items(build_scorer(args), items)
    if args.output:
        write_jsonl_atomically(args.output, rows)
    if args.input is None:
        print_candidate_table(rows[0])
    else:
        print_item_table(rows)
        print_summary(rows, items)
    if args.output:
        print(f"\nwrote {len(rows)} result rows to {args.output}")
    return 0
