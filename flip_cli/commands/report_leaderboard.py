"""``flip report leaderboard``: the board's table as text, CSV or JSON, with every interval.

The rows are the Leaderboard tab's (:func:`leaderboard.board_rows.board_rows`: the newest
comparable run per model, method, profile, backend and domain, FLIP's gain over the best judge
of the same model with its exact McNemar test, and the reference rows), sorted by the Average
as the tab sorts them. The tab shows numbers only; this report adds each domain's 95%
interval and the pooled accuracy over all items, so a README table or a paper's table is one
command over the store.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from flip_cli.percent_text import percent, percent_interval
from flip_cli.report_format import (
    add_report,
    aligned_columns,
    csv_text,
    no_full_runs,
    renderer,
    selected_rows,
)

if TYPE_CHECKING:
    from flip_core.selection import Interval
    from leaderboard.board import BoardRow, Score

DESCRIPTION = (
    "The Leaderboard tab's rows for a benchmark: per model, method, profile and backend, each "
    "domain's strict accuracy with its 95% bootstrap interval, the Average (plain mean of the "
    "domains, the sort key) with its interval (items resampled within each domain), the pooled "
    "accuracy over all items with its interval, FLIP's relative gain over the best judge of the "
    "same model with the exact McNemar p-value on the items both scored, parse failures, finished "
    "calls, the judges' answers naming the response shown first (position bias), generated tokens "
    "and forward passes per item; then the reference rows (chance, length rules, reported "
    "numbers)."
)
RATE_METRICS = ("parse_fail_rate", "finished_rate", "first_shown_rate")
"""Per-call rates of a row (in %): parse failures, calls finished by themselves, and a judge's
answers naming the candidate shown first (position bias)."""
COST_METRICS = ("generated_tokens_per_item", "forward_passes_per_item")


def register(kinds: argparse._SubParsersAction) -> None:
    """Add ``leaderboard`` under ``flip report``."""
    parser = add_report(
        kinds, "leaderboard", "the board's table with every interval", DESCRIPTION, run
    )
    parser.add_argument(
        "--domains", default="", help="comma-separated domains (default: the board's domains)"
    )


def run(args: argparse.Namespace) -> int:
    from flip_core.catalog.benchmarks import benchmark
    from flip_store.database import open_engine
    from leaderboard.board import RowKind
    from leaderboard.board_rows import board_rows
    from leaderboard.store_reader import StoreReader
    from leaderboard.table_view import shown_domains, sort_rows

    spec = benchmark(args.benchmark)  # a one-line error for an unknown name
    chosen = [d.strip() for d in args.domains.split(",") if d.strip()]
    for name in chosen:
        spec.domain(name)
    domains = shown_domains(args.benchmark, chosen)
    reader = StoreReader(open_engine(args.db, read_only=True))
    rows = sort_rows(board_rows(reader, args.benchmark, domains))
    if not any(row.kind is RowKind.MODEL for row in rows):
        raise no_full_runs(args.benchmark)
    rows = selected_rows(args, rows)
    render = renderer(args.format, format_table, format_csv, format_json)
    print(render(rows, domains), end="")
    return 0


def records(rows: Sequence[BoardRow], domains: Sequence[str]) -> list[dict[str, Any]]:
    """One flat record per row; accuracies and rates as fractions."""
    return [_record(row, domains) for row in rows]


def _record(row: BoardRow, domains: Sequence[str]) -> dict[str, Any]:
    identity = {"kind": row.kind.value, "model": row.name, "method": row.method}
    setting = {"parameters": row.parameters, "profile": row.profile, "backend": row.backend}
    cells = {k: v for d in domains for k, v in _cell_fields(row.cells.get(d), d).items()}
    pooled = pooled_accuracy(row, domains)
    average = average_interval(row, domains)
    summary = {
        "average": row.average,
        "average_low": average.low if average else None,
        "average_high": average.high if average else None,
        "pooled": pooled.value if pooled else None,
        "pooled_low": pooled.low if pooled else None,
        "pooled_high": pooled.high if pooled else None,
        "pooled_n": pooled.n if pooled else None,
        "best_judge": row.gain.judge.method if row.gain else None,
        "flip_gain_percent": row.gain.relative if row.gain else None,
        "flip_gain_p": row.gain.p_value if row.gain else None,
    }
    costs = {name: row.metric(name) for name in (*RATE_METRICS, *COST_METRICS)}
    return identity | setting | cells | summary | costs


def _cell_fields(cell: Score | None, domain: str) -> dict[str, Any]:
    """A domain's accuracy, interval and items (None where the row has no such cell)."""
    if cell is None:
        return dict.fromkeys((domain, f"{domain}_low", f"{domain}_high", f"{domain}_n"))
    return {
        domain: cell.value,
        f"{domain}_low": cell.ci_low,
        f"{domain}_high": cell.ci_high,
        f"{domain}_n": cell.n,
    }


def _counted_cells(row: BoardRow, domains: Sequence[str]) -> list[Score] | None:
    """The row's cells of ``domains`` when it has each of them with its item count."""
    cells = [cell for domain in domains if (cell := row.cells.get(domain)) and cell.n]
    return cells if cells and len(cells) == len(domains) else None


def _expected_value(cells: Sequence[Score]) -> bool:
    """Whether the cells are expected values (chance), not counts of correct items."""
    return all(cell.ci_low == cell.ci_high == cell.value for cell in cells)


def pooled_accuracy(row: BoardRow, domains: Sequence[str]) -> Interval | None:
    """Accuracy over every item of the row's domains (each domain weighed by its items, unlike
    the Average), with the same bootstrap interval as a cell's; None unless the row has every
    domain with its item count."""
    from flip_core.selection import Interval, binary_bootstrap_interval

    cells = _counted_cells(row, domains)
    if cells is None:
        return None
    n = sum(cell.n or 0 for cell in cells)
    if len(cells) == 1 and cells[0].ci_low is not None and cells[0].ci_high is not None:
        return Interval(cells[0].value, cells[0].ci_low, cells[0].ci_high, n)  # the cell itself
    if _expected_value(cells):
        mean = sum(cell.value * (cell.n or 0) for cell in cells) / n
        return Interval(mean, mean, mean, n)  # no spread
    return binary_bootstrap_interval(sum(round(cell.value * (cell.n or 0)) for cell in cells), n)


def average_interval(row: BoardRow, domains: Sequence[str]) -> Interval | None:
    """The Average (plain mean of the domains) with its stratified bootstrap interval
    (:func:`flip_core.selection.mean_rate_interval`: items resampled within each domain);
    None unless the row has every domain with its item count (reported rows have none)."""
    from flip_core.selection import Interval, mean_rate_interval

    cells = _counted_cells(row, domains)
    if cells is None:
        return None
    if len(cells) == 1:
        return pooled_accuracy(row, domains)  # the cell itself
    n = sum(cell.n or 0 for cell in cells)
    if _expected_value(cells):
        mean = sum(cell.value for cell in cells) / len(cells)
        return Interval(mean, mean, mean, n)
    return mean_rate_interval([(round(cell.value * (cell.n or 0)), cell.n or 0) for cell in cells])


def format_table(
    rows: Sequence[BoardRow],
    domains: Sequence[str],
    columns: Callable[[Sequence[Sequence[str]]], str] = aligned_columns,
) -> str:
    header = ["model", "method", "backend", "profile", *domains, "average", "pooled"]
    header += ["gain vs best judge", "parse fail", "finished", "first shown"]
    header += ["tokens/item", "passes/item"]
    lines = [header]
    for record in records(rows, domains):
        lines.append(
            [
                record["model"],
                record["method"] or "-",
                record["backend"] or "-",
                record["profile"] or "-",
                *(_interval(record, d) for d in domains),
                _interval(record, "average"),
                _interval(record, "pooled"),
                _gain(record),
                *(percent(record[m]) for m in RATE_METRICS),
                *(_number(record[m]) for m in COST_METRICS),
            ]
        )
    note = (
        "\naccuracies and rates in %, strict best-of-N [95% bootstrap interval]; average: plain "
        "mean of the domains (the sort key; its interval resamples items within each domain); "
        "pooled: all items; gain: relative to the best judge of the same model, profile and "
        "backend, p: exact McNemar on the items both scored; first shown: a judge's parsed answers"
        " naming the response shown first (near 50 on pairs without position bias)\n"
    )
    return columns(lines) + "\n" + note


def format_csv(rows: Sequence[BoardRow], domains: Sequence[str]) -> str:
    return csv_text(records(rows, domains))


def format_json(rows: Sequence[BoardRow], domains: Sequence[str]) -> str:
    return json.dumps(records(rows, domains), indent=2) + "\n"


def _interval(record: dict[str, Any], name: str) -> str:
    low, high = record[f"{name}_low"], record[f"{name}_high"]
    bounds = None if low is None or high is None else (low, high)
    return percent_interval(record[name], bounds)


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _gain(record: dict[str, Any]) -> str:
    if record["flip_gain_percent"] is None:
        return "-"
    p = record["flip_gain_p"]
    tested = "" if p is None else f", p = {p:.2g}"
    return f"{record['flip_gain_percent']:+.1f}% vs {record['best_judge']}{tested}"
