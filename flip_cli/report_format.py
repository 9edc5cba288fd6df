"""What every ``flip report`` shares: its store and output options, and aligned text tables."""

from __future__ import annotations

import argparse
import io
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from flip_cli.commands.store import add_db_option

if TYPE_CHECKING:
    from flip_core.selection import Interval

FORMATS = ("table", "csv", "json")


def add_report(
    kinds: argparse._SubParsersAction,
    name: str,
    summary: str,
    description: str,
    handler: Callable[[argparse.Namespace], int],
) -> argparse.ArgumentParser:
    """Add the report ``flip report NAME`` with the options every report has; returns its
    parser for the report's own options."""
    parser = kinds.add_parser(name, help=summary, description=description)
    add_report_options(parser)
    parser.set_defaults(handler=handler)
    return parser


def add_report_options(parser: argparse.ArgumentParser) -> None:
    """``--db``, ``--benchmark`` (default llmbar) and ``--format`` (table, csv or json)."""
    add_db_option(parser)
    parser.add_argument(
        "--benchmark", default="llmbar", help="rb2, llmbar or demo (default: llmbar)"
    )
    parser.add_argument("--format", choices=FORMATS, default="table")


def no_full_runs(benchmark: str) -> Exception:
    """The error of a report over a store without any full run of ``benchmark``."""
    from flip_store.database import FlipStoreError

    return FlipStoreError(
        f"the store holds no full run of {benchmark} (runs made with --limit are not "
        "reported); store some with `flip ingest`"
    )


def row_fields(row: Any) -> dict[str, Any]:
    """What identifies a reported leaderboard row (model, method, profile, backend, prompt)."""
    return {
        "model": row.model,
        "method": row.method,
        "profile": row.profile,
        "backend": row.backend,
        "prompt_hash": row.prompt_hash,
    }


def interval_fields(interval: Interval | None, name: str = "acc") -> dict[str, Any]:
    """``{name, name_low, name_high, name_n}`` of an interval (None values and n 0 without)."""
    if interval is None:
        return {name: None, f"{name}_low": None, f"{name}_high": None, f"{name}_n": 0}
    return {
        name: interval.value,
        f"{name}_low": interval.low,
        f"{name}_high": interval.high,
        f"{name}_n": interval.n,
    }


def csv_text(records: Sequence[dict[str, Any]]) -> str:
    """Flat records as CSV, text cells neutralised against spreadsheet formulas."""
    import pandas as pd

    from leaderboard.table_view import csv_safe

    buffer = io.StringIO()
    csv_safe(pd.DataFrame.from_records(list(records))).to_csv(buffer, index=False)
    return buffer.getvalue()


def aligned_columns(lines: Sequence[Sequence[str]]) -> str:
    """Rows of cells as left-aligned columns two spaces apart, without trailing spaces."""
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines
    )
