"""The Gradio app: Leaderboard, Inspect and About tabs over a read-only results store.

Hosting (a Hugging Face Space or any server): ``python -m leaderboard.app`` serves the store
named by ``FLIP_DB_URL`` (default ``sqlite:///results/flip.db``) on ``$HOST:$PORT``
(default 127.0.0.1:7860). ``flip leaderboard`` does the same with options.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import gradio as gr
from sqlalchemy import Engine

from flip_core.methods import METHOD_NAMES
from flip_store.database import open_engine
from flip_store.queries import find_items, item_detail, leaderboard, list_models, list_runs
from leaderboard.deep_links import parse_query
from leaderboard.inspect_view import render_item
from leaderboard.table_view import (
    DOMAIN_LABELS,
    SIZE_BUCKETS,
    TableFilters,
    columns_for,
    csv_safe,
    leaderboard_frame,
)

BENCHMARK_DOMAINS = {
    "rb2": ["focus", "factuality", "precise_if", "math"],
    "llmbar": ["neighbor", "gptinst", "gptout", "manual"],
    "demo": ["all"],
}
ABOUT = """
## FLIP: small reward models by backward inference

FLIP (FLipped Inference for Prompt reconstruction; Wang et al., arXiv 2602.13551) scores a
response by asking a small model which instruction most plausibly produced it; the reward is
the word-level F1 between that inferred instruction and the real one. The judge baselines ask
the same model to rate (pointwise, 1-10), compare (pairwise, both orders) or pick (listwise,
shuffled) responses.

**Accuracy** is strict best-of-N: the chosen response must score strictly above every rejected
one (25% by chance on RewardBench 2's four candidates, 50% on LLMBar pairs); intervals are 95%
percentile bootstraps over items. Every score is recomputed from the raw model outputs when a
run is stored. Rows marked *baseline* need no model; rows *reported in the paper* are quoted.

**Submit a model:** `flip eval --model <hub id or folder> --benchmark rb2`, or the `lm_eval`
commands in the project README, then `flip ingest results/raw`.
"""


def _notice(engine: Engine) -> str:
    models = [m for m in list_models(engine) if not m.name.startswith("baseline")]
    if not models:
        return "**The store holds no model runs yet.** Run `flip eval` or `flip ingest`."
    if len(models) == 1:
        return (
            f"**This board holds a single real model ({models[0].name}).** "
            "Rankings need more models; see About for how to submit one."
        )
    return f"{len(models)} models in the store."


def build_app(engine: Engine) -> gr.Blocks:
    families = sorted(
        {m.family for m in list_models(engine) if m.family and m.family != "baseline"}
    )
    csv_dir = Path(tempfile.mkdtemp(prefix="flip-leaderboard-"))

    def table(benchmark, domains, methods, family_choice, sizes, search, limited, baselines, paper):
        filters = TableFilters(
            list(domains or []),
            list(methods or []),
            list(family_choice or []),
            list(sizes or []),
            (search or "").strip(),
            bool(baselines),
            bool(paper),
        )
        rows = leaderboard(engine, benchmark, include_limited=bool(limited))
        frame = leaderboard_frame(rows, benchmark, BENCHMARK_DOMAINS[benchmark], filters)
        path = csv_dir / f"flip-leaderboard-{benchmark}.csv"
        csv_safe(frame).to_csv(path, index=False)
        datatypes = [
            c.datatype
            for c in columns_for(
                [
                    d
                    for d in BENCHMARK_DOMAINS[benchmark]
                    if not filters.domains or d in filters.domains
                ]
            )
        ]
        return gr.Dataframe(value=frame, datatype=datatypes), gr.DownloadButton(value=str(path))

    def domain_choices(benchmark):
        return gr.CheckboxGroup(
            choices=[(DOMAIN_LABELS[d], d) for d in BENCHMARK_DOMAINS[benchmark]], value=[]
        )

    def run_choices(benchmark):
        runs = [
            r
            for r in list_runs(engine)
            if not r.task.startswith("baseline")
            and (r.task.endswith(f"_{benchmark}") or f"_{benchmark}_" in r.task)
        ]
        return [(f"{r.model} · {r.task} (run {r.id})", r.id) for r in runs]

    def inspect_items(benchmark, domain, search, run_a, run_b, only):
        mode = {
            "all items": None,
            "FLIP and judge disagree": "disagree",
            "only where run A is wrong": "a_wrong",
        }[only]
        ids = find_items(
            engine, benchmark, None if domain == "all" else domain, search or "", run_a, run_b, mode
        )
        return gr.Dropdown(choices=ids, value=ids[0] if ids else None), ids

    def show_item(item_id, run_a, run_b):
        if not item_id:
            return "<p>No item matches. Change the filters above.</p>"
        detail = item_detail(engine, item_id)
        if detail is None:
            return "<p>There is no item with that id in this store.</p>"
        wanted = {r for r in (run_a, run_b) if r}
        runs = [r for r in detail.runs if not wanted or r.run_id in wanted]
        return render_item(detail, runs)

    def step(item_id, ids, delta):
        if not ids:
            return gr.Dropdown()
        index = ids.index(item_id) if item_id in ids else 0
        return gr.Dropdown(value=ids[(index + delta) % len(ids)])

    with gr.Blocks(title="FLIP reward bench") as demo:
        gr.Markdown("# FLIP reward bench: small LMs as reward models, FLIP versus judges")
        notice = gr.Markdown()
        with gr.Tabs(selected="leaderboard") as tabs:
            with gr.Tab("Leaderboard", id="leaderboard"):
                with gr.Row():
                    benchmark = gr.Dropdown(
                        list(BENCHMARK_DOMAINS), value="llmbar", label="Benchmark"
                    )
                    domains = gr.CheckboxGroup(
                        [(DOMAIN_LABELS[d], d) for d in BENCHMARK_DOMAINS["llmbar"]],
                        label="Domains (none = all)",
                    )
                    methods = gr.CheckboxGroup(list(METHOD_NAMES), label="Methods (none = all)")
                with gr.Row():
                    family_choice = gr.CheckboxGroup(families, label="Family")
                    sizes = gr.CheckboxGroup(list(SIZE_BUCKETS), label="Size")
                    search = gr.Textbox(label="Search models", max_lines=1)
                with gr.Row():
                    limited = gr.Checkbox(False, label="Include limited runs (marked)")
                    baselines = gr.Checkbox(True, label="Chance and length baselines")
                    paper = gr.Checkbox(True, label="Rows reported in the paper")
                frame = gr.Dataframe(
                    interactive=False, label="Best-of-N accuracy (%)", max_height=640
                )
                download = gr.DownloadButton("Download CSV of this view")
            with gr.Tab("Inspect", id="inspect"):
                with gr.Row():
                    i_benchmark = gr.Dropdown(
                        list(BENCHMARK_DOMAINS), value="llmbar", label="Benchmark"
                    )
                    i_domain = gr.Dropdown(["all", *DOMAIN_LABELS], value="all", label="Domain")
                    i_search = gr.Textbox(label="Search instructions", max_lines=1)
                with gr.Row():
                    run_a = gr.Dropdown(label="Run A (e.g. FLIP)", choices=[])
                    run_b = gr.Dropdown(label="Run B (e.g. a judge)", choices=[])
                    only = gr.Radio(
                        ["all items", "FLIP and judge disagree", "only where run A is wrong"],
                        value="all items",
                        label="Show",
                    )
                with gr.Row():
                    previous = gr.Button("← Previous", size="sm")
                    item = gr.Dropdown(label="Item", choices=[], scale=4)
                    following = gr.Button("Next →", size="sm")
                item_ids = gr.State([])
                item_html = gr.HTML()
            with gr.Tab("About", id="about"):
                gr.Markdown(ABOUT)

        table_inputs = [
            benchmark,
            domains,
            methods,
            family_choice,
            sizes,
            search,
            limited,
            baselines,
            paper,
        ]
        for control in table_inputs:
            control.change(table, table_inputs, [frame, download])
        benchmark.change(domain_choices, benchmark, domains)

        def refresh_runs(bench):
            choices = run_choices(bench)
            return gr.Dropdown(choices=choices, value=None), gr.Dropdown(
                choices=choices, value=None
            )

        # .input (user actions only), not .change: the deep-link handler sets these controls
        # programmatically and must not have its chosen item replaced by the first one.
        i_benchmark.input(refresh_runs, i_benchmark, [run_a, run_b])
        item_inputs = [i_benchmark, i_domain, i_search, run_a, run_b, only]
        for control in item_inputs:
            control.input(inspect_items, item_inputs, [item, item_ids])
        previous.click(lambda i, ids: step(i, ids, -1), [item, item_ids], item)
        following.click(lambda i, ids: step(i, ids, 1), [item, item_ids], item)
        for control in (item, run_a, run_b):
            control.change(show_item, [item, run_a, run_b], item_html)

        def on_load(request: gr.Request):
            state = parse_query(dict(request.query_params) if request else {})
            bench = state.benchmark or "llmbar"
            choices = run_choices(bench)
            valid_runs = [r for r in state.runs if r in {value for _, value in choices}]
            ids = find_items(engine, bench)
            chosen = state.item if state.item in ids else (ids[0] if ids else None)
            text = _notice(engine)
            if state.item and state.item not in ids:
                text += f"\n\n*No item {state.item!r} in this store; showing the first one.*"
            if state.notes:
                text += "\n\n*" + "; ".join(state.notes) + "*"
            return (
                text,
                gr.Tabs(selected=state.tab),
                bench,
                bench,
                gr.Dropdown(choices=choices, value=valid_runs[0] if valid_runs else None),
                gr.Dropdown(choices=choices, value=valid_runs[1] if len(valid_runs) > 1 else None),
                gr.Dropdown(choices=ids, value=chosen),
                ids,
            )

        demo.load(
            on_load, None, [notice, tabs, benchmark, i_benchmark, run_a, run_b, item, item_ids]
        )
        demo.load(table, table_inputs, [frame, download])
    return demo


def serve(db_url: str | None, host: str, port: int, block: bool = True) -> gr.Blocks:
    """Open the store read-only and serve the app; returns the running Blocks."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    engine = open_engine(db_url, read_only=True)
    demo = build_app(engine)
    demo.launch(server_name=host, server_port=port, prevent_thread_lock=not block, show_error=False)
    return demo


if __name__ == "__main__":
    serve(
        os.environ.get("FLIP_DB_URL"),
        os.environ.get("HOST", "127.0.0.1"),
        int(os.environ.get("PORT", "7860")),
    )
