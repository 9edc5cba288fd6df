"""What every ``flip report`` shares: its store and output options, and aligned text tables."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from flip_cli.commands.store import add_db_option

FORMATS = ("table", "csv", "json")


def add_report_options(parser: argparse.ArgumentParser) -> None:
    """``--db``, ``--benchmark`` (default llmbar) and ``--format`` (table, csv or json)."""
    add_db_option(parser)
    parser.add_argument(
        "--benchmark", default="llmbar", help="rb2, llmbar or demo (default: llmbar)"
    )
    parser.add_argument("--format", choices=FORMATS, default="table")


def aligned_columns(lines: Sequence[Sequence[str]]) -> str:
    """Rows of cells as left-aligned columns two spaces apart, without trailing spaces."""
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines
    )
