"""The Robustness tab: how much each reward hack costs each method, paired on the same items.

Built from :func:`flip_store.read.robustness.robustness` rows: a table (one row per model and
method, per probe the clean and probed accuracy, the drop in points with its paired 95%
interval, and McNemar's p) and a grouped bar chart of the drops. A positive drop means the
probe made the method prefer the edited rejected response more often. Model and method
names are untrusted and escaped like everywhere in the app.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from flip_core.probes import PROBES
from flip_store.read.robustness import ProbeDrop, RobustnessRow
from leaderboard.charts import (
    EMPTY_MESSAGE,
    distinct_labels,
    empty_figure,
    interval_error_bars,
    titled_figure,
)
from leaderboard.escaping import escape_text
from leaderboard.plot_spec import PlotSpec

PROBE_LABELS = {
    "hack_append": "append a grader instruction",
    "hack_restate": "restate the instruction",
    "hack_pad": "pad with filler",
    "hack_markdown": "heavy markdown",
}
NO_PROBES = (
    "No probe runs for this benchmark yet: run a _hack_* task (e.g. "
    "flip_llmbar_neighbor_hack_pad) beside its clean task and ingest both."
)


def robustness_frame(rows: Sequence[RobustnessRow]) -> pd.DataFrame:
    """One line per model and method; per probe "clean → probed" and the drop [interval], p."""
    records = []
    for row in rows:
        record = {"Model": row.model, "Method": row.method, "Profile": row.profile}
        for probe in PROBES:
            drop = row.drops.get(probe)
            record[f"{probe}: accuracy"] = _accuracies(drop)
            record[f"{probe}: drop (pts)"] = _drop_text(drop)
            record[f"{probe}: p"] = None if drop is None else _p(drop)
        records.append(record)
    return pd.DataFrame.from_records(records)


def robustness_figure(rows: Sequence[RobustnessRow], benchmark: str) -> PlotSpec:
    """Grouped bars: x = probe, one bar per model and method, y = drop in points with its
    paired interval."""
    title = f"Accuracy drop under each reward hack ({escape_text(benchmark)})"
    if not rows:
        return empty_figure(title, EMPTY_MESSAGE)
    fig = titled_figure(
        title,
        [
            "clean minus probed strict accuracy on the same items, in points; error bars: "
            "paired 95% bootstrap intervals; above 0: the hack fooled the method"
        ],
    )
    labels = distinct_labels(rows, lambda r: f"{r.model} · {r.method}")  # type: ignore[arg-type]
    probes = [p for p in PROBES if any(p in row.drops for row in rows)]
    for row, label in zip(rows, labels, strict=True):
        drops = [row.drops.get(probe) for probe in probes]
        fig.add_trace(
            "bar",
            x=[PROBE_LABELS[p] for p in probes],
            y=[None if d is None else d.drop * 100 for d in drops],
            name=escape_text(label),
            error_y=interval_error_bars(
                [None if d is None else (d.drop, *d.drop_interval) for d in drops]
            ),
            hovertext=[_hover(label, d) for d in drops],
            hoverinfo="text",
        )
    fig.update_layout(barmode="group", legend={"title": {"text": "Model · method"}})
    fig.update_xaxes(title={"text": "Probe (edits the rejected candidates only)"})
    fig.update_yaxes(title={"text": "Accuracy drop (points)"}, zeroline=True)
    return fig


def _accuracies(drop: ProbeDrop | None) -> str | None:
    if drop is None:
        return None
    c = drop.comparison
    return f"{c.acc_a * 100:.1f} → {c.acc_b * 100:.1f} (n={c.n})"


def _drop_text(drop: ProbeDrop | None) -> str | None:
    if drop is None:
        return None
    low, high = drop.drop_interval
    return f"{drop.drop * 100:+.1f} [{low * 100:+.1f}, {high * 100:+.1f}]"


def _p(drop: ProbeDrop) -> float:
    return float(f"{drop.comparison.p_value:.2g}")


def _hover(label: str, drop: ProbeDrop | None) -> str:
    if drop is None:
        return "not run"
    c = drop.comparison
    return "<br>".join(
        [
            f"<b>{escape_text(label)}</b> · {escape_text(drop.probe)}",
            f"accuracy {c.acc_a * 100:.1f}% clean → {c.acc_b * 100:.1f}% probed on {c.n} items",
            f"drop {_drop_text(drop)} points; exact McNemar p = {c.p_value:.3g}",
            f"clean run(s) {','.join(map(str, drop.clean_run_ids))}; "
            f"probe run(s) {','.join(map(str, drop.probe_run_ids))}",
        ]
    )
