"""``flip demo``: the main job on embedded defaults, runnable offline on two CPU cores.

Evaluates the bundled demo set (24 hand-written items in RewardBench 2's schema) with the
bundled SmolLM2-135M-Instruct in the ``cpu`` profile, by FLIP and a judge, through the same
path as ``flip eval`` (lm-eval tasks, raw output under ``results/raw/``, the store), on the
llama.cpp backend where llama-cpp-python is installed (the result records the backend), else on
transformers; stores the
project's committed results beside it; prints the summary; then serves the leaderboard over
that store until Ctrl-C (``--no-serve`` stops after the summary, for scripts).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from flip_core.backends import BACKENDS

DEMO_METHODS = "flip,judge_pointwise"
COMMITTED_RESULTS = Path("results") / "raw"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="evaluate the bundled demo set with the bundled model, store it, serve the board",
        description=__doc__,
    )
    parser.add_argument(
        "--methods", default=DEMO_METHODS, help=f"comma-separated (default: {DEMO_METHODS})"
    )
    parser.add_argument("--limit", type=int, help="only the first N demo items (flagged)")
    parser.add_argument(
        "--committed",
        default=str(COMMITTED_RESULTS),
        help="lm-eval output to store beside the demo run (default: results/raw, the "
        "project's committed runs); '' stores nothing else",
    )
    parser.add_argument(
        "--backend",
        choices=("auto", *BACKENDS),
        default="auto",
        help="auto (default): llamacpp where llama-cpp-python is installed, else hf",
    )
    parser.add_argument("--db", help="SQLAlchemy URL (default: sqlite:///results/flip.db)")
    parser.add_argument(
        "--no-serve", action="store_true", help="stop after the summary (do not serve the board)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="where the leaderboard listens")
    parser.add_argument("--port", type=int, default=7860)
    parser.set_defaults(handler=run)


def demo_backend(choice: str) -> str:
    """``auto``: llama.cpp, several times faster on a CPU, wherever its extra is installed."""
    if choice != "auto":
        return choice
    import importlib.util

    return "llamacpp" if importlib.util.find_spec("llama_cpp") is not None else "hf"


def run(args: argparse.Namespace) -> int:
    from flip_cli.commands.evaluate import EvalSettings, evaluate_model, task_names
    from flip_core.errors import FlipConfigError
    from flip_store.database import open_engine
    from flip_store.ingest import ingest_path
    from flip_store.ingest.reranks import ingest_committed_reranks

    if args.limit is not None and args.limit < 1:
        raise FlipConfigError(f"--limit must be >= 1, got {args.limit}")
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    tasks = task_names(methods, "demo", None)
    engine = open_engine(args.db, create=True)
    settings = EvalSettings(profile="cpu", limit=args.limit, backend=demo_backend(args.backend))
    status = evaluate_model("default", tasks, settings, engine)
    committed = Path(args.committed) if args.committed else None
    if committed is not None and committed.is_dir():
        print(f"\nstoring the committed results in {committed} (already stored runs are kept)")
        report = ingest_path(engine, committed)
        status |= 1 if report.rejected else 0
        # The committed reranking runs sit beside the lm-eval output (results/rerank).
        print("\n".join(ingest_committed_reranks(engine, committed.parent / "rerank")))
    elif committed is not None:
        print(f"\nno committed results at {committed}; the board shows the demo run only")
    if args.no_serve:
        return status
    from leaderboard.app import serve

    base = f"http://{args.host}:{args.port}"
    print(
        f"\nleaderboard: open {base}/?benchmark=demo (the demo run), {base}/?benchmark=llmbar "
        f"(committed LLMBar runs), {base}/?tab=inspect&benchmark=demo (per-example view). "
        "Ctrl-C stops it."
    )
    serve(args.db, args.host, args.port, block=True)
    return status
