"""The Reranking tab's content: best-of-N reranking runs beside the reference points.

Each stored reranking run (``flip rerank`` output, ``flip ingest-rerank``) picks one of N
candidates per prompt; its score is the mean reference score of its picks (on AlpacaEval: the
GPT-4-turbo win rate against the reference answer, in %), with a 95% bootstrap interval over
prompts. Beside it, on exactly the same prompts: a uniformly random pick (expected value),
always the longest, always the shortest, and the oracle (the figure is
:mod:`leaderboard.figures.reranking`'s). A run whose scores the store could not re-derive
from its logged raw outputs says so (*submitted, unverified*), in the table and on its bar.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from flip_store.read.reranks import RerankRow
from leaderboard.figures.plot_spec import PlotSpec
from leaderboard.figures.reranking import REFERENCE_POINTS, UNVERIFIED, rerank_figure


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
                "Scores": "verified" if row.verified else UNVERIFIED,
                **{
                    f"{label} (same prompts)": round(getattr(row, field), 2)
                    for label, field, _ in REFERENCE_POINTS
                },
                "Run": row.run_id,
            }
            for row in rows
        ]
    )


def rerank_content(rows: Sequence[RerankRow], benchmark: str) -> tuple[pd.DataFrame, PlotSpec]:
    """The tab's table and figure over the same runs."""
    return rerank_frame(rows), rerank_figure(rows, benchmark)
