"""The Charts tab: the figures of :mod:`leaderboard.figures.charts` and accuracy by length.

Controls: benchmark, domains, limited runs, and the model of the one-model figures (per-domain
bars, accuracy by length; default the featured model). A benchmark change refreshes the
domain and model choices first, then the figures, so they never show a model of the previous
benchmark.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
from gradio.components import Component
from gradio.components.plot import PlotData
from gradio.events import Dependency

from leaderboard.catalog import DEFAULT_BENCHMARK, domain_choices
from leaderboard.deep_links import ViewState
from leaderboard.figures.charts import CHART_IDS, CHART_LABELS, LENGTH_LABEL
from leaderboard.tabs import CHARTS
from leaderboard.tabs.base import ViewsTab, benchmark_dropdown


class ChartsTab(ViewsTab):
    spec = CHARTS

    def build(self) -> None:
        with gr.Row():
            self.benchmark = benchmark_dropdown()
            self.domains = gr.CheckboxGroup(
                domain_choices(DEFAULT_BENCHMARK), label="Domains (none = all)"
            )
            self.limited = gr.Checkbox(False, label="Include limited runs (marked)")
            self.model = gr.Dropdown([], label="Model (per-domain bars, accuracy by length)")
        self.plots = [gr.Plot(label=CHART_LABELS[chart]) for chart in CHART_IDS]
        self.length_plot = gr.Plot(label=LENGTH_LABEL)
        self.inputs = [self.benchmark, self.domains, self.limited, self.model]
        self.benchmark.change(
            self.choices, [self.benchmark, self.limited], [self.domains, self.model]
        ).then(self.figures, self.inputs, self.plots).then(
            self.length, self.inputs, self.length_plot
        )
        gr.on(
            [self.domains.input, self.limited.input, self.model.input],
            self.figures,
            self.inputs,
            self.plots,
            trigger_mode="always_last",
        ).then(self.length, self.inputs, self.length_plot)

    def choices(self, benchmark: str, limited: bool) -> tuple[gr.CheckboxGroup, gr.Dropdown]:
        """The benchmark's domains (none chosen) and models (the featured one chosen)."""
        models, featured = self.views.model_choices(benchmark, bool(limited))
        return (
            gr.CheckboxGroup(choices=domain_choices(benchmark), value=[]),
            gr.Dropdown(choices=models, value=featured),
        )

    def figures(
        self, benchmark: str, domains: list[str], limited: bool, model: str | None
    ) -> list[PlotData]:
        return self.views.charts(benchmark, domains or [], bool(limited), model or None)

    def length(
        self, benchmark: str, domains: list[str], limited: bool, model: str | None
    ) -> PlotData:
        return self.views.length_chart(benchmark, domains or [], bool(limited), model or None)

    def link_outputs(self) -> list[Component]:
        return [self.benchmark]

    def from_link(self, state: ViewState) -> dict[Component, Any]:
        return {self.benchmark: self.views.link_benchmark(state)}

    def after_link(self, loaded: Dependency) -> None:
        loaded.then(self.choices, [self.benchmark, self.limited], [self.domains, self.model]).then(
            self.figures, self.inputs, self.plots
        ).then(self.length, self.inputs, self.length_plot)
