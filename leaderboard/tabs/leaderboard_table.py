"""The Leaderboard tab: the table with its filters, column chooser and CSV download.

The filter controls are grouped in :class:`TableControls`, read in one handler as Gradio's
dict input (``inputs`` given as a set: the handler receives ``{component: value}``), so
adding a filter never grows a positional signature. One filter per filterable column of
:mod:`leaderboard.table_columns`, every value ticked at first: unticking a value hides the
rows holding it.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.components import Component
from gradio.events import Dependency

from flip_core.catalog.variants import CLEAN, SAMPLED, SAMPLED_PROFILE
from flip_core.methods import METHOD_NAMES, method_class
from leaderboard.catalog import DEFAULT_BENCHMARK, domain_choices
from leaderboard.deep_links import ViewState
from leaderboard.table_columns import CHOOSABLE, DEFAULT_SHOWN, FILTERABLE
from leaderboard.table_view import TableFilters, write_csv
from leaderboard.tabs import LEADERBOARD
from leaderboard.tabs.base import ViewsTab, benchmark_dropdown
from leaderboard.views import LeaderboardViews

TABLE_LABEL = "Best-of-N accuracy (%)"


def variant_choices() -> list[tuple[str, str]]:
    """(label, variant) of the Runs choice: the clean tasks, or the sampled protocol for the
    methods that support it."""
    sampling = ", ".join(
        method_class(name).label for name in METHOD_NAMES if method_class(name).supports_sampling
    )
    return [
        ("greedy (the clean tasks)", CLEAN),
        (
            f"{SAMPLED_PROFILE.num_samples} samples at T={SAMPLED_PROFILE.temperature} "
            f"(the _{SAMPLED} tasks; {sampling})",
            SAMPLED,
        ),
    ]


@dataclass(frozen=True)
class TableControls:
    """The components whose values make a :class:`TableFilters`."""

    benchmark: gr.Dropdown
    domains: gr.CheckboxGroup
    filters: dict[str, gr.CheckboxGroup]
    """Per filterable column label, its values' checkboxes."""
    offered: dict[str, list[str]]
    """What each of those offered: only an offered value that is unticked hides rows."""
    search: gr.Textbox
    limited: gr.Checkbox
    variant: gr.Dropdown
    columns: gr.CheckboxGroup

    def components(self) -> set[Component]:
        return {
            self.benchmark,
            self.domains,
            *self.filters.values(),
            self.search,
            self.limited,
            self.variant,
            self.columns,
        }

    def read(self, values: dict[Component, Any]) -> tuple[str, TableFilters]:
        """The benchmark and the filters from the components' values."""
        hidden = {
            label: frozenset(self.offered[label]) - set(values[box] or [])
            for label, box in self.filters.items()
        }
        return values[self.benchmark], TableFilters(
            domains=tuple(values[self.domains] or ()),
            hidden={label: unticked for label, unticked in hidden.items() if unticked},
            search=values[self.search] or "",
            include_limited=bool(values[self.limited]),
            variant=values[self.variant] or CLEAN,
            columns=tuple(values[self.columns] or ()),
        )


class LeaderboardTab(ViewsTab):
    spec = LEADERBOARD

    def __init__(self, views: LeaderboardViews) -> None:
        super().__init__(views)
        self.csv_dir = Path(tempfile.mkdtemp(prefix="flip-leaderboard-"))

    def build(self) -> None:
        offered = self.views.filter_choices()
        with gr.Row():
            benchmark = benchmark_dropdown()
            domains = gr.CheckboxGroup(
                domain_choices(DEFAULT_BENCHMARK), label="Domains (none = all)"
            )
        with gr.Row():
            filters = {
                column.label: gr.CheckboxGroup(
                    offered[column.label],
                    value=offered[column.label],
                    label=f"Show: {column.label}",
                    visible=bool(offered[column.label]),  # nothing to filter on yet
                )
                for column in FILTERABLE
            }
        with gr.Row():
            search = gr.Textbox(label="Search models", max_lines=1)
            limited = gr.Checkbox(False, label="Include limited runs (marked)")
            variant = gr.Dropdown(variant_choices(), value=CLEAN, label="Runs")
        with gr.Accordion("Columns", open=False):
            columns = gr.CheckboxGroup(list(CHOOSABLE), value=list(DEFAULT_SHOWN), label="Shown")
        self.table = gr.Dataframe(interactive=False, label=TABLE_LABEL, max_height=640)
        self.download = gr.DownloadButton("Download CSV of this view")
        self.controls = TableControls(
            benchmark, domains, filters, offered, search, limited, variant, columns
        )
        benchmark.change(
            lambda name: gr.CheckboxGroup(choices=domain_choices(name), value=[]),
            benchmark,
            domains,
        )
        gr.on(
            [component.change for component in self.controls.components()],
            self.refresh,
            self.controls.components(),
            [self.table, self.download],
            trigger_mode="always_last",
        )

    def refresh(self, values: dict[Component, Any]) -> tuple[gr.Dataframe, gr.DownloadButton]:
        """The table and its CSV for the controls' values."""
        benchmark, filters = self.controls.read(values)
        view = self.views.table(benchmark, filters)
        path = write_csv(view.frame, self.csv_dir / f"flip-leaderboard-{benchmark}.csv")
        return gr.Dataframe(value=view.frame, datatype=view.datatypes), gr.DownloadButton(
            value=str(path)
        )

    def link_outputs(self) -> list[Component]:
        return [self.controls.benchmark]

    def from_link(self, state: ViewState) -> dict[Component, Any]:
        return {self.controls.benchmark: self.views.link_benchmark(state)}

    def after_link(self, loaded: Dependency) -> None:
        loaded.then(self.refresh, self.controls.components(), [self.table, self.download])
