"""Length figures: accuracy by length of the chosen response, and length-controlled accuracy.

On these benchmarks length alone predicts the gold response well (on LLMBar the chosen one is
usually the shorter), so a method's accuracy is read beside what a length rule earns.

- :func:`length_accuracy_figure` draws :func:`flip_store.read.length.length_report` (what
  ``flip report length`` prints): a line per model row across ordered length buckets, the two
  length rules dashed;
- :func:`length_controlled_figure` draws the board rows' length-controlled cell metrics per
  model and method (the accuracy expected if which response is longer were a coin flip), with
  the accuracies on the length-adversarial subsets in the hover; while the store holds none,
  it says so instead of drawing zeros.
"""

from __future__ import annotations

from collections.abc import Sequence

from flip_core.length_buckets import LengthBucket
from flip_core.selection import Interval
from flip_store.read.length import LengthAccuracyRow, LengthReport
from leaderboard.board import BoardRow, RowKind
from leaderboard.catalog import method_label
from leaderboard.escaping import escape_text
from leaderboard.figures.plot_spec import PlotSpec
from leaderboard.figures.style import (
    EMPTY_MESSAGE,
    INTERVAL_NOTE,
    REFERENCE_COLOR,
    add_model_bars,
    distinct_labels,
    domain_note,
    empty_figure,
    empty_reason,
    interval_error_bars,
    method_color,
    titled_figure,
)

LENGTH_TITLE = "Accuracy by length of the chosen response"
CONTROLLED_TITLE = "Length-controlled accuracy per model and method"
CONTROLLED = "acc_length_controlled"
NOT_COMPUTED = (
    "Length-controlled accuracy is not computed yet for these runs: it appears here once the "
    "store holds it (acc_length_controlled per run)"
)
CHANCE_KEY = ("rule:chance",)
"""The chance row's key (:mod:`flip_store.read.references` keys its rules ``rule:<name>``)."""
SUBSET_METRICS = {
    "acc_where_shortest_wrong": "accuracy where always-shortest is wrong",
    "acc_where_longest_wrong": "accuracy where always-longest is wrong",
}


def length_accuracy_figure(report: LengthReport) -> PlotSpec:
    """Strict accuracy (%) per length bucket, a line with 95% error bars per model row; the
    length rules as dashed lines without error bars. An empty report says so."""
    if not report.rows:
        return empty_figure(LENGTH_TITLE, EMPTY_MESSAGE)
    fig = titled_figure(
        f"{LENGTH_TITLE} ({escape_text(report.benchmark)})",
        [
            f"{report.items} items in {len(report.buckets)} quantile buckets of the chosen "
            "response's length in words, pooled over the shown domains",
            INTERVAL_NOTE,
        ],
        legend="Model · method",
    )
    labels = distinct_labels(report.rows, _row_name)
    x = [f"{bucket.label}<br>items: {bucket.items}" for bucket in report.buckets]
    for row, label in zip(report.rows, labels, strict=True):
        rule = row.kind == "rule"
        fig.add_trace(
            "scatter",
            x=x,
            y=[None if a is None else a.value * 100 for a in row.accuracy],
            mode="lines+markers",
            name=escape_text(label),
            line={"dash": "dash", "color": REFERENCE_COLOR, "width": 1}
            if rule
            else {"color": method_color(row.method)},
            error_y=None
            if rule
            else interval_error_bars(
                [None if a is None else (a.value, a.low, a.high) for a in row.accuracy]
            ),
            hovertext=[
                _bucket_hover(row, bucket, accuracy)
                for bucket, accuracy in zip(report.buckets, row.accuracy, strict=True)
            ],
            hoverinfo="text",
        )
    fig.update_xaxes(
        title={"text": "Length of the chosen response (quantile buckets, shortest first)"}
    )
    fig.update_yaxes(title={"text": "Best-of-N accuracy (%)"}, rangemode="tozero")
    return fig


def _row_name(row: LengthAccuracyRow) -> str:
    return row.model if row.kind == "rule" else f"{row.model} · {method_label(row.method)}"


def _bucket_hover(row: LengthAccuracyRow, bucket: LengthBucket, accuracy: Interval | None) -> str:
    """Who, which bucket, the accuracy with its interval and n, and the runs (all escaped)."""
    if accuracy is None:
        result = "no verdict on these items"
    else:
        result = (
            f"accuracy: {accuracy.value * 100:.1f}% (95% CI {accuracy.low * 100:.1f}-"
            f"{accuracy.high * 100:.1f}%), n={accuracy.n}"
        )
    who = (
        ["length rule, computed from the stored items"]
        if row.kind == "rule"
        else [
            f"method: {escape_text(method_label(row.method))} · "
            f"profile: {escape_text(row.profile)}",
            f"run id(s): {','.join(map(str, row.run_ids))}",
        ]
    )
    return "<br>".join(
        [
            f"<b>{escape_text(row.model)}</b>",
            *who,
            f"chosen response: {bucket.label}; items in the bucket: {bucket.items}",
            result,
        ]
    )


def length_controlled_figure(rows: Sequence[BoardRow]) -> PlotSpec:
    """Length-controlled accuracy (%) by model, a bar per method, chance as a line (a pure
    length rule falls to it); the length-adversarial subsets' accuracies in the hover."""
    domains = rows[0].domains if rows else ()
    empty = empty_reason(rows, domains)
    if empty:
        return empty_figure(CONTROLLED_TITLE, empty)
    series = [r for r in rows if r.kind is RowKind.MODEL and r.metric(CONTROLLED) is not None]
    if not series:
        return empty_figure(CONTROLLED_TITLE, NOT_COMPUTED)
    fig = titled_figure(
        CONTROLLED_TITLE,
        [
            "accuracy expected if which response is longer were a coin flip (logistic fit on "
            "the length difference)",
            domain_note(domains),
        ],
    )
    chance = next((r for r in rows if r.key == CHANCE_KEY), None)
    if chance is not None and chance.average is not None:
        fig.add_hline(chance.average * 100, color=REFERENCE_COLOR, width=1, dash="dash")
    add_model_bars(fig, series, CONTROLLED, _controlled_lines)
    fig.update_yaxes(title={"text": "Length-controlled accuracy (%)"}, rangemode="tozero")
    return fig


def _controlled_lines(row: BoardRow) -> list[str]:
    lines = [f"length-controlled accuracy: {row.metric(CONTROLLED) * 100:.1f}%"]  # type: ignore[operator]
    for metric, text in SUBSET_METRICS.items():
        value = row.metric(metric)
        lines.append(f"{text}: {'not computed' if value is None else f'{value * 100:.1f}%'}")
    return lines
