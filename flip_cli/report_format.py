"""What every ``flip report`` shares: its store, selection and output options, and text tables
(aligned columns for a terminal, Markdown for a README)."""

from __future__ import annotations

import argparse
import functools
import html
import io
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from flip_cli.commands.store import add_db_option

if TYPE_CHECKING:
    from flip_core.selection import Interval

FORMATS = ("table", "markdown", "csv", "json")
T = TypeVar("T")


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
    """``--db``, ``--benchmark`` (default llmbar), ``--backend`` and ``--profile`` (which model
    rows), and ``--format`` (table, markdown, csv or json)."""
    add_db_option(parser)
    parser.add_argument(
        "--benchmark", default="llmbar", help="rb2, llmbar or demo (default: llmbar)"
    )
    parser.add_argument(
        "--backend", help="only model rows of this backend (hf, llamacpp, vllm); references stay"
    )
    parser.add_argument("--profile", help="only model rows of this decoding profile")
    parser.add_argument("--format", choices=FORMATS, default="table")


Setting = tuple[str | None, str | None]
"""A row's (backend, profile); (None, None) for a reference row (a rule, a reported number)."""


def backend_and_profile(row: Any) -> Setting:
    """The setting of a row that carries ``backend`` and ``profile`` (None on references)."""
    return row.backend, row.profile


def selected_rows(
    args: argparse.Namespace,
    rows: Sequence[T],
    setting: Callable[[T], Setting] = backend_and_profile,
) -> list[T]:
    """The rows ``--backend`` and ``--profile`` keep (reference rows always stay); a one-line
    error where they leave no model row."""

    def matches(chosen: str | None, value: str | None) -> bool:
        return chosen is None or value is None or value == chosen

    def kept(row: T) -> bool:
        backend, profile = setting(row)
        return matches(args.backend, backend) and matches(args.profile, profile)

    chosen = [row for row in rows if kept(row)]
    if (args.backend or args.profile) and not any(setting(row) != (None, None) for row in chosen):
        from flip_store.database import FlipStoreError

        asked = " and ".join(
            f"{name} {value}"
            for name, value in (("backend", args.backend), ("profile", args.profile))
            if value
        )
        raise FlipStoreError(
            f"no {args.benchmark} row of the store has {asked}; `flip runs` lists the stored runs"
        )
    return chosen


def renderer(
    fmt: str, table: Callable[..., str], csv: Callable[..., str], json: Callable[..., str]
) -> Callable[..., str]:
    """The report's renderer for ``--format``: its table as aligned columns or as Markdown
    (the same cells; ``table`` takes ``columns=``), its CSV or its JSON."""
    if fmt == "markdown":
        return functools.partial(table, columns=markdown_table)
    return {"table": table, "csv": csv, "json": json}[fmt]


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


def markdown_table(lines: Sequence[Sequence[str]]) -> str:
    """Rows of cells as a Markdown table, the first row its header. Cells are escaped, since a
    model name comes from whoever submitted it: HTML (``<``, ``>``, ``&``) as entities, and
    ``|``, a backslash or a line break cannot break the table."""

    def cell(text: str) -> str:
        escaped = html.escape(text, quote=False).replace("\\", "\\\\").replace("|", "\\|")
        return " ".join(escaped.split()) or " "

    header, *body = lines
    rows = [header, ["---"] * len(header), *body]
    return "\n".join("| " + " | ".join(cell(c) for c in row) + " |" for row in rows)
