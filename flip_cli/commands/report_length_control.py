"""``flip report length-control``: which methods beat the length rules once length is
controlled (:mod:`flip_store.read.length_control`), one line per model, method, profile and
backend."""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from flip_cli.percent_text import percent_interval
from flip_cli.report_format import (
    add_report,
    aligned_columns,
    backend_and_profile,
    csv_text,
    interval_fields,
    no_full_runs,
    renderer,
    row_fields,
    selected_rows,
)

if TYPE_CHECKING:
    from flip_core.selection import Interval
    from flip_store.read.length_control import LengthControlReport, LengthControlRow

DESCRIPTION = (
    "Per model, method and profile, pooled over the domains of the leaderboard's runs: strict "
    "accuracy, accuracy on the pairs where the always-shortest (always-longest) rule is wrong, "
    "and the length-controlled accuracy (logistic regression of the verdict on the chosen-vs-"
    "rejected log length ratio; the accuracy expected if which response is longer were a coin "
    "flip) with its slope, each with a 95%% bootstrap interval. A length rule is at chance once "
    "length is controlled, so 'beats length rules' means the controlled accuracy's interval "
    "lies above chance. docs/conventions.md defines every figure."
)


def register(kinds: argparse._SubParsersAction) -> None:
    """Add ``length-control`` under ``flip report``."""
    parser = add_report(
        kinds,
        "length-control",
        "length-controlled accuracy and the length-adversarial subsets, per model and method",
        DESCRIPTION,
        run,
    )
    parser.add_argument(
        "--resamples", type=int, help="bootstrap refits per row (default: 1000, the library's)"
    )


def run(args: argparse.Namespace) -> int:
    from flip_store.database import open_engine
    from flip_store.read.length_control import length_control_report

    report = length_control_report(
        open_engine(args.db, read_only=True), args.benchmark, args.resamples
    )
    if not report.rows:
        raise no_full_runs(args.benchmark)
    rows = selected_rows(args, report.rows, lambda r: backend_and_profile(r.row))
    report = dataclasses.replace(report, rows=tuple(rows))
    render = renderer(args.format, format_table, format_csv, format_json)
    print(render(report), end="")
    return 0


def _subset(accuracy: Interval | None) -> str:
    return "-" if accuracy is None else f"{accuracy.format()} n={accuracy.n}"


def _verdict(row: LengthControlRow) -> str:
    beats = row.beats_length_rules
    if beats is None:
        return f"no fit ({row.controlled.status})" if not row.controlled.fitted else "no interval"
    return "yes" if beats else "no"


def format_table(
    report: LengthControlReport,
    columns: Callable[[Sequence[Sequence[str]]], str] = aligned_columns,
) -> str:
    lines = [
        [
            "model",
            "method",
            "profile",
            "backend",
            "n",
            "accuracy",
            "where shortest wrong",
            "where longest wrong",
            "length-controlled",
            "slope",
            "beats length rules",
        ]
    ]
    for row in report.rows:
        c = row.controlled
        lines.append(
            [
                row.row.model,
                row.row.method,
                row.row.profile,
                row.row.backend,
                str(c.n),
                "-" if c.raw is None else c.raw.format(),
                _subset(row.where_shortest_wrong),
                _subset(row.where_longest_wrong),
                percent_interval(c.balanced, c.balanced_interval),
                "-" if c.slope is None else _slope(c.slope, c.slope_interval),
                _verdict(row),
            ]
        )
    rules = "; ".join(
        f"{rule.label} {'-' if rule.accuracy is None else rule.accuracy.format()}"
        for rule in report.rules
    )
    notes = [
        f"accuracies in % [95% bootstrap interval]; regression refitted on {report.resamples} "
        "resamples; slope: change in log-odds of a correct verdict per unit of log length ratio "
        "(< 0: the method favours the shorter response)",
        f"the length rules on the same items: {rules}; once length is controlled both are at "
        "chance",
    ]
    title = (
        f"{report.benchmark}: length-controlled accuracy, pooled over each row's domains "
        "(the leaderboard's runs)"
    )
    return "\n".join([title, "", columns(lines), "", *notes]) + "\n"


def _slope(slope: float, bounds: tuple[float, float] | None) -> str:
    if bounds is None:
        return f"{slope:+.2f}"
    return f"{slope:+.2f} [{bounds[0]:+.2f}, {bounds[1]:+.2f}]"


def records(report: LengthControlReport) -> list[dict[str, Any]]:
    """One flat record per row, fractions rather than percentages."""
    return [
        {
            **row_fields(row.row),
            "run_ids": list(row.run_ids),
            "domains": list(row.domains),
            "chance": row.chance,
            **interval_fields(row.where_shortest_wrong, "where_shortest_wrong"),
            **interval_fields(row.where_longest_wrong, "where_longest_wrong"),
            **row.controlled.to_dict(),
            "beats_length_rules": row.beats_length_rules,
        }
        for row in report.rows
    ]


def format_csv(report: LengthControlReport) -> str:
    """Flat columns (intervals as ``_low``/``_high``); text cells cannot run as formulas."""
    flat = []
    for record in records(report):
        raw = record.pop("raw") or {}
        record.update({f"raw_{key}": value for key, value in raw.items()})
        for key in ("balanced_interval", "at_equal_length_interval", "slope_interval"):
            low, high = record.pop(key) or (None, None)
            record[f"{key}_low"], record[f"{key}_high"] = low, high
        record["run_ids"] = " ".join(str(run) for run in record["run_ids"])
        record["domains"] = " ".join(record["domains"])
        flat.append(record)
    return csv_text(flat)


def format_json(report: LengthControlReport) -> str:
    document = {
        "benchmark": report.benchmark,
        "resamples": report.resamples,
        "rows": records(report),
        "length_rules": [
            {
                "rule": rule.rule,
                "label": rule.label,
                **interval_fields(rule.accuracy, "accuracy"),
            }
            for rule in report.rules
        ],
    }
    return json.dumps(document, indent=2) + "\n"
