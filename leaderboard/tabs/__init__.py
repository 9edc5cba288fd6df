"""The app's tabs, one module each (Gradio components and their events), in page order.

Only the tabs' ids and labels live here, free of Gradio, so that deep links
(:mod:`leaderboard.deep_links`) can validate ``?tab=`` without building anything.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TabSpec:
    id: str
    """The ``gr.Tab`` id, and the deep link's ``?tab=``."""
    label: str


LEADERBOARD = TabSpec("leaderboard", "Leaderboard")
CHARTS = TabSpec("charts", "Charts")
ROBUSTNESS = TabSpec("robustness", "Robustness")
RERANKING = TabSpec("reranking", "Reranking")
INSPECT = TabSpec("inspect", "Inspect")
COMPARE = TabSpec("compare", "Compare")
ABOUT = TabSpec("about", "Submit / About")
TABS = (LEADERBOARD, CHARTS, ROBUSTNESS, RERANKING, INSPECT, COMPARE, ABOUT)
TAB_IDS = tuple(tab.id for tab in TABS)
