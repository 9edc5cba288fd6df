"""The Inspect tab: one item in full with the chosen runs (:mod:`leaderboard.inspect_view`).

User actions are bound with ``.input`` (user events only), not ``.change``: a shared link sets
the benchmark, runs and item together, and a change event of one control would carry the
others' old values and replace the linked item with the first one. Only the item's own change
re-renders the view.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
from gradio.components import Component

from flip_core.catalog.benchmarks import benchmark as benchmark_spec
from flip_core.catalog.benchmarks import domain_label
from leaderboard.catalog import DEFAULT_BENCHMARK
from leaderboard.deep_links import ViewState
from leaderboard.tabs import INSPECT
from leaderboard.tabs.base import ViewsTab, benchmark_dropdown
from leaderboard.views import INSPECT_MODES

ALL_DOMAINS = ("all domains", "all")


def domain_picker_choices(benchmark: str) -> list[tuple[str, str]]:
    """Every domain of the benchmark (the optional ones too: any stored item can be read)."""
    return [ALL_DOMAINS, *((domain_label(d), d) for d in benchmark_spec(benchmark).domain_names)]


class InspectTab(ViewsTab):
    spec = INSPECT

    def build(self) -> None:
        with gr.Row():
            self.benchmark = benchmark_dropdown()
            self.domain = gr.Dropdown(
                domain_picker_choices(DEFAULT_BENCHMARK), value="all", label="Domain"
            )
            search = gr.Textbox(label="Search instructions", max_lines=1)
        with gr.Row():
            self.run_a = gr.Dropdown(label="Run A (e.g. FLIP)", choices=[])
            self.run_b = gr.Dropdown(label="Run B (e.g. a judge)", choices=[])
            only = gr.Radio(list(INSPECT_MODES), value="all items", label="Show")
        with gr.Row():
            previous = gr.Button("← Previous", size="sm")
            self.item = gr.Dropdown(label="Item", choices=[], scale=4)
            following = gr.Button("Next →", size="sm")
        self.item_ids = gr.State([])
        view = gr.HTML()

        self.benchmark.input(
            self.benchmark_changed, self.benchmark, [self.domain, self.run_a, self.run_b]
        )
        filters = [self.benchmark, self.domain, search, self.run_a, self.run_b, only]
        for control in filters:
            control.input(self.items, filters, [self.item, self.item_ids]).then(
                self.show, [self.item, self.run_a, self.run_b], view
            )
        previous.click(lambda i, ids: self.step(i, ids, -1), [self.item, self.item_ids], self.item)
        following.click(lambda i, ids: self.step(i, ids, 1), [self.item, self.item_ids], self.item)
        self.item.change(self.show, [self.item, self.run_a, self.run_b], view)

    def benchmark_changed(self, benchmark: str) -> tuple[gr.Dropdown, gr.Dropdown, gr.Dropdown]:
        choices = self.views.run_choices(benchmark)
        return (
            gr.Dropdown(choices=domain_picker_choices(benchmark), value="all"),
            gr.Dropdown(choices=choices, value=None),
            gr.Dropdown(choices=choices, value=None),
        )

    def items(
        self,
        benchmark: str,
        domain: str,
        search: str,
        run_a: int | None,
        run_b: int | None,
        only: str,
    ) -> tuple[gr.Dropdown, list[str]]:
        ids = self.views.item_ids(benchmark, domain, search or "", run_a, run_b, only)
        return gr.Dropdown(choices=ids, value=ids[0] if ids else None), ids

    def show(self, item_id: str | None, run_a: int | None, run_b: int | None) -> str:
        return self.views.item_html(item_id, [r for r in (run_a, run_b) if r])

    @staticmethod
    def step(item_id: str | None, ids: list[str], delta: int) -> gr.Dropdown:
        if not ids:
            return gr.Dropdown()
        index = ids.index(item_id) if item_id in ids else 0
        return gr.Dropdown(value=ids[(index + delta) % len(ids)])

    def link_outputs(self) -> list[Component]:
        return [self.benchmark, self.domain, self.run_a, self.run_b, self.item, self.item_ids]

    def from_link(self, state: ViewState) -> dict[Component, Any]:
        """The linked item with the linked runs (the first item where the link names none or
        one this store lacks; the notice says so)."""
        benchmark = self.views.link_benchmark(state)
        choices, (run_a, run_b) = self.views.linked_runs(benchmark, state.runs)
        ids = self.views.item_ids(benchmark, None, "", None, None, "all items")
        chosen = state.item if state.item in ids else (ids[0] if ids else None)
        return {
            self.benchmark: benchmark,
            self.domain: gr.Dropdown(choices=domain_picker_choices(benchmark), value="all"),
            self.run_a: gr.Dropdown(choices=choices, value=run_a),
            self.run_b: gr.Dropdown(choices=choices, value=run_b),
            self.item: gr.Dropdown(choices=ids, value=chosen),
            self.item_ids: ids,
        }
