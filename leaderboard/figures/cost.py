"""What a method costs and how often it fails to answer: parse failures, accuracy against cost.

Generative methods cost generated tokens; likelihood methods (a registered method whose
requests are log-likelihoods, FLIP-likelihood) generate nothing and cost forward passes. The
two units never share an axis: likelihood rows get a second x axis, and their hover says so.
Values are the board rows' cell metrics averaged over the shown domains.
"""

from __future__ import annotations

from collections.abc import Sequence

from leaderboard.board import BoardRow, RowKind
from leaderboard.catalog import is_generative, method_label, method_rank
from leaderboard.figures.plot_spec import PlotSpec
from leaderboard.figures.style import (
    EMPTY_MESSAGE,
    accuracy_axis,
    add_average_points,
    add_model_bars,
    add_reference_lines,
    domain_note,
    empty_figure,
    empty_reason,
    skip_notes,
    titled_figure,
    with_notes,
)

TOKENS = "generated_tokens_per_item"
PASSES = "forward_passes_per_item"


def parse_failure_figure(rows: Sequence[BoardRow]) -> PlotSpec:
    """Share of model calls whose output could not be parsed, by model, a bar per method."""
    title = "Unparseable model outputs per model and method"
    domains = rows[0].domains if rows else ()
    empty = empty_reason(rows, domains)
    if empty:
        return empty_figure(title, empty)
    models = [r for r in rows if r.kind is RowKind.MODEL and r.cells]
    series = [r for r in models if r.metric("parse_fail_rate") is not None]
    notes = skip_notes(len(models) - len(series), "have no parse-failure rate")
    if not series:
        return empty_figure(title, with_notes(EMPTY_MESSAGE, notes))
    fig = titled_figure(title, [*notes, "mean over the row's runs of the shown domains"])
    add_model_bars(fig, series, "parse_fail_rate", _parse_fail_lines)
    fig.update_yaxes(title={"text": "Calls with no parseable output (%)"}, rangemode="tozero")
    return fig


def _parse_fail_lines(row: BoardRow) -> list[str]:
    return [f"parse failures: {row.metric('parse_fail_rate') * 100:.1f}% of calls"]  # type: ignore[operator]


def cost_accuracy_figure(rows: Sequence[BoardRow]) -> PlotSpec:
    """Average accuracy against cost, one trace per method: generated tokens per item, or for
    likelihood methods forward passes per item on an axis of their own."""
    title = "Accuracy against cost"
    domains = rows[0].domains if rows else ()
    empty = empty_reason(rows, domains)
    if empty:
        return empty_figure(title, empty)
    complete = [r for r in rows if r.kind is RowKind.MODEL and r.average is not None]
    notes = skip_notes(
        len([r for r in rows if r.kind is RowKind.MODEL]) - len(complete), "lack a shown domain"
    )
    generative = [r for r in complete if is_generative(r.method) and r.metric(TOKENS) is not None]
    likelihood = [r for r in complete if not is_generative(r.method) and r.metric(PASSES)]
    notes += skip_notes(
        len(complete) - len(generative) - len(likelihood), "have no known cost (tokens unknown)"
    )
    if not generative and not likelihood:
        return empty_figure(title, with_notes(EMPTY_MESSAGE, notes))
    fig = titled_figure(title, [*notes, domain_note(domains)])
    split = bool(generative and likelihood)
    _add_points(fig, generative, TOKENS, {})
    _add_points(fig, likelihood, PASSES, {"xaxis": "x2"} if split else {})
    tokens_axis = {"text": "Generated tokens per item (mean over the row's runs)"}
    passes_axis = {"text": "Forward passes per item (no decoding)"}
    if split:
        fig.update_layout(
            xaxis={"domain": [0, 0.7], "title": tokens_axis, "rangemode": "tozero"},
            xaxis2={
                "domain": [0.78, 1],
                "title": passes_axis,
                "anchor": "y",
                "rangemode": "tozero",
            },
        )
    else:
        fig.update_xaxes(title=tokens_axis if generative else passes_axis, rangemode="tozero")
    costs = [r.metric(TOKENS) or 0.0 for r in generative] or [
        r.metric(PASSES) or 0.0 for r in likelihood
    ]
    add_reference_lines(fig, rows, (0.0, max(costs) * 1.1 or 1.0))
    fig.update_yaxes(title={"text": accuracy_axis(domains)}, rangemode="tozero")
    return fig


def _add_points(
    fig: PlotSpec, points: Sequence[BoardRow], metric: str, axes: dict[str, str]
) -> None:
    """One marker trace per method at ``metric`` on x; likelihood points say what x counts."""
    for method in sorted({r.method for r in points}, key=method_rank):
        series = sorted(
            (r for r in points if r.method == method), key=lambda r: r.metric(metric) or 0
        )
        add_average_points(
            fig,
            method,
            series,
            [r.metric(metric) for r in series],
            method_label(method),
            mode="markers" if metric == TOKENS else "markers+text",
            text=None if metric == TOKENS else ["forward passes"] * len(series),
            textposition=None if metric == TOKENS else "top center",
            **axes,
        )
