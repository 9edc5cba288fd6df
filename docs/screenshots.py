"""Screenshots of every leaderboard tab over the committed results, for the README.

Builds a fresh store from ``results/raw/`` (re-scored like ``flip ingest``; needs the benchmark
data: ``FLIP_DATA_DIR``), serves the app on loopback and opens each tab in headless Chromium
(Debian's, through Playwright, as the browser test does): the table, the charts, robustness
to the probes, the reranking runs (``results/rerank/``), one item in Inspect where FLIP and
the pointwise judge disagree, and Compare of the two runs.

    FLIP_DATA_DIR=../shared/data .venv/bin/python docs/screenshots.py [--out docs/screenshots] \\
        [--domain neighbor]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import tempfile
from pathlib import Path

from flip_core.catalog.benchmarks import domain_label
from flip_store.database import open_engine
from flip_store.ingest import ingest_path
from flip_store.ingest.reranks import ingest_committed_reranks
from flip_store.read.items import find_items
from flip_store.read.listing import list_runs
from leaderboard.deep_links import query_string
from leaderboard.figures.charts import CHART_IDS, CHART_LABELS
from leaderboard.hosting import serve
from leaderboard.tabs import TABS
from leaderboard.tabs.leaderboard_table import TABLE_LABEL

REPO = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(REPO / "docs" / "screenshots"))
    parser.add_argument("--raw", default=str(REPO / "results" / "raw"))
    parser.add_argument(
        "--domain",
        help="show only this LLMBar domain on the Leaderboard and Charts tabs (e.g. neighbor: "
        "rows are averaged only over domains they all have, so a domain every model has run "
        "compares the most models)",
    )
    args = parser.parse_args()
    domain_box = domain_label(args.domain) if args.domain else None
    from playwright.sync_api import sync_playwright

    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='flip-docs-')) / 'flip.db'}"
    writer = open_engine(url, create=True)
    ingest_path(writer, args.raw, progress=lambda line: None)
    ingest_committed_reranks(writer, Path(args.raw).parent / "rerank")
    engine = open_engine(url, read_only=True)
    runs = {run.task: run.id for run in list_runs(engine)}
    flip, judge = runs["flip_llmbar_neighbor"], runs["judge_pointwise_llmbar_neighbor"]
    disagreements = find_items(engine, "llmbar", "neighbor", "", flip, judge, "disagree")

    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    port = _free_port()
    demo = serve(url, "127.0.0.1", port, block=False)
    base = f"http://127.0.0.1:{port}/"
    views = {
        "leaderboard": (query_string("leaderboard", "llmbar"), TABLE_LABEL),
        "charts": (query_string("charts", "llmbar"), CHART_LABELS[CHART_IDS[0]]),
        "robustness": (query_string("robustness"), "Accuracy drop per probe"),
        "reranking": (query_string("reranking"), "Best-of-N reranking"),
        "inspect": (
            query_string("inspect", "llmbar", disagreements[0], [flip, judge]),
            "Original instruction",
        ),
        "compare": (query_string("compare", "llmbar", runs=[judge, flip]), "McNemar exact"),
        "about": (query_string("about"), "Submit a model"),
    }
    assert list(views) == [tab.id for tab in TABS], "a tab of the app has no screenshot here"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    chromium = os.environ.get("FLIP_CHROMIUM") or shutil.which("chromium")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            for name, (link, ready_text) in views.items():
                page.goto(base + link)
                page.locator(f"text={ready_text} >> visible=true").first.wait_for()
                if domain_box and name in ("leaderboard", "charts"):
                    page.locator(f"label:has-text('{domain_box}') >> visible=true").first.click()
                    page.wait_for_timeout(2500)  # the table and figures redraw
                page.wait_for_timeout(1500)  # let plots and late updates settle
                page.screenshot(path=str(out / f"{name}.png"), full_page=name != "inspect")
                print(f"wrote {out / f'{name}.png'}")
            browser.close()
    finally:
        demo.close()


if __name__ == "__main__":
    main()
