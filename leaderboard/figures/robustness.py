"""The Robustness tab's figure: how much each reward hack costs each method, paired by item.

Grouped bars from :func:`flip_store.read.robustness.robustness` rows: x = probe, a bar per
model and method, y = the accuracy drop in points with its paired 95% interval. A positive
drop means the probe made the method prefer the edited rejected response more often.
"""

from __future__ import annotations

from collections.abc import Sequence

from flip_core.probes import PROBES
from flip_store.read.robustness import ProbeDrop, RobustnessRow
from leaderboard.catalog import method_label
from leaderboard.escaping import escape_text
from leaderboard.figures.plot_spec import PlotSpec
from leaderboard.figures.style import (
    EMPTY_MESSAGE,
    distinct_labels,
    empty_figure,
    interval_error_bars,
    method_color,
    titled_figure,
)

PROBE_LABELS = {
    "hack_append": "append a grader instruction",
    "hack_restate": "restate the instruction",
    "hack_pad": "pad with filler",
    "hack_markdown": "heavy markdown",
}


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
        legend="Model · method",
    )
    labels = distinct_labels(rows, lambda r: f"{r.model} · {method_label(r.method)}")
    probes = [p for p in PROBES if any(p in row.drops for row in rows)]
    for row, label in zip(rows, labels, strict=True):
        drops = [row.drops.get(probe) for probe in probes]
        fig.add_trace(
            "bar",
            x=[PROBE_LABELS.get(p, p) for p in probes],
            y=[None if d is None else d.drop * 100 for d in drops],
            name=escape_text(label),
            marker={"color": method_color(row.method)},
            error_y=interval_error_bars(
                [None if d is None else (d.drop, *d.drop_interval) for d in drops]
            ),
            hovertext=[hover(label, d) for d in drops],
            hoverinfo="text",
        )
    fig.update_layout(barmode="group")
    fig.update_xaxes(title={"text": "Probe (edits the rejected candidates only)"})
    fig.update_yaxes(title={"text": "Accuracy drop (points)"}, zeroline=True)
    return fig


def drop_text(drop: ProbeDrop) -> str:
    """``+12.5 [+3.0, +20.1]``: the drop in points and its paired interval."""
    low, high = drop.drop_interval
    return f"{drop.drop * 100:+.1f} [{low * 100:+.1f}, {high * 100:+.1f}]"


def hover(label: str, drop: ProbeDrop | None) -> str:
    if drop is None:
        return "not run"
    c = drop.comparison
    return "<br>".join(
        [
            f"<b>{escape_text(label)}</b> · {escape_text(drop.probe)}",
            f"accuracy {c.acc_a * 100:.1f}% clean → {c.acc_b * 100:.1f}% probed on {c.n} items",
            f"drop {drop_text(drop)} points; exact McNemar p = {c.p_value:.3g}",
            f"clean run(s) {','.join(map(str, drop.clean_run_ids))}; "
            f"probe run(s) {','.join(map(str, drop.probe_run_ids))}",
        ]
    )
