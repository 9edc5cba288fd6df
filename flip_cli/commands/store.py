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
    add_db_option(runs)
    runs.set_defaults(handler=run_runs)


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", help="SQLAlchemy URL (default: $FLIP_DB_URL, else sqlite:///results/flip.db)"
    )


def run_ingest(args: argparse.Namespace) -> int:
    from flip_store.database import open_engine
    from flip_store.ingest import ingest_path

    engine = open_engine(args.db, create=True)
    report = ingest_path(engine, args.path)
    print(
        f"\n{len(report.stored)} stored, {len(report.unchanged)} already stored, "
        f"{len(report.skipped)} skipped, {len(report.rejected)} rejected"
    )
    return 1 if report.rejected else 0


def run_ingest_rerank(args: argparse.Namespace) -> int:
    from flip_store.database import open_engine
    from flip_store.ingest.reranks import ingest_rerank

    engine = open_engine(args.db, create=True)
    done = ingest_rerank(engine, args.results, args.input)
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
    from flip_store.database import open_engine
    from flip_store.read.listing import list_runs

    if args.models:
        return run_models(args)
    for run in list_runs(open_engine(args.db, read_only=True)):
        limited = f" limit={run.limit:g}" if run.limit is not None else ""
        acc = "-" if run.acc is None else f"{run.acc * 100:.1f}"
        print(
            f"{run.id:>5} {run.task:34} {run.model:45} {run.profile:8} n={run.n:<5} "
            f"acc={acc}{limited}"
        )
    return 0
