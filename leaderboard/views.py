"""Each tab's server-side work, free of Gradio: what the app calls and the latency benchmark times.

The tabs' event handlers only adapt these to Gradio components, so
``benchmarks/leaderboard_latency.py`` measures exactly what a click costs on the server. Every
answer that is worth keeping is memoised through the one :class:`StoreReader` (until the store
changes); nothing here keeps state of its own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

import pandas as pd
from gradio.components.plot import PlotData
from sqlalchemy import Engine

from flip_core.catalog.benchmarks import BENCHMARKS
from flip_core.catalog.variants import CLEAN
from flip_core.methods import METHOD_NAMES
from flip_store.read.comparisons import compare_runs
from flip_store.read.items import find_items, item_detail
from flip_store.read.length import length_report
from flip_store.read.listing import RunSummary, list_runs
from flip_store.read.reranks import rerank_board
from flip_store.read.robustness import robustness
from leaderboard.board import BoardRow, featured_model, model_names, model_row
from leaderboard.board_rows import board_rows
from leaderboard.catalog import DEFAULT_BENCHMARK, board_domains
from leaderboard.compare_view import render_comparison
from leaderboard.deep_links import ViewState
from leaderboard.escaping import inert_markdown
from leaderboard.figures.charts import CHART_IDS, chart_figures
from leaderboard.figures.length import length_accuracy_figure
from leaderboard.inspect_view import render_item
from leaderboard.rerank_view import rerank_content
from leaderboard.robustness_view import robustness_content
from leaderboard.store_reader import StoreReader
from leaderboard.table_columns import FILTERABLE
from leaderboard.table_view import TableFilters, TableView, shown_domains, table_view

logger = logging.getLogger(__name__)

INSPECT_MODES = {
    "all items": None,
    "FLIP and judge disagree": "disagree",
    "only where run A is wrong": "a_wrong",
}


class LeaderboardViews:
    """The tabs' content over one store (read-only is enough)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.reader = StoreReader(engine)

    # --- the board: the rows the table and the charts share ---------------------------------

    def board(
        self,
        benchmark: str,
        domains: Sequence[str],
        include_limited: bool = False,
        variant: str = CLEAN,
    ) -> list[BoardRow]:
        """Model rows (with their FLIP gains, paired on the store's items) and reference rows
        over ``domains``. Reference rows are properties of the items, the same under every
        variant, so the sampled runs are shown beside them too."""
        shown = tuple(domains)

        def build() -> list[BoardRow]:
            return board_rows(self.reader, benchmark, shown, include_limited, variant)

        key = ("board", benchmark, shown, include_limited, variant)
        return self.reader.derived(key, build)

    def table(self, benchmark: str, filters: TableFilters) -> TableView:
        """The Leaderboard tab: the filtered table, sorted by the Average it shows."""
        domains = shown_domains(benchmark, filters.domains)
        rows = self.board(benchmark, domains, filters.include_limited, filters.variant)
        return table_view(rows, domains, filters)

    def filter_choices(self) -> dict[str, list[str]]:
        """Each filterable column's values: its declared choices, else the values the store's
        rows hold (families, profiles, backends), over every benchmark."""
        rows = [
            model_row(row, ())
            for name in BENCHMARKS
            for row in self.reader.leaderboard(name, include_limited=True)
        ]
        return {
            column.label: list(column.choices())
            if column.choices
            else sorted({str(v) for row in rows if (v := column.value(row)) is not None})
            for column in FILTERABLE
        }

    # --- charts --------------------------------------------------------------------------------

    def model_choices(
        self, benchmark: str, include_limited: bool = False
    ) -> tuple[list[str], str | None]:
        """The models of a benchmark's board and the featured one (the per-domain figures'
        default)."""
        rows = self.board(benchmark, board_domains(benchmark), include_limited)
        return model_names(rows), featured_model(rows)

    def charts(
        self,
        benchmark: str,
        domains: Sequence[str],
        include_limited: bool = False,
        model: str | None = None,
    ) -> list[PlotData]:
        """The Charts tab's figures, in :data:`CHART_IDS` order, as the JSON that ``gr.Plot``
        hands to plotly.js (memoised as JSON, so a repeat view costs nothing)."""
        chosen = shown_domains(benchmark, domains)

        def build() -> list[PlotData]:
            figures = chart_figures(self.board(benchmark, chosen, include_limited), model)
            return [figures[chart].plot_data() for chart in CHART_IDS]

        return self.reader.derived(("charts", benchmark, chosen, include_limited, model), build)

    def length_chart(
        self,
        benchmark: str,
        domains: Sequence[str],
        include_limited: bool = False,
        model: str | None = None,
    ) -> PlotData:
        """Accuracy by length of the chosen response for one model (default the featured one)
        and the length rules, pooled over the chosen domains: its own event beside the other
        figures, because it reads per-item verdicts, which they do not need."""
        chosen = shown_domains(benchmark, domains)

        def build() -> PlotData:
            name = model or featured_model(self.board(benchmark, chosen, include_limited))
            rows = [
                r for r in self.reader.leaderboard(benchmark, include_limited) if r.model == name
            ]
            report = length_report(self.engine, benchmark, rows=rows, domains=chosen)
            return length_accuracy_figure(report).plot_data()

        return self.reader.derived(("length", benchmark, chosen, include_limited, model), build)

    # --- robustness, reranking -------------------------------------------------------------

    def robustness(self, benchmark: str) -> tuple[pd.DataFrame, PlotData]:
        """The Robustness tab: each method's paired accuracy drop under every probe."""

        def build() -> tuple[pd.DataFrame, PlotData]:
            rows = robustness(self.engine, benchmark, board_domains(benchmark))
            frame, figure = robustness_content(rows, benchmark)
            return frame, figure.plot_data()

        return self.reader.derived(("robustness", benchmark), build)

    def rerank_benchmarks(self) -> list[str]:
        """Benchmarks the store holds reranking runs of: those no catalogued benchmark names."""
        return sorted({run.benchmark for run in self._runs() if run.benchmark not in BENCHMARKS})

    def reranking(self, benchmark: str | None) -> tuple[pd.DataFrame, PlotData]:
        """The Reranking tab: every reranking run beside the reference points on its prompts."""

        def build() -> tuple[pd.DataFrame, PlotData]:
            rows = rerank_board(self.engine, benchmark) if benchmark else []
            frame, figure = rerank_content(rows, benchmark or "no reranking runs")
            return frame, figure.plot_data()

        return self.reader.derived(("reranking", benchmark), build)

    # --- the page --------------------------------------------------------------------------

    def real_models(self) -> list[str]:
        """Models with a run of a registered method (model-free reranking pickers have none)."""
        return sorted({run.model for run in self._runs() if run.method in METHOD_NAMES})

    def notice(self, state: ViewState | None = None) -> str:
        """The line under the header (Markdown): how many models the store holds, and what a
        shared link asked for that could not be shown. Store and link text is made inert."""
        models = self.real_models()
        if not models:
            text = "**The store holds no model runs yet.** Run `flip eval` or `flip ingest`."
        elif len(models) == 1:
            text = (
                f"**This board holds a single real model ({inert_markdown(models[0])}).** "
                "Rankings need more models; see About for how to submit one."
            )
        else:
            text = f"{len(models)} models in the store."
        notes = list(state.notes) if state else []
        if state and state.item and not self._has_item(state):
            notes.append(f"no item {state.item!r} in this store; showing the first one")
        if notes:
            text += "\n\n*" + "; ".join(inert_markdown(note) for note in notes) + "*"
        return text

    def _has_item(self, state: ViewState) -> bool:
        return bool(state.benchmark) and state.item in self.item_ids(
            state.benchmark or "", None, "", None, None, "all items"
        )

    def warm(self, benchmarks: Sequence[str] = tuple(BENCHMARKS)) -> None:
        """Read each benchmark's default table and charts once, so that the first visitor
        after a start gets memoised answers (the paired counts are the slow part)."""
        for benchmark in benchmarks:
            self.table(benchmark, TableFilters())
            self.charts(benchmark, [])
            self.length_chart(benchmark, [])

    def keep_warm(self, stop: threading.Event, poll_seconds: float = 5.0) -> None:
        """Warm the default views now and again whenever the store changes, until ``stop``.

        An ingest changes the store's version; the next poll (a one-row query) notices and
        reads the new answers, so visitors after an ingest rarely meet a cold view.
        """
        version = None
        while not stop.is_set():
            try:
                current = self.reader.version()
                if current != version:
                    self.warm()
                    version = current
            except Exception:  # a background nicety: never let it take the app down
                logger.exception("warming the leaderboard's views failed; retrying later")
            stop.wait(poll_seconds)

    # --- inspect, compare ------------------------------------------------------------------

    def _runs(self) -> list[RunSummary]:
        return self.reader.derived(("runs",), lambda: list_runs(self.engine))

    def run_choices(self, benchmark: str) -> list[tuple[str, int]]:
        """(label, run id) of the benchmark's runs, for the run pickers."""
        return [
            (f"{run.model} · {run.task}{' (limited)' if run.limit else ''} (run {run.id})", run.id)
            for run in self._runs()
            if run.benchmark == benchmark
        ]

    def link_benchmark(self, state: ViewState) -> str:
        """The benchmark a shared link shows: the one it names, else its first run's (a
        compare link may name runs only), else the default board."""
        if state.benchmark:
            return state.benchmark
        of_run = {run.id: run.benchmark for run in self._runs()}
        named = [of_run[run] for run in state.runs if of_run.get(run) in BENCHMARKS]
        return named[0] if named else DEFAULT_BENCHMARK

    def linked_runs(
        self, benchmark: str, runs: Sequence[int]
    ) -> tuple[list[tuple[str, int]], list[int | None]]:
        """The run pickers' choices and the two of ``runs`` (a shared link's) they can show
        (None where the link names fewer, or runs this benchmark does not have)."""
        choices = self.run_choices(benchmark)
        known = {value for _, value in choices}
        valid: list[int | None] = [run for run in runs if run in known]
        return choices, [*valid, None, None][:2]

    def item_ids(
        self,
        benchmark: str,
        domain: str | None,
        search: str,
        run_a: int | None,
        run_b: int | None,
        mode: str,
    ) -> list[str]:
        """The Inspect tab's item list under its filters (``domain`` None or ``all``: every
        domain)."""
        return find_items(
            self.engine,
            benchmark,
            None if domain in (None, "all") else domain,
            search,
            run_a,
            run_b,
            INSPECT_MODES[mode],
        )

    def item_html(self, item_id: str | None, runs: Sequence[int]) -> str:
        """One item in full with the chosen runs (all runs when none is chosen)."""
        if not item_id:
            return "<p>No item matches. Change the filters above.</p>"
        detail = item_detail(self.engine, item_id, list(runs) or None)
        if detail is None:
            return "<p>There is no item with that id in this store.</p>"
        return render_item(detail)

    def compare_html(self, run_a: int | None, run_b: int | None, benchmark: str) -> str:
        if not run_a or not run_b:
            return "<p>Pick two runs to compare.</p>"
        return render_comparison(compare_runs(self.engine, int(run_a), int(run_b)), benchmark)
