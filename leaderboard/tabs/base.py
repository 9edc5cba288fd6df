"""What every tab module provides to the app that assembles them.

A tab builds its components and events inside its ``gr.Tab`` (:meth:`Tab.build`); a shared
link (:mod:`leaderboard.deep_links`) may set some of its controls (:meth:`Tab.from_link`,
returning updates for the components :meth:`Tab.link_outputs` names); and once the link is
applied, the tab draws its first content (:meth:`Tab.after_link`), chained after the page
load so it reads the controls as the link set them, never their defaults.
"""

from __future__ import annotations

from typing import Any, ClassVar

import gradio as gr
from gradio.components import Component
from gradio.events import Dependency

from leaderboard.catalog import DEFAULT_BENCHMARK, benchmark_choices
from leaderboard.deep_links import ViewState
from leaderboard.tabs import TabSpec
from leaderboard.views import LeaderboardViews


class Tab:
    spec: ClassVar[TabSpec]

    def build(self) -> None:
        """Create the tab's components and events (called inside its ``gr.Tab``)."""
        raise NotImplementedError

    def link_outputs(self) -> list[Component]:
        """The components :meth:`from_link` updates."""
        return []

    def from_link(self, state: ViewState) -> dict[Component, Any]:
        """Updates of :meth:`link_outputs` for the view a shared link asks for."""
        return {}

    def after_link(self, loaded: Dependency) -> None:
        """Chain the tab's first content after the page load (``loaded.then(...)``)."""


class ViewsTab(Tab):
    """A tab that shows the store: each one reads it through the app's one
    :class:`~leaderboard.views.LeaderboardViews` (one reader, one cache for every tab),
    handed in when the app assembles the tabs."""

    def __init__(self, views: LeaderboardViews) -> None:
        self.views = views


def benchmark_dropdown() -> gr.Dropdown:
    """The benchmark picker the store's tabs open with: every benchmark, the default chosen.

    One definition, so that every tab opens on the same board
    (:data:`leaderboard.catalog.DEFAULT_BENCHMARK`, also where a shared link naming no
    benchmark and no known run lands) and the pickers list and label benchmarks alike."""
    return gr.Dropdown(benchmark_choices(), value=DEFAULT_BENCHMARK, label="Benchmark")
