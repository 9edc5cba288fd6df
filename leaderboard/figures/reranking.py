"""The Reranking tab's figure: each reranking run's picks beside the reference points.

A bar per run (the mean reference score of its picks, with its 95% bootstrap interval over
prompts) and, over each bar, the reference points on exactly its prompts as markers: a
uniformly random pick (expected), always the longest, always the shortest, the oracle. A run
whose scores were taken as submitted (the store could not re-derive them) is marked so on its
label.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from flip_store.read.reranks import RerankRow
from leaderboard.catalog import method_label
from leaderboard.escaping import escape_text
from leaderboard.figures.plot_spec import PlotSpec
from leaderboard.figures.style import (
    EMPTY_MESSAGE,
    REFERENCE_COLOR,
    empty_figure,
    interval_error_bars,
    titled_figure,
)

REFERENCE_POINTS = (
    ("random (expected)", "random_expected", "line-ew"),
    ("always longest", "longest", "triangle-up"),
    ("always shortest", "shortest", "triangle-down"),
    ("oracle", "oracle", "star"),
)
"""(label, :class:`RerankRow` field, marker symbol) of each reference point."""
LABEL_WIDTH = 24
UNVERIFIED = "submitted, unverified"
"""How a run whose scores the store could not re-derive is marked."""


def rerank_figure(rows: Sequence[RerankRow], benchmark: str) -> PlotSpec:
    """Bars of the runs' mean reference score with the reference points as markers."""
    title = f"Best-of-N reranking ({escape_text(benchmark)})"
    if not rows:
        return empty_figure(title, EMPTY_MESSAGE)
    fig = titled_figure(
        title,
        [
            "mean reference score of the picked candidates; error bars: 95% bootstrap "
            "intervals over prompts; markers: reference points on the same prompts"
        ],
    )
    labels = [wrapped_label(run_label(row)) for row in rows]
    fig.add_trace(
        "bar",
        x=labels,
        y=[row.picked.value for row in rows],
        name="picks",
        error_y=interval_error_bars(
            [(row.picked.value, row.picked.low, row.picked.high) for row in rows], scale=1.0
        ),
        hovertext=[
            f"{label}<br>mean {row.picked.format(percent=False)}, run {row.run_id}"
            for label, row in zip(labels, rows, strict=True)
        ],
        hoverinfo="text",
    )
    for label, field, symbol in REFERENCE_POINTS:
        fig.add_trace(
            "scatter",
            x=labels,
            y=[getattr(row, field) for row in rows],
            mode="markers",
            name=label,
            # line-ew (the random reference) is drawn by its outline alone
            marker={
                "symbol": symbol,
                "size": 12,
                "color": REFERENCE_COLOR,
                "line": {"width": 2, "color": REFERENCE_COLOR},
            },
        )
    fig.update_xaxes(tickangle=0)
    fig.update_yaxes(title={"text": "Mean reference score (AlpacaEval: win rate, %)"})
    return fig


def run_label(row: RerankRow) -> str:
    """A bar's label (unescaped): model, method, prompts, and the mark of an unverified run."""
    mark = "" if row.verified else f", {UNVERIFIED}"
    return f"{row.model} · {method_label(row.method)} ({row.picked.n} prompts{mark})"


def wrapped_label(text: str) -> str:
    """``text`` escaped and wrapped at spaces into lines of about :data:`LABEL_WIDTH`
    characters, so the long model names of several bars stay horizontal without overlapping.
    Wrapping comes first, so a break never splits an HTML entity."""
    lines = textwrap.wrap(text, LABEL_WIDTH, break_long_words=False, break_on_hyphens=False)
    return "<br>".join(escape_text(line) for line in lines)
