"""The Charts tab's figures, in page order, from the board rows the table shows."""

from __future__ import annotations

from collections.abc import Sequence

from leaderboard.board import BoardRow
from leaderboard.figures.accuracy import (
    accuracy_by_size_figure,
    domain_bars_figure,
    flip_gain_figure,
)
from leaderboard.figures.cost import cost_accuracy_figure, parse_failure_figure
from leaderboard.figures.length import length_controlled_figure
from leaderboard.figures.plot_spec import PlotSpec

CHART_LABELS = {
    "accuracy_vs_size": "accuracy vs size",
    "domain_bars": "accuracy per domain",
    "flip_gain": "FLIP gain over the best judge",
    "parse_failures": "parse failures",
    "cost_vs_accuracy": "accuracy vs cost",
    "length_controlled": "length-controlled accuracy",
}
"""Chart id -> the plot's label on the page, in page order."""
CHART_IDS = tuple(CHART_LABELS)
LENGTH_LABEL = "accuracy by response length"
"""The accuracy-by-length figure's label: it is built apart (it reads per-item verdicts)."""


def chart_figures(rows: Sequence[BoardRow], model: str | None = None) -> dict[str, PlotSpec]:
    """Every figure of :data:`CHART_IDS` over ``rows``; ``model`` for the per-domain bars
    (default: the featured model)."""
    figures = {
        "accuracy_vs_size": accuracy_by_size_figure(rows),
        "domain_bars": domain_bars_figure(rows, model),
        "flip_gain": flip_gain_figure(rows),
        "parse_failures": parse_failure_figure(rows),
        "cost_vs_accuracy": cost_accuracy_figure(rows),
        "length_controlled": length_controlled_figure(rows),
    }
    return {chart: figures[chart] for chart in CHART_IDS}
