"""``flip leaderboard``: serve the Gradio leaderboard over a results store (read-only)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "leaderboard", help="serve the leaderboard web app over the results store"
    )
    parser.add_argument("--db", help="SQLAlchemy URL (default: sqlite:///results/flip.db)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7860)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from leaderboard.app import serve

    print(f"serving the leaderboard on http://{args.host}:{args.port} (Ctrl-C stops it)")
    serve(args.db, args.host, args.port, block=True)
    return 0
