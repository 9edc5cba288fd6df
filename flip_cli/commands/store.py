"""``flip ingest``, ``flip runs``: fill the results store and list it."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    ingest = subparsers.add_parser(
        "ingest",
        help="store lm-eval output folders, re-scored from their raw outputs",
        description="Read lm-eval --output_path folders (results_*.json and samples_*.jsonl), "
        "validate them against the benchmark data, re-score every raw output and store each "
        "run in one transaction. Re-ingesting changes nothing.",
    )
    ingest.add_argument("path", help="an lm-eval output folder or results_*.json file")
    add_db_option(ingest)
    ingest.set_defaults(handler=run_ingest)

    rerank = subparsers.add_parser(
        "ingest-rerank",
        help="store flip rerank output, checked against the input file it read",
        description="Store a flip rerank output file (JSON Lines) as a reranking run: the "
        "candidates and their reference scores come from --input, every row must match its "
        "prompt there and every pick must follow from the row's scores. Re-ingesting an "
        "identical file changes nothing.",
    )
    rerank.add_argument("results", type=Path, help="a flip rerank --output file")
    rerank.add_argument("--input", type=Path, required=True, help="the file flip rerank read")
    add_db_option(rerank)
    rerank.set_defaults(handler=run_ingest_rerank)

    runs = subparsers.add_parser(
        "runs", help="list the runs (or, with --models, the models) in the store"
    )
    runs.add_argument("--models", action="store_true", help="one line per model instead")
    runs.add_argument("--benchmark", help="only the runs of this benchmark (rb2, llmbar, demo)")
    add_db_option(runs)
    runs.set_defaults(handler=run_runs)


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", help="SQLAlchemy URL (default: $FLIP_DB_URL, else sqlite:///results/flip.db)"
    )


def run_ingest(args: argparse.Namespace) -> int:
    from flip_store.database import open_engine
    from flip_store.ingest import ingest_files
    from harness_tasks.lm_eval_output import find_results_files

    files = list(find_results_files(Path(args.path)))  # a bad path fails before the store opens
    report = ingest_files(open_engine(args.db, create=True), files)
    print(
        f"\n{len(report.stored)} stored, {len(report.unchanged)} already stored, "
        f"{len(report.skipped)} skipped, {len(report.rejected)} rejected"
    )
    return 1 if report.rejected else 0


def run_ingest_rerank(args: argparse.Namespace) -> int:
    from flip_store.database import open_engine
    from flip_store.ingest.reranks import prepare_rerank, store_rerank

    prepared = prepare_rerank(args.results, args.input)  # bad input fails before the store opens
    done = store_rerank(open_engine(args.db, create=True), prepared)
    state = "stored" if done.stored else "already stored"
    print(f"{state}: {done.task} ({done.prompts} prompts, {done.refused} refused)")
    return 0


def run_models(args: argparse.Namespace) -> int:
    from flip_store.database import open_engine
    from flip_store.read.listing import list_models

    for model in list_models(open_engine(args.db, read_only=True)):
        size = f"{model.parameters / 1e9:.2f}B" if model.parameters else "-"
        print(f"{model.name:60} {model.family or '-':10} {size:>7} {model.runs:>4} runs")
    return 0


def run_runs(args: argparse.Namespace) -> int:
    from flip_cli.percent_text import percent, percent_interval
    from flip_store.database import open_engine
    from flip_store.read.listing import list_runs

    if args.models:
        return run_models(args)
    print(
        f"{'id':>5} {'task':40} {'model':38} {'backend':8} {'profile':8} {'tokens':>6} "
        f"{'n':>5} {'acc [95% CI]':19} {'parse fail':>10} {'finished':>8}"
    )
    for run in list_runs(open_engine(args.db, read_only=True), args.benchmark):
        limited = f" limit={run.limit:g}" if run.limit is not None else ""
        print(
            f"{run.id:>5} {run.task:40} {run.model[:38]:38} {run.backend or '-':8} "
            f"{run.profile:8} {_or_dash(run.max_new_tokens):>6} {run.n:>5} "
            f"{percent_interval(run.acc, run.acc_ci):19} {percent(run.parse_fail_rate):>10} "
            f"{percent(run.finished_rate):>8}{limited}"
        )
    print(
        "\n(in %; tokens: the generation budget the run logged; finished: calls the model "
        "ended itself rather than at that budget, '-' where not known or nothing was generated)"
    )
    return 0


def _or_dash(value: int | None) -> str:
    return "-" if value is None else str(value)
