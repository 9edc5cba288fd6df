"""The Compare tab: two runs on the same items (:mod:`leaderboard.compare_view`).

As in Inspect, user actions are bound with ``.input``; a shared link sets both run pickers
together and the comparison is drawn once, after the link is applied.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
from gradio.components import Component
from gradio.events import Dependency

from leaderboard.deep_links import ViewState
from leaderboard.tabs import COMPARE
from leaderboard.tabs.base import ViewsTab, benchmark_dropdown


class CompareTab(ViewsTab):
    spec = COMPARE

    def build(self) -> None:
        with gr.Row():
            self.benchmark = benchmark_dropdown()
            self.run_a = gr.Dropdown(label="Run A (e.g. a judge)", choices=[])
            self.run_b = gr.Dropdown(label="Run B (e.g. FLIP, same model)", choices=[])
        self.view = gr.HTML()
        self.inputs = [self.run_a, self.run_b, self.benchmark]
        self.benchmark.input(self.runs, self.benchmark, [self.run_a, self.run_b]).then(
            self.views.compare_html, self.inputs, self.view
        )
        for control in (self.run_a, self.run_b):
            control.input(self.views.compare_html, self.inputs, self.view)

    def runs(self, benchmark: str) -> tuple[gr.Dropdown, gr.Dropdown]:
        choices = self.views.run_choices(benchmark)
        return gr.Dropdown(choices=choices, value=None), gr.Dropdown(choices=choices, value=None)

    def link_outputs(self) -> list[Component]:
        return [self.benchmark, self.run_a, self.run_b]

    def from_link(self, state: ViewState) -> dict[Component, Any]:
        benchmark = self.views.link_benchmark(state)
        choices, (run_a, run_b) = self.views.linked_runs(benchmark, state.runs)
        return {
            self.benchmark: benchmark,
            self.run_a: gr.Dropdown(choices=choices, value=run_a),
            self.run_b: gr.Dropdown(choices=choices, value=run_b),
        }

    def after_link(self, loaded: Dependency) -> None:
        loaded.then(self.views.compare_html, self.inputs, self.view)
