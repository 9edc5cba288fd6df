"""The app's reads of the store (and what is built from them), memoised until the store changes.

The only memo of the app: nothing else keeps answers between clicks, so nothing else can serve
an answer from before an ingest.

A leaderboard is read far more often than it is written: every filter click re-asks for the
same summary rows and the same paired counts, and at leaderboard scale (100 models) the counts
alone take 150-350 ms in SQLite. So answers are kept until the store's *version* changes, a
one-row query (number of runs, newest run id, newest ingest time) that any ingest or deletion
moves. RunRow ids alone would not do: SQLite may reuse the id of a deleted newest run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Engine, func, select

from flip_core.catalog.benchmarks import benchmark as benchmark_spec
from flip_store.read.leaderboard import LeaderboardRow, leaderboard
from flip_store.read.references import ReferenceRow, reference_rows
from flip_store.read.verdicts import DiscordantCounts, discordant_counts
from flip_store.schema import RunRow

StoreVersion = tuple[int, int | None, object]
T = TypeVar("T")


class StoreReader:
    """Memoised leaderboard rows, reference rows, paired counts and derived values over one
    engine; safe across threads."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._version: StoreVersion | None = None
        self._rows: dict[tuple[str, bool, str], list[LeaderboardRow]] = {}
        self._references: dict[str, list[ReferenceRow]] = {}
        self._counts: dict[tuple[int, int], DiscordantCounts] = {}
        self._derived: dict[Hashable, Any] = {}

    def version(self) -> StoreVersion:
        with self.engine.connect() as connection:
            count, newest, ingested = connection.execute(
                select(func.count(RunRow.id), func.max(RunRow.id), func.max(RunRow.ingested_at))
            ).one()
        return (count, newest, ingested)

    def _current(self) -> None:
        """Forget every answer if the store changed since they were read (lock held)."""
        version = self.version()
        if version != self._version:
            self._version = version
            self._rows.clear()
            self._references.clear()
            self._counts.clear()
            self._derived.clear()

    def leaderboard(
        self, benchmark: str, include_limited: bool = False, variant: str = "none"
    ) -> list[LeaderboardRow]:
        with self._lock:
            self._current()
            key = (benchmark, include_limited, variant)
            if key not in self._rows:
                self._rows[key] = leaderboard(self.engine, benchmark, include_limited, variant)
            return self._rows[key]

    def references(self, benchmark: str) -> list[ReferenceRow]:
        """The benchmark's reference rows over all its domains (the rules' intervals are
        bootstrapped over the stored items: worth keeping)."""
        with self._lock:
            self._current()
            if benchmark not in self._references:
                domains = benchmark_spec(benchmark).domain_names
                self._references[benchmark] = reference_rows(self.engine, benchmark, domains)
            return self._references[benchmark]

    def derived(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, memoised under ``key`` until the store changes (e.g. built figures).

        ``compute`` runs outside the lock (it may read through this reader)."""
        with self._lock:
            self._current()
            if key in self._derived:
                return self._derived[key]
        value = compute()
        with self._lock:
            self._derived[key] = value
        return value

    def discordant_counts(
        self, pairs: Sequence[tuple[int, int]]
    ) -> dict[tuple[int, int], DiscordantCounts]:
        with self._lock:
            self._current()
            missing = [pair for pair in dict.fromkeys(pairs) if pair not in self._counts]
            if missing:
                self._counts.update(discordant_counts(self.engine, missing))
            return {pair: self._counts[pair] for pair in pairs}
