"""The Robustness tab's content: a table and a figure of each method's drop under every probe.

Built from :func:`flip_store.read.robustness.robustness` rows: per model, method, profile and
backend, per probe the clean and probed accuracy, the drop in points with its paired 95%
interval and McNemar's p (the figure is :mod:`leaderboard.figures.robustness`'s).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from flip_core.probes import PROBES
from flip_store.read.robustness import ProbeDrop, RobustnessRow
from leaderboard.figures.plot_spec import PlotSpec
from leaderboard.figures.robustness import drop_text, robustness_figure


def robustness_frame(rows: Sequence[RobustnessRow]) -> pd.DataFrame:
    """One line per row; per probe "clean → probed (n)", the drop [interval] and p."""
    records = []
    for row in rows:
        record: dict[str, object] = {
            "Model": row.model,
            "Method": row.method,
            "Profile": row.profile,
            "Backend": row.backend,
        }
        for probe in PROBES:
            drop = row.drops.get(probe)
            record[f"{probe}: accuracy"] = _accuracies(drop)
            record[f"{probe}: drop (pts)"] = None if drop is None else drop_text(drop)
            record[f"{probe}: p"] = (
                None if drop is None else float(f"{drop.comparison.p_value:.2g}")
            )
        records.append(record)
    return pd.DataFrame.from_records(records)


def robustness_content(
    rows: Sequence[RobustnessRow], benchmark: str
) -> tuple[pd.DataFrame, PlotSpec]:
    """The tab's table and figure over the same rows."""
    return robustness_frame(rows), robustness_figure(rows, benchmark)


def _accuracies(drop: ProbeDrop | None) -> str | None:
    if drop is None:
        return None
    c = drop.comparison
    return f"{c.acc_a * 100:.1f} → {c.acc_b * 100:.1f} (n={c.n})"
