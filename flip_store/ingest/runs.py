"""``flip ingest``: folders of lm-eval output into the store, run by run.

Every task of every results file is prepared (:mod:`flip_store.ingest.prepare`: validated and
re-scored, outside any transaction) and written in one transaction of its own
(:mod:`flip_store.ingest.write`), so a rejected or interrupted run leaves nothing behind and the
other runs of the folder are stored all the same. Each outcome is one line: ``stored``,
``unchanged`` (already stored), ``skipped`` (not this project's task) or ``rejected`` with the
reason. A database that cannot be written at all (locked by another process beyond the busy
timeout, read-only, unreachable) stops the whole ingest at once with one error, instead of
being reported again for every run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from flip_core.errors import FlipInputError
from flip_store.database import check_writable
from flip_store.ingest.prepare import NotOurTask, prepare_run
from flip_store.ingest.write import write_run
from harness_tasks.lm_eval_output import find_results_files, logged_tasks, read_results


@dataclass
class IngestReport:
    """What one ingest did, one line per run (or file) in each list."""

    stored: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)


def ingest_path(
    engine: Engine, path: str | Path, progress: Callable[[str], None] = print
) -> IngestReport:
    """Ingest every lm-eval results file below ``path`` (or ``path`` itself)."""
    return ingest_files(engine, list(find_results_files(Path(path))), progress)


def ingest_files(
    engine: Engine,
    files: Sequence[tuple[Path, str | None]],
    progress: Callable[[str], None] = print,
) -> IngestReport:
    """Ingest the results files that :func:`find_results_files` listed (each with its problem,
    if any). Separate from :func:`ingest_path` so that ``flip ingest`` can list them before it
    opens, and so creates, the store: a path that holds no results creates no database."""
    check_writable(engine)
    report = IngestReport()

    def note(outcome: str, line: str) -> None:
        getattr(report, outcome).append(line)
        progress(f"{outcome}: {line}")

    for results_file, problem in files:
        if problem:
            note("rejected", problem)
            continue
        try:
            run = read_results(results_file)
        except FlipInputError as error:
            note("rejected", str(error))
            continue
        for logged in logged_tasks(results_file, run):
            try:
                prepared = prepare_run(logged)
                stored = write_run(engine, prepared)
            except NotOurTask as skipped:
                note("skipped", str(skipped))
                continue
            except FlipInputError as error:
                note("rejected", f"{logged.task[:120]} ({results_file}): {error}")
                continue
            outcome = "stored" if stored else "unchanged"
            note(outcome, f"{logged.task} [{prepared.model.name}]")
    return report
