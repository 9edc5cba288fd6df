"""The Gradio app, assembled: the header, the notice, the tabs, and a shared link's view.

Each tab is a module of :mod:`leaderboard.tabs`; their server-side work is
:mod:`leaderboard.views`'. The store is opened read-only (an upload opens its own writable
engine). Serving and hosting are :mod:`leaderboard.hosting`'s, re-exported here because this
module is the app's entry: ``python -m leaderboard.app`` is the hosted entry (a Hugging Face
Space, any server), and ``flip leaderboard`` / ``flip demo`` import ``serve`` from here.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
from sqlalchemy import Engine

from leaderboard.deep_links import parse_query
from leaderboard.hosting import host_from_environment, serve  # the entry points, re-exported
from leaderboard.tabs import LEADERBOARD
from leaderboard.tabs.about import AboutTab
from leaderboard.tabs.base import Tab
from leaderboard.tabs.charts import ChartsTab
from leaderboard.tabs.compare import CompareTab
from leaderboard.tabs.inspect import InspectTab
from leaderboard.tabs.leaderboard_table import LeaderboardTab
from leaderboard.tabs.reranking import RerankingTab
from leaderboard.tabs.robustness import RobustnessTab
from leaderboard.views import LeaderboardViews

__all__ = ["build_app", "host_from_environment", "serve"]

TITLE = "FLIP reward bench"
HEADER = "# FLIP reward bench: small LMs as reward models, FLIP versus judges"


def build_app(
    engine: Engine, upload_db_url: str | None = None, views: LeaderboardViews | None = None
) -> gr.Blocks:
    """The app over ``engine`` (read-only is enough); uploads write to ``upload_db_url``."""
    views = views or LeaderboardViews(engine)
    tabs: list[Tab] = [
        LeaderboardTab(views),
        ChartsTab(views),
        RobustnessTab(views),
        RerankingTab(views),
        InspectTab(views),
        CompareTab(views),
        AboutTab(upload_db_url),
    ]
    with gr.Blocks(title=TITLE) as demo:
        gr.Markdown(HEADER)
        notice = gr.Markdown()
        with gr.Tabs(selected=LEADERBOARD.id) as tab_set:
            for tab in tabs:
                with gr.Tab(tab.spec.label, id=tab.spec.id):
                    tab.build()

        def open_link(request: gr.Request) -> dict[Any, Any]:
            """The view a shared link asks for (``?tab=...``; invalid parts get a note)."""
            state = parse_query(dict(request.query_params) if request else {})
            updates: dict[Any, Any] = {tab_set: gr.Tabs(selected=state.tab)}
            for tab in tabs:
                updates.update(tab.from_link(state))
            updates[notice] = views.notice(state)
            return updates

        outputs = [notice, tab_set, *(c for tab in tabs for c in tab.link_outputs())]
        loaded = demo.load(open_link, None, outputs)
        for tab in tabs:
            tab.after_link(loaded)
    return demo


if __name__ == "__main__":
    host_from_environment()
