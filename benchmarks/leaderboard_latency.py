"""The leaderboard's server-side latency at leaderboard scale, per tab and per filter click.

Times what each interaction costs on the server (``leaderboard.views.LeaderboardViews``, the
exact code the Gradio handlers call; no browser, no network), over the scale store of
``benchmarks/store_scale.py`` (100 models x 5 methods x 1,313 RewardBench-2-shaped items),
against a bare query of the same rows in the same run:

- baseline: ``SELECT`` of the acc metric rows of every run (what any table must read);
- Leaderboard: the first view cold (nothing memoised: right after an ingest changed the store)
  and after start (the app memoises the default views in the background when it starts), and
  a filter click (one domain; only FLIP and a search: memoised rows and paired counts are
  reused);
- Charts: the figures of ``leaderboard.figures.charts`` for all domains (cold) and after a
  domain filter; the accuracy-by-length figure, which the app loads as its own event, the same
  two ways;
- Inspect: the item list of a domain and one item in full with two runs;
- Compare: two runs (FLIP and a judge of one model) item by item.

Like the served app, it freezes the heap it starts with (``leaderboard.startup_heap``), so
CPython's full collections do not rescan the imported libraries during the timed calls.

Target (issue 5): every interaction under 300 ms server-side at that scale. Synthetic data:
the numbers measure the app and the store, never a model.

    .venv/bin/python benchmarks/leaderboard_latency.py [--db sqlite:////path/filled.db]

Without ``--db`` it fills a new temporary store first (about 4 minutes, 1.3 GB on disk).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from store_scale import CALLS_PER_ITEM, fill

from flip_store.database import open_engine
from flip_store.read.listing import list_runs
from flip_store.schema import MetricRow, RunRow
from leaderboard.catalog import method_label, method_labels
from leaderboard.startup_heap import freeze_startup_heap
from leaderboard.table_view import TableFilters
from leaderboard.views import LeaderboardViews

DISAGREE = "FLIP and judge disagree"


def timed(function: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median and 95th percentile in milliseconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))]


def cold(views_factory: Callable[[], LeaderboardViews], action) -> Callable[[], object]:  # type: ignore[no-untyped-def]
    """A first view: a fresh app (nothing memoised) each time."""
    return lambda: action(views_factory())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a store filled by store_scale.py (default: fill a new one)")
    parser.add_argument("--models", type=int, default=100, help="when filling (default 100)")
    parser.add_argument("--repeats", type=int, default=14)
    args = parser.parse_args()

    if args.db:
        engine = open_engine(args.db, read_only=True)
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='flip-latency-')) / 'flip.db'}"
        fill(open_engine(url, create=True), args.models, list(CALLS_PER_ITEM), random.Random(0))
        engine = open_engine(url, read_only=True)

    runs = list_runs(engine)
    by_task = {(r.model, r.task): r.id for r in runs}
    model = next(m for m, task in by_task if (m, "judge_pointwise_rb2_focus") in by_task)
    flip_run = by_task[(model, "flip_rb2_focus")]
    judge_run = by_task[(model, "judge_pointwise_rb2_focus")]
    warm = LeaderboardViews(engine)
    focus_items = warm.item_ids("rb2", "focus", "", None, None, "all items")
    print(f"store: {len(runs):,} runs; Inspect/Compare on {model} (runs {flip_run}, {judge_run})")

    def bare_rows() -> None:
        with engine.connect() as connection:
            connection.execute(
                select(RunRow.id, MetricRow.value)
                .join(MetricRow, MetricRow.run_id == RunRow.id)
                .where(RunRow.benchmark == "rb2", MetricRow.name == "acc")
            ).all()

    warm.warm(["rb2"])  # what the app does in the background at start
    freeze_startup_heap()  # what `flip leaderboard` does before it starts serving
    # Every proper subset of the four domains, each new to the memo when first asked for.
    domains = ["focus", "factuality", "precise_if", "math"]
    subsets = iter(
        [[d for i, d in enumerate(domains) if mask >> i & 1] for mask in range(1, 15)] * 4
    )
    probes = iter(random.Random(1).choices(focus_items, k=args.repeats * 2))
    only_flip = TableFilters(
        hidden={"Method": frozenset(method_labels()) - {method_label("flip")}}, search="model-1"
    )
    measured = {
        "bare query of the same rows (baseline)": timed(bare_rows, args.repeats),
        "Leaderboard: first view (cold)": timed(
            cold(lambda: LeaderboardViews(engine), lambda v: v.table("rb2", TableFilters())),
            args.repeats,
        ),
        "Leaderboard: first view after start (warmed)": timed(
            lambda: warm.table("rb2", TableFilters()), args.repeats
        ),
        "Leaderboard: filter to one domain": timed(
            lambda: warm.table("rb2", TableFilters(domains=("math",))), args.repeats
        ),
        "Leaderboard: filter method + search": timed(
            lambda: warm.table("rb2", only_flip), args.repeats
        ),
        "Charts: first view (cold)": timed(
            cold(lambda: LeaderboardViews(engine), lambda v: v.charts("rb2", [])),
            args.repeats,
        ),
        "Charts: first view after start (warmed)": timed(
            lambda: warm.charts("rb2", []), args.repeats
        ),
        "Charts: a domain filter not chosen before": timed(
            lambda: warm.charts("rb2", next(subsets)), args.repeats
        ),
        "Charts: a domain filter chosen before": timed(
            lambda: warm.charts("rb2", ["focus", "math"]), args.repeats
        ),
        "Charts: accuracy by length, cold (own event)": timed(
            cold(lambda: LeaderboardViews(engine), lambda v: v.length_chart("rb2", [])),
            args.repeats,
        ),
        "Charts: accuracy by length, new domain filter": timed(
            lambda: warm.length_chart("rb2", next(subsets)), args.repeats
        ),
        "Inspect: item list of a domain": timed(
            lambda: warm.item_ids("rb2", "focus", "", flip_run, judge_run, "all items"),
            args.repeats,
        ),
        "Inspect: disagreements of two runs": timed(
            lambda: warm.item_ids(
                "rb2", "focus", "", flip_run, judge_run, "FLIP and judge disagree"
            ),
            args.repeats,
        ),
        "Inspect: one item with two runs": timed(
            lambda: warm.item_html(next(probes), [flip_run, judge_run]), args.repeats
        ),
        "Compare: FLIP vs a judge of one model": timed(
            lambda: warm.compare_html(judge_run, flip_run, "rb2"), args.repeats
        ),
        "run pickers (every run of rb2)": timed(lambda: warm.run_choices("rb2"), args.repeats),
    }
    base = measured["bare query of the same rows (baseline)"][0]
    print(f"\n{'interaction':42} {'p50 ms':>8} {'p95 ms':>8} {'p50 / baseline':>15}")
    for name, (p50, p95) in measured.items():
        print(f"{name:42} {p50:8.1f} {p95:8.1f} {p50 / base:15.1f}")
    worst = max(p95 for name, (_, p95) in measured.items() if "baseline" not in name)
    print(f"\nslowest interaction p95: {worst:.0f} ms (target < 300 ms server-side)")


if __name__ == "__main__":
    main()
