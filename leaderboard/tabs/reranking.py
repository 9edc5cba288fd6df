"""The Reranking tab: best-of-N reranking runs beside the reference points on their prompts."""

from __future__ import annotations

import gradio as gr
from gradio.events import Dependency

from leaderboard.tabs import RERANKING
from leaderboard.tabs.base import ViewsTab

HELP = """
Best-of-N reranking on real candidates (the paper's extrinsic evaluation): for each prompt a
method picks one of N responses, and the pick is scored by an external reference (AlpacaEval:
GPT-4-turbo's win rate of the response against the reference answer, in %). Every row is one
`flip rerank` run stored with `flip ingest-rerank`; its reference points (random pick, always
longest, always shortest, oracle) are computed on exactly the prompts it covers. The store
re-derives every score it can from the run's logged raw outputs; a run whose scores only its
model could recompute (FLIP-likelihood's log-probabilities) is marked *submitted, unverified*.
"""


class RerankingTab(ViewsTab):
    spec = RERANKING

    def build(self) -> None:
        gr.Markdown(HELP)
        benchmarks = self.views.rerank_benchmarks()
        self.benchmark = gr.Dropdown(
            benchmarks, value=benchmarks[0] if benchmarks else None, label="Benchmark"
        )
        self.table = gr.Dataframe(interactive=False, label="Best-of-N reranking")
        self.plot = gr.Plot(label="best-of-N reranking")
        self.benchmark.change(self.views.reranking, self.benchmark, [self.table, self.plot])

    def after_link(self, loaded: Dependency) -> None:
        loaded.then(self.views.reranking, self.benchmark, [self.table, self.plot])
