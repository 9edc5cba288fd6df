"""Entry point of the ``flip`` console script: argument parsing and one-line errors."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from flip_cli.commands import (
    cache,
    demo,
    evaluate,
    models,
    paths,
    report,
    rerank,
    score,
    serve,
    store,
    summarize,
)

SUBCOMMANDS = (score, rerank, demo, evaluate, models, paths, summarize, store, report, cache, serve)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flip",
        description="FLIP reward bench: small LMs as reward models by backward inference.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in SUBCOMMANDS:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run a subcommand; a FlipError becomes ``flip: error: ...`` and exit status 2."""
    from flip_core.errors import FlipError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except FlipError as error:
        print(f"flip: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("flip: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``flip runs | head``): stop quietly, as a shell tool does.
        # Python's recipe: point stdout at devnull so the exit flush cannot fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):  # a stdout without a descriptor (captured, embedded)
            pass
        finally:
            os.close(devnull)
        return 141


if __name__ == "__main__":
    sys.exit(main())
