"""``flip report robustness``: each method's paired accuracy drop under every reward-hack probe.

The same numbers as the leaderboard's Robustness tab
(:func:`flip_store.read.robustness.robustness`), printed one line per model, method and probe,
so that a README table or a paper figure can be regenerated from the store with one command.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from flip_cli.percent_text import percent
from flip_cli.report_format import (
    add_report,
    aligned_columns,
    csv_text,
    renderer,
    row_fields,
    selected_rows,
)

if TYPE_CHECKING:
    from flip_store.read.robustness import ProbeDrop, RobustnessRow

DESCRIPTION = (
    "Per model, method and reward-hacking probe (_hack_* runs): strict accuracy on the clean "
    "and the probed run over the items both scored, the drop (clean - probed, in points) with "
    "its paired 95% bootstrap interval, and the exact McNemar p-value. A positive drop means "
    "the probe fooled the method. Runs are the leaderboard's: the newest comparable full run "
    "per model, method, profile and domain, clean and probed alike, pooled over domains."
)


def register(kinds: argparse._SubParsersAction) -> None:
    """Add ``robustness`` under ``flip report``."""
    add_report(
        kinds,
        "robustness",
        "accuracy drop under each reward-hacking probe, per model and method",
        DESCRIPTION,
        run,
    )


def run(args: argparse.Namespace) -> int:
    from flip_core.catalog.benchmarks import benchmark
    from flip_store.database import FlipStoreError, open_engine
    from flip_store.read.robustness import robustness

    benchmark(args.benchmark)  # a one-line error for an unknown name
    rows = robustness(open_engine(args.db, read_only=True), args.benchmark)
    if not rows:
        raise FlipStoreError(
            f"the store holds no probe run of {args.benchmark} beside its clean run; run a "
            f"_hack_* task (e.g. flip_{args.benchmark}_neighbor_hack_pad) and `flip ingest` it"
        )
    rows = selected_rows(args, rows)
    render = renderer(args.format, format_table, format_csv, format_json)
    print(render(args.benchmark, rows), end="")
    return 0


def records(rows: list[RobustnessRow]) -> list[dict[str, Any]]:
    """One flat record per row and probe, accuracies and drops as fractions."""
    return [
        {
            **row_fields(row),
            "probe": probe,
            **_drop_fields(drop),
        }
        for row in rows
        for probe, drop in row.drops.items()
    ]


def _drop_fields(drop: ProbeDrop) -> dict[str, Any]:
    c = drop.comparison
    low, high = drop.drop_interval
    return {
        "n": c.n,
        "acc_clean": c.acc_a,
        "acc_probed": c.acc_b,
        "drop": drop.drop,
        "drop_ci_low": low,
        "drop_ci_high": high,
        "clean_only_right": c.a_only,
        "probed_only_right": c.b_only,
        "mcnemar_p": c.p_value,
        "domains": " ".join(drop.domains),
        "clean_run_ids": " ".join(map(str, drop.clean_run_ids)),
        "probe_run_ids": " ".join(map(str, drop.probe_run_ids)),
    }


def format_table(
    benchmark: str,
    rows: list[RobustnessRow],
    columns: Callable[[Sequence[Sequence[str]]], str] = aligned_columns,
) -> str:
    """Aligned columns; accuracies and drops in % / points, p to two significant digits."""
    header = ["model", "method", "profile", "backend", "probe", "n", "clean", "probed"]
    lines = [[*header, "drop [95% CI]", "p"]]
    for record in records(rows):
        lines.append(
            [
                record["model"],
                record["method"],
                record["profile"],
                record["backend"],
                record["probe"],
                str(record["n"]),
                percent(record["acc_clean"]),
                percent(record["acc_probed"]),
                f"{record['drop'] * 100:+.1f} [{record['drop_ci_low'] * 100:+.1f}, "
                f"{record['drop_ci_high'] * 100:+.1f}]",
                f"{record['mcnemar_p']:.2g}",
            ]
        )
    table = columns(lines)
    title = (
        f"{benchmark}: strict best-of-N accuracy (%) clean and under each probe, on the items "
        "both runs scored"
    )
    note = (
        "drop: clean - probed in points, paired 95% bootstrap interval; p: exact McNemar; "
        "a probe edits the rejected candidates only (flip_core/probes.py)"
    )
    return "\n".join([title, "", table, "", note]) + "\n"


def format_csv(benchmark: str, rows: list[RobustnessRow]) -> str:
    """The records as CSV; text cells cannot run as spreadsheet formulas."""
    return csv_text([{**record, "benchmark": benchmark} for record in records(rows)])


def format_json(benchmark: str, rows: list[RobustnessRow]) -> str:
    return json.dumps({"benchmark": benchmark, "rows": records(rows)}, indent=2) + "\n"
