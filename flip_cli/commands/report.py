"""``flip report``: reports over the results store: ``length`` here, ``robustness``,
``length-control`` and ``leaderboard`` in their own modules."""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from flip_cli.commands import report_leaderboard, report_length_control, report_robustness
from flip_cli.report_format import (
    add_report,
    aligned_columns,
    csv_text,
    no_full_runs,
    renderer,
    row_fields,
    selected_rows,
)

if TYPE_CHECKING:
    from flip_core.length_buckets import LengthBucket
    from flip_core.selection import Interval
    from flip_store.read.length import LengthAccuracyRow, LengthReport

LENGTH_DESCRIPTION = (
    "Strict best-of-N accuracy by quantile bucket of the chosen response's length in words, "
    "per model and method, over the runs the leaderboard shows for a benchmark (the newest "
    "comparable full run per model, method and domain), pooled over its domains. The paper "
    "reports FLIP gaining more over the judges on longer outputs; this table checks that on "
    "the stored runs. The chosen response is the gold candidate, so every row is bucketed on "
    "the same items; ties at a quantile edge stay in the lower bucket, which may leave fewer "
    "buckets than asked for."
)


def register(subparsers: argparse._SubParsersAction) -> None:
    report = subparsers.add_parser(
        "report",
        help="reports over the results store",
        description="Reports over the results store: the board's table with every interval, "
        "accuracy by length of the chosen response, length-controlled accuracy, and accuracy "
        "drops under reward-hacking probes.",
    )
    kinds = report.add_subparsers(dest="report", required=True, metavar="REPORT")
    length = add_report(
        kinds,
        "length",
        "accuracy by quantile bucket of the chosen response's length, per model and method",
        LENGTH_DESCRIPTION,
        run_length,
    )
    # The default is resolved in run_length, so that listing the subcommands imports no numpy.
    length.add_argument(
        "--buckets", type=int, help="number of quantile buckets (default: 4, quartiles)"
    )
    report_robustness.register(kinds)
    report_length_control.register(kinds)
    report_leaderboard.register(kinds)


def run_length(args: argparse.Namespace) -> int:
    from flip_core.errors import FlipConfigError
    from flip_core.length_buckets import DEFAULT_BUCKETS
    from flip_store.database import open_engine
    from flip_store.read.length import length_report

    buckets = DEFAULT_BUCKETS if args.buckets is None else args.buckets
    if buckets < 1:
        raise FlipConfigError(f"--buckets must be >= 1, got {buckets}")
    engine = open_engine(args.db, read_only=True)
    report = length_report(engine, args.benchmark, buckets)
    if not report.rows:
        raise no_full_runs(args.benchmark)
    rows = selected_rows(args, report.rows, _setting)
    report = dataclasses.replace(report, rows=tuple(rows))
    render = renderer(args.format, format_table, format_csv, format_json)
    print(render(report), end="")
    return 0


def _setting(row: LengthAccuracyRow) -> tuple[str | None, str | None]:
    """A length rule's row is a reference row: no backend or profile of a model."""
    return (None, None) if row.kind == "rule" else (row.backend, row.profile)


def format_table(
    report: LengthReport,
    columns: Callable[[Sequence[Sequence[str]]], str] = aligned_columns,
) -> str:
    """One line per model and method, one column per bucket (accuracy in % [95% interval]).

    Two header lines: each bucket's word range, then how many items it holds.
    """
    lines = [
        ["model", "method", "profile", "backend", *(bucket.label for bucket in report.buckets)],
        ["", "", "", "items", *(str(bucket.items) for bucket in report.buckets)],
    ]
    for row in report.rows:
        cells = zip(row.accuracy, report.buckets, strict=True)
        cells_text = [_cell(accuracy, bucket.items) for accuracy, bucket in cells]
        lines.append([row.model, row.method, row.profile, row.backend, *cells_text])
    table = columns(lines)
    title = (
        f"{report.benchmark}: strict best-of-N accuracy in % [95% bootstrap interval] by length "
        f"of the chosen response in words, {report.items} items in {len(report.buckets)} "
        "quantile buckets"
    )
    notes = [
        "runs: the leaderboard's (newest comparable full run per model, method and domain), "
        "pooled over domains; n=K: the run has a verdict on only K of the bucket's items"
    ]
    if len(report.buckets) < report.requested_buckets:
        notes.append(
            f"{report.requested_buckets} buckets asked for: ties at the quantile edges merged "
            f"them into {len(report.buckets)}"
        )
    return "\n".join([title, "", table, "", *notes]) + "\n"


def _cell(accuracy: Interval | None, bucket_items: int) -> str:
    if accuracy is None:
        return "-"
    partial = f" n={accuracy.n}" if accuracy.n < bucket_items else ""
    return accuracy.format() + partial


def format_csv(report: LengthReport) -> str:
    """One line per row and bucket, accuracies as fractions; text cells cannot run as formulas."""
    records = [
        {
            **_row_fields(row),
            "run_ids": " ".join(str(run_id) for run_id in row.run_ids),
            **_bucket_fields(bucket),
            **_accuracy_fields(accuracy),
        }
        for row in report.rows
        for bucket, accuracy in zip(report.buckets, row.accuracy, strict=True)
    ]
    return csv_text(records)


def format_json(report: LengthReport) -> str:
    """The report as one JSON object: the buckets, then each row's accuracy per bucket."""
    document = {
        "benchmark": report.benchmark,
        "requested_buckets": report.requested_buckets,
        "items": report.items,
        "buckets": [_bucket_fields(bucket) for bucket in report.buckets],
        "rows": [
            {
                **_row_fields(row),
                "accuracy": [None if a is None else _accuracy_fields(a) for a in row.accuracy],
            }
            for row in report.rows
        ],
    }
    return json.dumps(document, indent=2) + "\n"


def _row_fields(row: LengthAccuracyRow) -> dict[str, Any]:
    return {"kind": row.kind, **row_fields(row), "run_ids": list(row.run_ids)}


def _bucket_fields(bucket: LengthBucket) -> dict[str, Any]:
    return {
        "bucket": bucket.label,
        "min_words": bucket.min_words,
        "max_words": bucket.max_words,
        "bucket_items": bucket.items,
    }


def _accuracy_fields(accuracy: Interval | None) -> dict[str, Any]:
    if accuracy is None:
        return {"n": 0, "acc": None, "ci_low": None, "ci_high": None}
    return {
        "n": accuracy.n,
        "acc": accuracy.value,
        "ci_low": accuracy.low,
        "ci_high": accuracy.high,
    }
