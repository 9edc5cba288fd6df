"""Charts-tab figure: accuracy by length of the chosen response, one line per model and method.

Drawn from :func:`flip_store.read.length.length_report` (the leaderboard's runs, pooled over
the benchmark's domains), so it shows what ``flip report length`` prints. The x axis is the
ordered length buckets, so a line per row shows at a glance whether a method gains or loses on
longer responses (the paper reports FLIP gaining more there); the length baselines are dashed
lines, to show what a length rule alone earns in each bucket.

Model names, methods and profiles are untrusted: every such string passes through
:func:`leaderboard.escaping.escape_text` before it reaches the figure, as in
:mod:`leaderboard.charts`, whose figure frame, row labels and baseline names this reuses.
"""

from __future__ import annotations

from flip_core.length_buckets import LengthBucket
from flip_core.selection import Interval
from flip_store.read.length import LengthAccuracyRow, LengthReport
from leaderboard.charts import (
    BASELINE_LABELS,
    EMPTY_MESSAGE,
    INTERVAL_NOTE,
    distinct_labels,
    empty_figure,
    interval_error_bars,
    titled_figure,
)
from leaderboard.escaping import escape_text
from leaderboard.plot_spec import PlotSpec

TITLE = "Accuracy by length of the chosen response"


def length_accuracy_figure(report: LengthReport) -> PlotSpec:
    """Strict accuracy (%) per length bucket, a line with 95% error bars per model and method.

    A report without rows (no full run of the benchmark) gives a figure that says so.
    """
    if not report.rows:
        return empty_figure(TITLE, EMPTY_MESSAGE)
    fig = titled_figure(
        f"{TITLE} ({escape_text(report.benchmark)})",
        [
            f"{report.items} items in {len(report.buckets)} quantile buckets of the chosen "
            "response's length in words, pooled over domains",
            INTERVAL_NOTE,
        ],
    )
    labels = distinct_labels(
        [row.leaderboard_row for row in report.rows], lambda r: f"{r.model} · {r.method}"
    )
    x = [f"{bucket.label}<br>items: {bucket.items}" for bucket in report.buckets]
    for row, label in zip(report.rows, labels, strict=True):
        _add_row_trace(fig, row, label, report.buckets, x)
    fig.update_layout(legend={"title": {"text": "Model · method"}})
    fig.update_xaxes(
        title={"text": "Length of the chosen response (quantile buckets, shortest first)"}
    )
    fig.update_yaxes(title={"text": "Best-of-N accuracy (%)"}, rangemode="tozero")
    return fig


def _add_row_trace(
    fig: PlotSpec,
    row: LengthAccuracyRow,
    label: str,
    buckets: tuple[LengthBucket, ...],
    x: list[str],
) -> None:
    """One row's accuracy per bucket; baselines dashed and grey, without error bars."""
    head = row.leaderboard_row
    baseline = head.is_baseline
    fig.add_trace(
        "scatter",
        x=x,
        y=[None if a is None else a.value * 100 for a in row.accuracy],
        mode="lines+markers",
        name=(BASELINE_LABELS.get(head.method) if baseline else None) or escape_text(label),
        line={"dash": "dash", "color": "#444", "width": 1} if baseline else None,
        error_y=None
        if baseline
        else interval_error_bars(
            [None if a is None else (a.value, a.low, a.high) for a in row.accuracy]
        ),
        hovertext=[
            _hover(row, bucket, accuracy)
            for bucket, accuracy in zip(buckets, row.accuracy, strict=True)
        ],
        hoverinfo="text",
    )


def _hover(row: LengthAccuracyRow, bucket: LengthBucket, accuracy: Interval | None) -> str:
    """Who, which bucket, the accuracy with its interval and n, and the runs (all escaped)."""
    head = row.leaderboard_row
    if accuracy is None:
        result = "no verdict on these items"
    else:
        result = (
            f"accuracy: {accuracy.value * 100:.1f}% (95% CI {accuracy.low * 100:.1f}-"
            f"{accuracy.high * 100:.1f}%), n={accuracy.n}"
        )
    return "<br>".join(
        [
            f"<b>{escape_text(head.model)}</b>",
            f"method: {escape_text(head.method)} · profile: {escape_text(head.profile)}",
            f"chosen response: {bucket.label}; items in the bucket: {bucket.items}",
            result,
            f"run id(s): {','.join(str(run_id) for run_id in row.run_ids)}",
        ]
    )
