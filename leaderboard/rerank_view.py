"""The Reranking tab: best-of-N reranking on a benchmark with external reference scores.

Each stored reranking run (``flip rerank`` output, ``flip ingest-rerank``) picks one of N
candidates per prompt; its score is the mean reference score of its picks (on AlpacaEval: the
GPT-4-turbo win rate against the reference answer, in %), with a 95% bootstrap interval over
prompts. Beside it, on exactly the same prompts: a uniformly random pick (expected value),
always the longest, always the shortest, and the oracle. Names are untrusted and escaped.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import pandas as pd

from flip_store.read.reranks import RerankRow
from leaderboard.charts import EMPTY_MESSAGE, empty_figure, interval_error_bars, titled_figure
from leaderboard.escaping import escape_text
from leaderboard.plot_spec import PlotSpec

RERANK_BENCHMARKS = ("alpacaeval_bon",)
REFERENCE_POINTS = (
    ("random (expected)", "random_expected", "line-ew"),
    ("always longest", "longest", "triangle-up"),
    ("always shortest", "shortest", "triangle-down"),
    ("oracle", "oracle", "star"),
)


def rerank_frame(rows: Sequence[RerankRow]) -> pd.DataFrame:
    """One line per reranking run, best mean reference score first."""
    return pd.DataFrame.from_records(
        [
            {
                "Model": row.model,
                "Method": row.method,
                "Profile": row.profile,
                "Prompts": row.picked.n,
                "Mean reference score of the picks [95% CI]": row.picked.format(percent=False),
                "Oracle hits (%)": None
                if row.oracle_hit_rate is None
                else round(row.oracle_hit_rate * 100, 1),
                "Refused": row.refused,
                **{
                    f"{label} (same prompts)": round(getattr(row, field), 2)
                    for label, field, _ in REFERENCE_POINTS
                },
                "Run": row.run_id,
            }
            for row in rows
        ]
    )


def rerank_figure(rows: Sequence[RerankRow], benchmark: str) -> PlotSpec:
    """A bar per run (mean reference score of its picks, with its interval) and, over each
    bar, the reference points on the same prompts as markers."""
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
    labels = [
        _wrapped_label(f"{row.model} · {row.method} ({row.picked.n} prompts)") for row in rows
    ]
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
                "color": "#444",
                "line": {"width": 2, "color": "#444"},
            },
        )
    fig.update_xaxes(tickangle=0)
    fig.update_yaxes(title={"text": "Mean reference score (AlpacaEval: win rate, %)"})
    return fig


LABEL_WIDTH = 24


def _wrapped_label(text: str) -> str:
    """``text`` escaped and wrapped at spaces into lines of about :data:`LABEL_WIDTH`
    characters, so the long model names of several bars stay horizontal without overlapping.
    Wrapping comes first, so a break never splits an HTML entity."""
    lines = textwrap.wrap(text, LABEL_WIDTH, break_long_words=False, break_on_hyphens=False)
    return "<br>".join(escape_text(line) for line in lines)
