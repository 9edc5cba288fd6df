"""Serving the app over a store, and the hosted entry that rebuilds the store first.

``flip leaderboard`` serves an existing store with options (:func:`serve`); ``python -m
leaderboard.app`` (a Hugging Face Space, any server) reads everything from the environment and
rebuilds the store from the committed raw output at start (:func:`host_from_environment`).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import gradio as gr

from flip_store.database import default_url, open_engine
from flip_store.ingest.archives import MAX_ARCHIVE_BYTES
from leaderboard.startup_heap import freeze_startup_heap
from leaderboard.views import LeaderboardViews

REBUILD_ENV = "FLIP_REBUILD_FROM"
RERANK_REBUILD_ENV = "FLIP_RERANK_FROM"


def serve(db_url: str | None, host: str, port: int, block: bool = True) -> gr.Blocks:
    """Open the store read-only and serve the app; returns the running Blocks.

    The default views are memoised in a background thread, again after every change of the
    store: the app starts at once, and visitors at leaderboard scale do not wait for the paired
    counts. The heap alive at start is frozen out of the garbage collector's full passes
    (:mod:`leaderboard.startup_heap`).
    """
    from leaderboard.app import build_app

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    engine = open_engine(db_url, read_only=True)
    views = LeaderboardViews(engine)
    threading.Thread(
        target=views.keep_warm, args=(threading.Event(),), name="flip-warm", daemon=True
    ).start()
    demo = build_app(engine, upload_db_url=db_url or default_url(), views=views)
    freeze_startup_heap()
    demo.launch(
        server_name=host,
        server_port=port,
        prevent_thread_lock=not block,
        show_error=False,
        max_file_size=MAX_ARCHIVE_BYTES,
    )
    return demo


def host_from_environment() -> None:
    """The hosted entry, configured by the environment.

    ``FLIP_DB_URL`` (default ``sqlite:///results/flip.db``), ``HOST`` (127.0.0.1), ``PORT``
    (7860). The store is (re)built at start from the committed raw output (conventions.md):
    ``FLIP_REBUILD_FROM`` names the lm-eval output folder (default ``results/raw`` when it
    exists; empty to skip) and ``FLIP_RERANK_FROM`` the reranking outputs (default
    ``results/rerank``, read against the AlpacaEval file under ``$FLIP_DATA_DIR``). Runs
    already stored are kept, so a restart is quick.
    """
    from flip_store.ingest import ingest_path
    from flip_store.ingest.reranks import ingest_committed_reranks

    db_url = os.environ.get("FLIP_DB_URL") or default_url()
    source = os.environ.get(REBUILD_ENV, "results/raw")
    if source and Path(source).is_dir():
        engine = open_engine(db_url, create=True)
        report = ingest_path(engine, source)
        print(f"store rebuilt from {source}: {len(report.stored)} new runs")
        reranks = Path(os.environ.get(RERANK_REBUILD_ENV, "results/rerank"))
        print("\n".join(ingest_committed_reranks(engine, reranks)))
    serve(db_url, os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "7860")))
