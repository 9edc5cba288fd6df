"""Each tab's server-side work, free of Gradio: what the app calls and the latency benchmark times.

The app's event handlers only adapt these to Gradio components, so
``benchmarks/leaderboard_latency.py`` measures exactly what a click costs on the server.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

import pandas as pd
from gradio.components.plot import PlotData
from sqlalchemy import Engine

from flip_core.catalog.benchmarks import BENCHMARKS
from flip_store.read.comparisons import compare_runs
from flip_store.read.items import find_items, item_detail
from flip_store.read.length import length_report
from flip_store.read.listing import list_runs
from flip_store.read.reranks import rerank_board
from flip_store.read.robustness import robustness
from leaderboard.charts import CHART_IDS, chart_figures, featured_model
from leaderboard.compare_view import render_comparison
from leaderboard.gains import FlipGain, RowKey, flip_gains
from leaderboard.inspect_view import render_item
from leaderboard.length_chart import length_accuracy_figure
from leaderboard.rerank_view import rerank_figure, rerank_frame
from leaderboard.robustness_view import robustness_figure, robustness_frame
from leaderboard.store_reader import StoreReader
from leaderboard.table_view import TableFilters, columns_for, leaderboard_frame, shown_domains

logger = logging.getLogger(__name__)

BENCHMARK_DOMAINS = {name: list(spec.averaged_domains) for name, spec in BENCHMARKS.items()}
"""The domains each benchmark's board shows and averages: the harness groups' (the paper's)."""
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

    def gains(self, rows, domains: Sequence[str]) -> dict[RowKey, FlipGain]:  # type: ignore[no-untyped-def]
        return flip_gains(rows, domains, self.reader.discordant_counts)

    def table(
        self, benchmark: str, filters: TableFilters, include_limited: bool
    ) -> tuple[pd.DataFrame, list[str]]:
        """The Leaderboard tab: the filtered frame and its column types. Sampled runs
        (``filters.sampling == "s5"``) are shown with the clean baselines beside them (the
        baselines are properties of the items, the same under every variant)."""
        rows = self.reader.leaderboard(benchmark, include_limited, filters.sampling)
        if filters.sampling != "none":
            clean = self.reader.leaderboard(benchmark, include_limited)
            rows = rows + [row for row in clean if row.is_baseline]
        all_domains = BENCHMARK_DOMAINS[benchmark]
        domains = shown_domains(all_domains, filters)
        frame = leaderboard_frame(rows, benchmark, all_domains, filters, self.gains(rows, domains))
        return frame, [column.datatype for column in columns_for(domains)]

    def charts(
        self, benchmark: str, domains: Sequence[str], include_limited: bool
    ) -> list[PlotData]:
        """The Charts tab's figures, in :data:`leaderboard.charts.CHART_IDS` order, as the JSON
        that ``gr.Plot`` hands to plotly.js (memoised as JSON, so a repeat view costs nothing)."""
        chosen = [d for d in BENCHMARK_DOMAINS[benchmark] if not domains or d in domains]

        def build() -> list[PlotData]:
            rows = self.reader.leaderboard(benchmark, include_limited=include_limited)
            figures = chart_figures(rows, chosen, gains=self.gains(rows, chosen))
            return [figures[chart].plot_data() for chart in CHART_IDS]

        # Building the figures is most of the tab's time at scale: kept until the store changes.
        return self.reader.derived(("charts", benchmark, tuple(chosen), include_limited), build)

    def length_chart(
        self, benchmark: str, domains: Sequence[str], include_limited: bool
    ) -> PlotData:
        """The Charts tab's accuracy-by-length figure, its own event beside the other figures
        (it reads per-item verdicts, which they do not need): the featured model's rows (the
        per-domain bars' model) and the length baselines, pooled over the selected domains."""
        chosen = [d for d in BENCHMARK_DOMAINS[benchmark] if not domains or d in domains]

        def build() -> PlotData:
            rows = self.reader.leaderboard(benchmark, include_limited=include_limited)
            model = featured_model(rows, chosen)
            shown = [r for r in rows if r.is_baseline or r.model == model]
            report = length_report(self.engine, benchmark, rows=shown, domains=chosen)
            return length_accuracy_figure(report).plot_data()

        return self.reader.derived(("length", benchmark, tuple(chosen), include_limited), build)

    def robustness(self, benchmark: str) -> tuple[pd.DataFrame, PlotData]:
        """The Robustness tab: each method's paired accuracy drop under every probe."""

        def build() -> tuple[pd.DataFrame, PlotData]:
            rows = robustness(self.engine, benchmark, BENCHMARK_DOMAINS[benchmark])
            return robustness_frame(rows), robustness_figure(rows, benchmark).plot_data()

        return self.reader.derived(("robustness", benchmark), build)

    def reranking(self, benchmark: str) -> tuple[pd.DataFrame, PlotData]:
        """The Reranking tab: every reranking run beside the reference points on its prompts."""

        def build() -> tuple[pd.DataFrame, PlotData]:
            rows = rerank_board(self.engine, benchmark)
            return rerank_frame(rows), rerank_figure(rows, benchmark).plot_data()

        return self.reader.derived(("reranking", benchmark), build)

    def warm(self, benchmarks: Sequence[str] = tuple(BENCHMARK_DOMAINS)) -> None:
        """Read each benchmark's default table and charts once, so that the first visitor
        after a start gets memoised answers (the paired counts are the slow part)."""
        for benchmark in benchmarks:
            self.table(benchmark, TableFilters(), False)
            self.charts(benchmark, [], False)
            self.length_chart(benchmark, [], False)

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

    def run_choices(self, benchmark: str) -> list[tuple[str, int]]:
        """(label, run id) of the benchmark's model runs, for the run pickers."""
        return [
            (f"{run.model} · {run.task} (run {run.id})", run.id)
            for run in list_runs(self.engine)
            if not run.task.startswith("baseline")
            and (run.task.endswith(f"_{benchmark}") or f"_{benchmark}_" in run.task)
        ]

    def item_ids(
        self,
        benchmark: str,
        domain: str,
        search: str,
        run_a: int | None,
        run_b: int | None,
        mode: str,
    ) -> list[str]:
        """The Inspect tab's item list under its filters."""
        return find_items(
            self.engine,
            benchmark,
            None if domain == "all" else domain,
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
