"""The results store under kill -9, concurrent creators and hostile parser output.

    FLIP_DATA_DIR=/work/shared/data .venv/bin/python benchmarks/store_robustness.py \\
        [--kills 20] [--pg-kills 5] [--processes 4] [--rounds 5] [--seed 0] [--fuzz-n 1000] \\
        [--skip-postgres]

Reruns an outside audit's three robustness checks against the project's own ``flip ingest``
and parsers, on copies of runs committed under ``results/raw/`` (read from ``HEAD``, so runs
that other jobs are still writing there are left out), and prints the figures the README
quotes. Real subprocesses, real SIGKILLs, real databases: SQLite, and PostgreSQL where a
throwaway server starts (``tests/postgres_server.py``; where none can, it says why and skips).

1. **kill -9 during ingest** (``--kills`` on SQLite, ``--pg-kills`` on PostgreSQL). ``flip
   ingest`` of six runs (the manual-split runs of ``llmbar-smollm2-135m-cpu``, one per method,
   and two Neighbor runs of ``llmbar-smollm2-135m-cpu-llamacpp``) is SIGKILLed again and again
   into one store. The first kill of each back end is aimed at a new store's schema creation;
   later ones (seeded) at the write of the first or second run the ingest adds, a random moment
   into it that may fall past its commit, or at a random delay after the start. After each kill
   the store must still open (else it counts as *left unopenable*: every later command refuses
   it); every run it holds must be whole, or it counts as *half-written*: as many outcomes,
   verdicts and items with calls as its results file's ``n-samples``, an ``acc`` over as many
   items, a score for every candidate of its items, the same row counts as the same run in a
   clean store; no row may be an orphan (results of no run, a model without runs, an item
   without candidates or that no run scored); every run the killed ingest reported ``stored``
   must be there (else a *lost commit*). A store that comes to hold every run is compared with
   a clean one and replaced by a new one. After the last kill one uninterrupted ingest must
   leave the store equal to one made by a single clean ingest (*recovery exact*): the same runs
   by fingerprint, with the same metrics and intervals and the same calls, scores, outcomes and
   verdicts (row digests), and the same numbers of items, candidates and models.

   *Inside a write transaction* is decided, not guessed from timing: the ingest is frozen with
   SIGSTOP, looked at while frozen (nothing can commit in between), then SIGKILLed. SQLite: it
   holds the WAL write lock, a POSIX lock on byte 120 of the ``-shm`` file that ``/proc/locks``
   lists, which SQLite holds from a transaction's first write to its commit. PostgreSQL: once
   the server has finished what the frozen client sent, the client's backend has a transaction
   id (``pg_stat_activity.backend_xid``: assigned at the first write, gone at commit). *In a
   run's write*: PostgreSQL names the write by its statement (the start-up probe updates
   ``schema_info``, schema creation creates tables); SQLite does not, so a write counts as a
   run's when the ingest had printed a line for every run the store already held (those come
   first in its order, and are only read) and either had printed one more or had held the lock
   100 ms (the start-up probe updates one row); a kill that leaves a new store's schema
   incomplete counts as one in schema creation.

2. **Concurrent new-store ingests** (``--processes`` x ``--rounds``). That many ``flip ingest``
   of the same two runs (over the same 46 items, so that they race on shared rows too) started
   at once into a store that does not exist yet: a SQLite file in a folder not yet made, an
   empty PostgreSQL database; each round a fresh store. A *failure* is a process that exits
   non-zero or prints a traceback. The store must then hold each run once, whole, and exactly
   one process must have reported each run ``stored``.

3. **Parser fuzz** (``--fuzz-n`` outputs). ``benchmarks/parser_fuzz.py``'s ``fuzz``, imported:
   every public parser on seeded hostile outputs; the exceptions that escape (the parsers
   promise none) and the worst single parse in CPU seconds, with its parser and input shape.

Exit status 1 when any process failed, a run was half-written or lost, a store was left
unopenable, a recovered store differs from the clean one, or a parser raised. Linux only
(``/proc/locks``, SIGSTOP). Every ingest pays the CLI's start-up (imports, the tokenizer) and a
first write that refits the length-controlled metrics; on a loaded two-core machine that is a
minute a process, and the defaults took 23 minutes there (``--kills 6 --pg-kills 2
--rounds 1`` about 9).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import select as io_select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, distinct, func, inspect, select, text
from sqlalchemy.engine import make_url
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import parser_fuzz  # noqa: E402  (benchmarks/parser_fuzz.py, imported, not copied)
from postgres_server import PostgresUnavailable, create_database, postgres_server  # noqa: E402

from flip_store import schema as tables  # noqa: E402
from flip_store.database import FlipStoreError, open_engine  # noqa: E402

FLIP = ROOT / ".venv" / "bin" / "flip"
METRIC_FIELDS = ("name", "value", "ci_low", "ci_high", "n")
"""What a run's metric rows must agree on with a clean store's."""
RAW = "results/raw"
KILL_RUNS = [
    "llmbar-smollm2-135m-cpu/*_llmbar_manual/*",
    "llmbar-smollm2-135m-cpu-llamacpp/flip_llmbar_neighbor/*",
    "llmbar-smollm2-135m-cpu-llamacpp/flipll_llmbar_neighbor/*",
]
"""Six committed runs: two models and back ends, four methods, items shared between runs; small
enough that a store killed again and again fills up and is replaced."""
SMALL_RUNS = [
    "llmbar-smollm2-135m-cpu/flipll_llmbar_manual/*",
    "llmbar-smollm2-135m-cpu/judge_listwise_llmbar_manual/*",
]
"""Two runs over the same 46 items: concurrent creators also race on the shared item rows."""
SQLITE_WRITE_LOCK_BYTE = 120  # WALINDEX_LOCK_OFFSET + WAL_WRITE_LOCK in SQLite's -shm file
SQLITE_WAL_HEADER_BYTES = 32  # written before any frame; frames follow at each commit
BLIND_DELAY_S = (0.5, 40.0)  # start-up, schema, prepare and the first writes fall in this span
RUN_WRITE_EXTRA_S = (0.0, 2.0)  # how far into (or past) the aimed-at write the kill falls
NTH_NEW_RUN = {1: 0.6, 2: 0.4}  # which new run's write an aimed kill waits for (weights)
RUN_WRITE_MIN_HELD_S = 0.1
PROCESS_TIMEOUT_S = 900.0
POLL_S = 0.002


# --- ingest subprocesses ---------------------------------------------------------------------


def ingest_env() -> dict[str, str]:
    """The caller's environment (FLIP_DATA_DIR), unbuffered so that lines arrive as printed."""
    return {**os.environ, "PYTHONUNBUFFERED": "1"}


class Ingest:
    """One ``flip ingest`` subprocess whose output lines are collected as it prints them."""

    started_here: list[subprocess.Popen] = []  # noqa: RUF012  (killed if this script stops early)

    def __init__(self, folder: Path, url: str) -> None:
        self.process = subprocess.Popen(
            [str(FLIP), "ingest", str(folder), "--db", url],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env=ingest_env(),
        )
        Ingest.started_here.append(self.process)
        self.started = time.perf_counter()
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def pid(self) -> int:
        return self.process.pid

    def outcome_lines(self) -> int:
        """Runs the ingest has finished with (stored, already stored, skipped or rejected)."""
        prefixes = ("stored: ", "unchanged: ", "skipped: ", "rejected: ")
        return sum(line.startswith(prefixes) for line in list(self.lines))

    def stored_tasks(self) -> list[str]:
        """``task [model]`` of every run it reported stored, i.e. committed."""
        return [line.removeprefix("stored: ") for line in self.lines if line.startswith("stored: ")]

    def drain(self) -> None:
        """Wait until the reader has taken every byte the (frozen) process wrote."""
        assert self.process.stdout is not None
        for _ in range(200):
            ready, _, _ = io_select.select([self.process.stdout], [], [], 0)
            if not ready:
                break
            time.sleep(0.005)
        time.sleep(0.02)

    def wait(self, timeout: float = PROCESS_TIMEOUT_S) -> int:
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=10)
        return code

    def output(self) -> str:
        return "\n".join(self.lines)


def kill_leftovers() -> None:
    """SIGKILL the ingests this script started that still run (or sit frozen): only those."""
    for process in Ingest.started_here:
        if process.poll() is None:
            process.kill()
            process.wait()


def freeze(process: subprocess.Popen) -> bool:
    """SIGSTOP the process and wait until it is stopped; False if it had already ended."""
    if process.poll() is not None:
        return False
    os.kill(process.pid, signal.SIGSTOP)
    stat = Path(f"/proc/{process.pid}/stat")
    for _ in range(1000):
        state = stat.read_text().rsplit(")", 1)[1].split()[0]
        if state in "TtZX":
            return state in "Tt"
        time.sleep(0.001)
    return process.poll() is None


# --- reading a store directly ----------------------------------------------------------------


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    return Path(parsed.database) if parsed.get_backend_name() == "sqlite" else None


@contextmanager
def connected(url: str) -> Iterator[Any]:
    """A plain connection (no schema checks: damaged stores must be readable too)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def store_state(url: str) -> str:
    """``absent`` (nothing built: the next ingest creates it), ``ok``, or ``damaged: why``.

    Damaged means what every later ``flip`` command would meet: the store exists but
    ``open_engine`` refuses it, so nothing short of deleting it makes it usable again.
    """
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return "absent"
    with connected(url) as connection:
        tables = inspect(connection).get_table_names()
    if not tables:
        return "absent"
    try:
        open_engine(url).dispose()
    except FlipStoreError as error:
        return f"damaged: {error}"
    return "ok"


def count_runs(url: str) -> int:
    if store_state(url) != "ok":
        return 0
    with connected(url) as connection:
        return connection.scalar(select(func.count()).select_from(tables.RunRow)) or 0


def _per_run(connection: Any, statement: Any) -> dict[int, Any]:
    return dict(connection.execute(statement).all())


def _count_by_run(connection: Any, table: Any) -> dict[int, int]:
    return _per_run(connection, select(table.run_id, func.count()).group_by(table.run_id))


def recorded_items(raw_results: dict[str, Any], task: str) -> int | None:
    """The item count the run's results file records (lm-eval's ``n-samples``)."""
    counts = (raw_results or {}).get("n-samples", {}).get(task) or {}
    effective = counts.get("effective")
    return int(effective) if isinstance(effective, int) else None


@dataclass(frozen=True)
class RunSignature:
    """What a run is, independent of row ids and ingest time: equal means the same run."""

    task: str
    model: str
    settings: tuple[Any, ...]
    counts: tuple[int, int, int, int]  # calls, scores, outcomes, metrics
    metrics: tuple[tuple[Any, ...], ...]
    rows_digest: str


@dataclass
class Signature:
    """A whole store: its runs by fingerprint, and how many shared rows it holds."""

    runs: dict[str, RunSignature]
    totals: dict[str, int]


def _digest_rows(connection: Any, statement: Any) -> dict[int, str]:
    """Per run, a SHA-256 over its rows in key order (JSON columns canonically dumped)."""
    hashes: dict[int, Any] = {}
    for row in connection.execute(statement):
        run_id, *values = row
        canonical = json.dumps(values, sort_keys=True, default=str)
        hashes.setdefault(run_id, hashlib.sha256()).update(canonical.encode())
    return {run_id: digest.hexdigest() for run_id, digest in hashes.items()}


def _rows_digests(connection: Any) -> dict[int, str]:
    """One digest per run over its calls, scores, outcomes and verdicts."""
    parts = [
        _digest_rows(
            connection,
            select(
                tables.CallRow.run_id,
                tables.CallRow.item_id,
                tables.CallRow.call_index,
                tables.CallRow.shown,
                tables.CallRow.raw_outputs,
                tables.CallRow.parsed_values,
                tables.CallRow.parse_statuses,
                tables.CallRow.failed,
                tables.CallRow.generated_tokens,
                tables.CallRow.finished,
                tables.CallRow.guard,
            ).order_by(tables.CallRow.run_id, tables.CallRow.item_id, tables.CallRow.call_index),
        ),
        _digest_rows(
            connection,
            select(
                tables.ScoreRow.run_id,
                tables.ScoreRow.item_id,
                tables.ScoreRow.position,
                tables.ScoreRow.value,
            ).order_by(tables.ScoreRow.run_id, tables.ScoreRow.item_id, tables.ScoreRow.position),
        ),
        _digest_rows(
            connection,
            select(
                tables.OutcomeRow.run_id,
                tables.OutcomeRow.item_id,
                tables.OutcomeRow.picked_position,
                tables.OutcomeRow.correct,
                tables.OutcomeRow.tie_aware,
                tables.OutcomeRow.parse_fail_rate,
            ).order_by(tables.OutcomeRow.run_id, tables.OutcomeRow.item_id),
        ),
        _digest_rows(
            connection, select(tables.RunVerdictsRow.run_id, tables.RunVerdictsRow.verdicts)
        ),
    ]
    run_ids = set().union(*parts)
    return {
        run_id: hashlib.sha256("".join(p.get(run_id, "-") for p in parts).encode()).hexdigest()
        for run_id in run_ids
    }


def signature(url: str) -> Signature:
    """The store's content as :class:`Signature` (read directly, ids and times left out)."""
    with connected(url) as connection:
        counts = [
            _count_by_run(connection, t)
            for t in (tables.CallRow, tables.ScoreRow, tables.OutcomeRow, tables.MetricRow)
        ]
        metrics: dict[int, list[tuple[Any, ...]]] = {}
        metric_columns = [getattr(tables.MetricRow, field) for field in METRIC_FIELDS]
        for run_id, *values in connection.execute(
            select(tables.MetricRow.run_id, *metric_columns).order_by(
                tables.MetricRow.run_id, tables.MetricRow.name
            )
        ):
            metrics.setdefault(run_id, []).append(tuple(values))
        digests = _rows_digests(connection)
        runs = {}
        for row in connection.execute(
            select(
                tables.RunRow.id,
                tables.RunRow.fingerprint,
                tables.RunRow.task,
                tables.ModelRow.name,
                tables.RunRow.method,
                tables.RunRow.domain,
                tables.RunRow.variant,
                tables.RunRow.profile,
                tables.RunRow.backend,
                tables.RunRow.limit,
                tables.RunRow.token_count_method,
                tables.RunRow.verified,
            ).join(tables.ModelRow, tables.ModelRow.id == tables.RunRow.model_id)
        ):
            run_id, fingerprint, task, model, *settings = row
            runs[fingerprint] = RunSignature(
                task=task,
                model=model,
                settings=tuple(settings),
                counts=tuple(c.get(run_id, 0) for c in counts),  # type: ignore[arg-type]
                metrics=tuple(metrics.get(run_id, [])),
                rows_digest=digests.get(run_id, ""),
            )
        totals = {
            table.__tablename__: connection.scalar(select(func.count()).select_from(table)) or 0
            for table in (tables.ItemRow, tables.CandidateRow, tables.ModelRow)
        }
    return Signature(runs, totals)


def differences(found: Signature, clean: Signature) -> list[str]:
    """How a store differs from the clean one, one line per difference (empty: equal)."""
    lines = []
    for fingerprint in clean.runs.keys() - found.runs.keys():
        lines.append(f"missing run {clean.runs[fingerprint].task}")
    for fingerprint in found.runs.keys() - clean.runs.keys():
        lines.append(f"extra run {found.runs[fingerprint].task}")
    for fingerprint in found.runs.keys() & clean.runs.keys():
        mine, theirs = found.runs[fingerprint], clean.runs[fingerprint]
        if mine != theirs:
            fields = [name for name in RunSignature.__dataclass_fields__]
            changed = [n for n in fields if getattr(mine, n) != getattr(theirs, n)]
            lines.append(f"run {mine.task} differs in {', '.join(changed)}")
    if found.totals != clean.totals:
        lines.append(f"row totals {found.totals} != clean {clean.totals}")
    return lines


def half_written_runs(url: str, clean: Signature | None) -> list[str]:
    """Runs that are not whole: one line each saying what is short.

    Whole means: as many outcomes, verdicts and items with calls as the results file's
    ``n-samples`` (and an ``acc`` metric over that many), one score per candidate of every item
    it has an outcome for, and, where the clean store has the run, the same row counts.
    """
    with connected(url) as connection:
        calls, scores, outcomes, metrics = (
            _count_by_run(connection, t)
            for t in (tables.CallRow, tables.ScoreRow, tables.OutcomeRow, tables.MetricRow)
        )
        call_items = _per_run(
            connection,
            select(tables.CallRow.run_id, func.count(distinct(tables.CallRow.item_id))).group_by(
                tables.CallRow.run_id
            ),
        )
        acc_n = _per_run(
            connection,
            select(tables.MetricRow.run_id, tables.MetricRow.n).where(
                tables.MetricRow.name == "acc"
            ),
        )
        verdicts = {
            run_id: len(values or {})
            for run_id, values in connection.execute(
                select(tables.RunVerdictsRow.run_id, tables.RunVerdictsRow.verdicts)
            )
        }
        candidate_slots = _per_run(
            connection,
            select(tables.OutcomeRow.run_id, func.count())
            .join(tables.CandidateRow, tables.CandidateRow.item_id == tables.OutcomeRow.item_id)
            .group_by(tables.OutcomeRow.run_id),
        )
        runs = connection.execute(
            select(
                tables.RunRow.id,
                tables.RunRow.fingerprint,
                tables.RunRow.task,
                tables.RunRow.raw_results,
            )
        ).all()
    problems = []
    for run_id, fingerprint, task, raw in runs:
        expected = recorded_items(raw, task)
        found = {
            "outcomes": outcomes.get(run_id, 0),
            "verdicts": verdicts.get(run_id, 0),
            "items with calls": call_items.get(run_id, 0),
            "acc n": acc_n.get(run_id, 0),
        }
        short = [f"{name} {value}" for name, value in found.items() if value != expected]
        if not scores.get(run_id) or scores.get(run_id) != candidate_slots.get(run_id):
            short.append(f"scores {scores.get(run_id, 0)} of {candidate_slots.get(run_id, 0)}")
        rows = tuple(c.get(run_id, 0) for c in (calls, scores, outcomes, metrics))
        short += _unlike_clean(fingerprint, rows, clean)
        if short:
            problems.append(f"{task}: recorded {expected} items; {'; '.join(short)}")
    return problems


def _unlike_clean(fingerprint: str, rows: tuple[int, ...], clean: Signature | None) -> list[str]:
    """How a run's row counts differ from the same run's in the clean store."""
    if clean is None:
        return []
    if fingerprint not in clean.runs:
        return ["not a run of the clean store"]
    wanted = clean.runs[fingerprint].counts
    return [] if rows == wanted else [f"rows (calls, scores, outcomes, metrics) {rows} != {wanted}"]


def orphan_rows(url: str) -> list[str]:
    """Rows that belong to nothing: what a run's write leaves if it is not atomic."""
    run_ids = select(tables.RunRow.id)
    checks: list[tuple[str, Any]] = [
        (f"{table.__tablename__} rows of no run", table.run_id.not_in(run_ids))
        for table in (
            tables.CallRow,
            tables.ScoreRow,
            tables.OutcomeRow,
            tables.MetricRow,
            tables.RunVerdictsRow,
        )
    ]
    checks += [
        ("models without runs", tables.ModelRow.id.not_in(select(tables.RunRow.model_id))),
        ("items without candidates", tables.ItemRow.id.not_in(select(tables.CandidateRow.item_id))),
        ("candidates of no item", tables.CandidateRow.item_id.not_in(select(tables.ItemRow.id))),
        ("items no run scored", tables.ItemRow.id.not_in(select(tables.OutcomeRow.item_id))),
    ]
    problems = []
    with connected(url) as connection:
        for name, condition in checks:
            table = condition.left.table
            count = connection.scalar(select(func.count()).select_from(table).where(condition))
            if count:
                problems.append(f"orphans: {count} {name}")
    return problems


# --- the back ends ---------------------------------------------------------------------------


class SqliteTarget:
    """New SQLite stores in the workspace; writers seen through ``/proc/locks``."""

    name = "SQLite"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.made = 0

    def new_store(self, label: str) -> str:
        """A URL whose file and folder do not exist yet."""
        self.made += 1
        return f"sqlite:///{self.root / 'sqlite' / f'{label}-{self.made}' / 'flip.db'}"

    def writer(self, url: str, pid: int) -> str | None:
        """``write`` while ``pid`` holds the store's WAL write lock, else None."""
        path = sqlite_path(url)
        assert path is not None
        shm = path.with_name(path.name + "-shm")
        try:
            info = shm.stat()
        except FileNotFoundError:
            return None
        identity = f"{os.major(info.st_dev):02x}:{os.minor(info.st_dev):02x}:{info.st_ino}"
        for line in Path("/proc/locks").read_text().splitlines():
            fields = line.split()  # "N: POSIX ADVISORY WRITE pid dev:inode start end"
            if len(fields) < 8 or fields[1:4] != ["POSIX", "ADVISORY", "WRITE"]:
                continue  # other kinds, and "->" lines: processes waiting for a lock
            if int(fields[4]) != pid or fields[5] != identity:
                continue
            end = fields[7]
            if int(fields[6]) <= SQLITE_WRITE_LOCK_BYTE and (
                end == "EOF" or int(end) >= SQLITE_WRITE_LOCK_BYTE
            ):
                return "write"
        return None

    def settle(self, url: str) -> None:
        """Nothing to wait for: SQLite runs in the frozen process itself."""

    def quiesce(self, url: str) -> None:
        """Nothing to wait for: a killed process holds no SQLite lock."""

    def close(self) -> None:
        pass


class PostgresTarget:
    """New databases on a throwaway server; writers seen through ``pg_stat_activity``."""

    name = "PostgreSQL"

    def __init__(self, bin_dir: str, port: int) -> None:
        self.bin_dir, self.port = bin_dir, port
        self.made = 0
        self.monitors: dict[str, Engine] = {}

    def new_store(self, label: str) -> str:
        """An empty database."""
        self.made += 1
        return create_database(self.bin_dir, self.port, f"flip_{label}_{self.made}")

    def _monitor(self, url: str) -> Engine:
        if url not in self.monitors:
            self.monitors[url] = create_engine(url, isolation_level="AUTOCOMMIT")
        return self.monitors[url]

    def _backends(self, url: str) -> list[tuple[str, bool, str]]:
        """(state, has a transaction id, statement) of every other client of the database."""
        with self._monitor(url).connect() as connection:
            return [
                tuple(row)  # type: ignore[misc]
                for row in connection.execute(
                    text(
                        "SELECT state, backend_xid IS NOT NULL, coalesce(query, '') "
                        "FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
                    )
                )
            ]

    def writer(self, url: str, pid: int) -> str | None:
        """The kind of write transaction open on the database (the ingest is its only other
        client), named by its statement in progress; None when none is open."""
        for _state, writing, statement in self._backends(url):
            if writing:
                return _statement_kind(statement)
        return None

    def settle(self, url: str) -> None:
        """Let the server finish the statement the frozen client had sent (at most 5 s)."""
        deadline = time.perf_counter() + 5
        while time.perf_counter() < deadline:
            if not any(state == "active" for state, _, _ in self._backends(url)):
                return
            time.sleep(0.01)

    def quiesce(self, url: str) -> None:
        """Wait (at most 10 s) until the backend of a killed client has rolled back and gone,
        so that the next look sees only the next ingest."""
        deadline = time.perf_counter() + 10
        while self._backends(url) and time.perf_counter() < deadline:
            time.sleep(0.02)

    def close(self) -> None:
        for engine in self.monitors.values():
            engine.dispose()


def _statement_kind(statement: str) -> str:
    """Which of the ingest's write transactions a PostgreSQL statement belongs to."""
    upper = statement.lstrip().upper()
    if upper.startswith("UPDATE SCHEMA_INFO"):
        return "probe"
    if upper.startswith(("CREATE", "INSERT INTO SCHEMA_INFO")) or "PG_CATALOG" in upper:
        return "schema"
    return "run"


Target = SqliteTarget | PostgresTarget


# --- 1. kill -9 during ingest ----------------------------------------------------------------


@dataclass
class Kill:
    """One SIGKILLed ingest: where it was aimed, where it landed, what the store was left as."""

    aim: str
    store: str
    seconds: float
    inside: str | None  # None: outside any write transaction; else run, schema, probe, write
    state: str
    runs_after: int
    problems: list[str] = field(default_factory=list)


@dataclass
class KillTally:
    backend: str
    kills: list[Kill] = field(default_factory=list)
    ended_first: int = 0  # ingests that finished before their kill came
    compared: int = 0  # stores compared with the clean one (full under kills, and the last)
    not_exact: list[str] = field(default_factory=list)
    skipped: str | None = None

    @property
    def inside(self) -> list[Kill]:
        return [k for k in self.kills if k.inside]

    def _problems(self, kind: str) -> list[str]:
        """Distinct problems of one kind per store (one left behind is seen by later kills)."""
        found = {
            f"{kill.store}: {line}"
            for kill in self.kills
            for line in kill.problems
            if _problem_kind(line) == kind
        }
        return sorted(found)

    @property
    def half_written(self) -> list[str]:
        return self._problems("half-written")

    @property
    def orphans(self) -> list[str]:
        return self._problems("orphans")

    def orphan_count(self) -> int:
        """Orphan rows, each kind counted once per store at the most seen."""
        most: dict[tuple[str, str], int] = {}
        for line in self.orphans:  # "store: orphans: N what"
            store, _, rest = line.partition(": orphans: ")
            count, _, what = rest.partition(" ")
            most[store, what] = max(most.get((store, what), 0), int(count))
        return sum(most.values())

    @property
    def lost(self) -> list[str]:
        return self._problems("lost commit")

    @property
    def damaged(self) -> list[Kill]:
        return [k for k in self.kills if k.state.startswith("damaged")]

    def failed(self) -> bool:
        problems = self.half_written + self.orphans + self.lost
        return bool(problems or self.damaged or self.not_exact)


def _problem_kind(line: str) -> str:
    for kind in ("orphans", "lost commit"):
        if line.startswith(f"{kind}:"):
            return kind
    return "half-written"


def choose_aim(index: int, rng: random.Random, state: str) -> str:
    """The first kill hits a new store's schema creation; then 60% the write of the first or
    second run the ingest adds (``run write 1``, ``run write 2``), 40% a blind delay."""
    if index == 0:
        return "schema"
    if state == "ok" and rng.random() < 0.6:
        nth = rng.choices(list(NTH_NEW_RUN), weights=list(NTH_NEW_RUN.values()))[0]
        return f"run write {nth}"
    return "blind"


def _wal_has_commits(url: str) -> bool:
    """SQLite: a first statement has committed (the WAL holds more than its header)."""
    path = sqlite_path(url)
    assert path is not None
    wal = path.with_name(path.name + "-wal")
    return wal.exists() and wal.stat().st_size > SQLITE_WAL_HEADER_BYTES


class WriteWatch:
    """Polls which write transaction the ingest has open, and since when."""

    def __init__(self, target: Target, url: str, ingest: Ingest, stored_before: int) -> None:
        self.target, self.url, self.ingest = target, url, ingest
        self.stored_before = stored_before
        self.kind: str | None = None
        self.held_since: float | None = None

    def poll(self) -> str | None:
        """The kind of the write open now (None: none), tracking how long it has been held."""
        kind = self.target.writer(self.url, self.ingest.pid)
        if kind is None:
            self.held_since = None
        elif self.held_since is None:
            self.held_since = time.perf_counter()
        self.kind = self._refine(kind)
        return self.kind

    def _refine(self, kind: str | None) -> str | None:
        """SQLite does not say which write it is: a run's write is one past the runs already
        stored that printed a line or held the lock 100 ms (the start-up probe is one row)."""
        if kind != "write":
            return kind
        lines = self.ingest.outcome_lines()
        held = time.perf_counter() - (self.held_since or time.perf_counter())
        past_stored = lines >= self.stored_before
        if past_stored and (lines > 0 or held >= RUN_WRITE_MIN_HELD_S):
            return "run"
        return "probe"


def _wait_for(ingest: Ingest, watch: WriteWatch, ready: Callable[[], bool]) -> bool:
    """Poll until ``ready()``; False if the ingest ended first."""
    deadline = time.perf_counter() + PROCESS_TIMEOUT_S
    while ingest.process.poll() is None and time.perf_counter() < deadline:
        watch.poll()
        if ready():
            return True
        time.sleep(POLL_S)
    return ingest.process.poll() is None


def _sleep_watching(ingest: Ingest, watch: WriteWatch, seconds: float) -> None:
    end = time.perf_counter() + seconds
    _wait_for(ingest, watch, lambda: time.perf_counter() >= end)


def aim(ingest: Ingest, watch: WriteWatch, url: str, how: str, rng: random.Random) -> bool:
    """Run the ingest up to the moment the kill is aimed at; False if it ended first."""
    if how == "schema":  # SQLite: once a first CREATE TABLE has committed; PostgreSQL: at once
        sqlite = sqlite_path(url) is not None
        started = (lambda: _wal_has_commits(url)) if sqlite else (lambda: watch.kind is not None)
        return _wait_for(ingest, watch, started)
    if how.startswith("run write"):
        nth = int(how.rsplit(" ", 1)[1])  # this attempt's n-th new run: n - 1 commits first

        def in_nth_write() -> bool:
            done = watch.ingest.outcome_lines() - watch.stored_before
            return watch.kind == "run" and done >= nth - 1

        if not _wait_for(ingest, watch, in_nth_write):
            return False
        _sleep_watching(ingest, watch, rng.uniform(*RUN_WRITE_EXTRA_S))
    else:
        _sleep_watching(ingest, watch, rng.uniform(*BLIND_DELAY_S))
    return ingest.process.poll() is None


def kill_once(
    target: Target, url: str, folder: Path, how: str, rng: random.Random, clean: Signature
) -> Kill | None:
    """Start an ingest, SIGKILL it where ``how`` says, check the store; None if it ended first."""
    target.quiesce(url)
    state_before = store_state(url)
    stored_before = count_runs(url)
    ingest = Ingest(folder, url)
    watch = WriteWatch(target, url, ingest, stored_before)
    try:
        if not aim(ingest, watch, url, how, rng) or not freeze(ingest.process):
            ingest.wait()
            return None
        ingest.drain()
        target.settle(url)
        inside = watch.poll()  # frozen: nothing can commit between this look and the kill
        seconds = time.perf_counter() - ingest.started
    finally:
        if ingest.process.poll() is None:
            os.kill(ingest.pid, signal.SIGKILL)
    ingest.wait()
    target.quiesce(url)
    state = store_state(url)
    if inside and state_before != "ok" and state != "ok":
        inside = "schema"  # the write that was open was part of building the schema
    label = store_label(url)
    kill = Kill(how, label, seconds, inside, state.replace(url, label), count_runs(url))
    if state == "ok":
        kill.problems = half_written_runs(url, clean) + orphan_rows(url)
    kill.problems += lost_commits(url, ingest, state)
    return kill


def store_label(url: str) -> str:
    """A store's short name for messages (its folder or database name, not a temp path)."""
    path = sqlite_path(url)
    return path.parent.name if path is not None else make_url(url).database or url


def lost_commits(url: str, ingest: Ingest, state: str) -> list[str]:
    """Runs the killed ingest reported stored (committed) that the store does not hold."""
    held: set[str] = set()
    if state == "ok":
        with connected(url) as connection:
            held = {
                f"{task} [{model}]"
                for task, model in connection.execute(
                    select(tables.RunRow.task, tables.ModelRow.name).join(
                        tables.ModelRow, tables.ModelRow.id == tables.RunRow.model_id
                    )
                )
            }
    return [f"lost commit: {line}" for line in ingest.stored_tasks() if line not in held]


def compare_with_clean(tally: KillTally, url: str, clean: Signature, when: str) -> None:
    tally.compared += 1
    found = differences(signature(url), clean) + half_written_runs(url, clean) + orphan_rows(url)
    tally.not_exact += [f"{when}: {line}" for line in found]


def _describe(kill: Kill) -> str:
    where = f"inside a {kill.inside} write" if kill.inside else "outside any write transaction"
    problems = f", {len(kill.problems)} problems: {kill.problems[:3]}" if kill.problems else ""
    return (
        f"[{kill.aim:11}] killed at {kill.seconds:5.1f} s {where}; {kill.store} {kill.state}, "
        f"{kill.runs_after} runs{problems}"
    )


def kill_during_ingest(
    target: Target, kills: int, folder: Path, clean: Signature, rng: random.Random
) -> KillTally:
    """``kills`` SIGKILLs into a store replaced when full or damaged, then one recovery ingest."""
    tally = KillTally(target.name)
    url = target.new_store("kill")
    bar = tqdm(total=kills, desc=f"kill -9 ({target.name})", unit="kill", leave=False)
    attempts = 0
    while len(tally.kills) < kills and attempts < 3 * kills:
        attempts += 1
        state = store_state(url)
        if state.startswith("damaged") or (state == "ok" and count_runs(url) == len(clean.runs)):
            if state == "ok":
                compare_with_clean(tally, url, clean, "store filled under kills")
            url = target.new_store("kill")
            state = "absent"
        how = choose_aim(len(tally.kills), rng, state)
        kill = kill_once(target, url, folder, how, rng, clean)
        if kill is None:
            tally.ended_first += 1
            continue
        tally.kills.append(kill)
        bar.update()
        tqdm.write(f"  {target.name} kill {len(tally.kills):2d} {_describe(kill)}")
    bar.close()
    recovery = Ingest(folder, url)
    code = recovery.wait()
    if code != 0:
        tally.compared += 1
        tally.not_exact.append(f"recovery ingest exit {code}: {recovery.output()[-300:]}")
    else:
        compare_with_clean(tally, url, clean, "after the recovery ingest")
    return tally


def clean_store(target: SqliteTarget, folder: Path) -> Signature:
    """One uninterrupted ingest into a new SQLite store: the reference every store must equal."""
    url = target.new_store("clean")
    ingest = Ingest(folder, url)
    code = ingest.wait()
    if code != 0:
        raise SystemExit(f"the clean ingest failed (exit {code}):\n{ingest.output()[-2000:]}")
    problems = half_written_runs(url, None) + orphan_rows(url)
    if problems:  # the checks themselves are wrong if a clean store fails them
        raise SystemExit(f"the clean store fails the checks: {problems}")
    return signature(url)


# --- 2. concurrent new-store ingests ---------------------------------------------------------


@dataclass
class ConcurrencyTally:
    backend: str
    processes: int = 0
    rounds: int = 0
    failures: list[str] = field(default_factory=list)
    store_problems: list[str] = field(default_factory=list)
    skipped: str | None = None

    def failed(self) -> bool:
        return bool(self.failures or self.store_problems)


def concurrent_round(
    folder: Path, url: str, processes: int, expected_runs: int
) -> tuple[list[str], list[str]]:
    """``processes`` ingests started at once into the new store at ``url``: (failures, problems)."""
    ingests = [Ingest(folder, url) for _ in range(processes)]
    codes = [ingest.wait() for ingest in ingests]
    failures = []
    for number, (ingest, code) in enumerate(zip(ingests, codes, strict=True)):
        output = ingest.output()
        if code != 0 or "Traceback" in output:
            last = output.strip().splitlines()[-1] if output.strip() else "(no output)"
            last = last.replace(url, store_label(url))
            failures.append(f"process {number}: exit {code}: {last[:300]}")
    problems = []
    state = store_state(url)
    if state != "ok":
        return failures, [f"store {state}"]
    with connected(url) as connection:
        held = connection.execute(
            select(tables.RunRow.task, tables.ModelRow.name, func.count())
            .join(tables.ModelRow, tables.ModelRow.id == tables.RunRow.model_id)
            .group_by(tables.RunRow.task, tables.ModelRow.name)
        ).all()
    if len(held) != expected_runs or any(count != 1 for *_, count in held):
        problems.append(f"store holds {[tuple(row) for row in held]}, {expected_runs} runs wanted")
    claimed = sum(len(ingest.stored_tasks()) for ingest in ingests)
    if claimed != expected_runs:
        problems.append(f"{claimed} 'stored' reports for {expected_runs} runs")
    problems += half_written_runs(url, None) + orphan_rows(url)
    return failures, problems


def concurrent_ingests(
    target: Target, folder: Path, processes: int, rounds: int, expected_runs: int
) -> ConcurrencyTally:
    tally = ConcurrencyTally(target.name, processes, rounds)
    for number in tqdm(range(rounds), desc=f"concurrent ({target.name})", leave=False):
        url = target.new_store("concurrent")
        failures, problems = concurrent_round(folder, url, processes, expected_runs)
        tally.failures += [f"round {number + 1} {line}" for line in failures]
        tally.store_problems += [f"round {number + 1}: {line}" for line in problems]
        tqdm.write(
            f"  {target.name} round {number + 1} ({store_label(url)}): "
            f"{len(failures)} of {processes} processes failed"
            + (f" ({failures[0]})" if failures else "")
            + (f"; store: {problems[:2]}" if problems else "; the store holds each run once")
        )
    return tally


# --- 3. parser fuzz --------------------------------------------------------------------------


def fuzz(n: int, seed: int) -> parser_fuzz.Tally:
    """``benchmarks/parser_fuzz.py``'s fuzz, as it runs there."""
    print(f"parser fuzz: {n:,} outputs x {len(parser_fuzz.PARSERS)} parsers, seed {seed} ...")
    tally = parser_fuzz.fuzz(n, seed)
    for line in tally.exceptions[:10]:
        print(f"  exception: {line}")
    return tally


# --- the run ---------------------------------------------------------------------------------


def git(*arguments: str) -> bytes:
    return subprocess.run(
        ["git", "-C", str(ROOT), *arguments], capture_output=True, check=True
    ).stdout


def copy_committed(patterns: list[str], target: Path) -> None:
    """The files committed at HEAD below results/raw/ that match ``patterns``, as committed:
    runs still being written into the working tree by other jobs are left out."""
    listing = git("ls-tree", "-r", "--name-only", "HEAD", "--", RAW).decode().splitlines()
    chosen = [p for p in listing if any(fnmatch(p, f"{RAW}/{pattern}") for pattern in patterns)]
    if not chosen:
        raise SystemExit(f"no committed files match {patterns} below {RAW}")
    for path in chosen:
        destination = target / Path(path).relative_to(RAW)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(git("show", f"HEAD:{path}"))


def copy_inputs(workspace: Path) -> tuple[Path, Path]:
    """Private copies of the committed runs: (the kill folder, the small folder)."""
    kill_folder, small_folder = workspace / "kill-input", workspace / "small-input"
    copy_committed(KILL_RUNS, kill_folder)
    copy_committed(SMALL_RUNS, small_folder)
    return kill_folder, small_folder


@contextmanager
def postgres_target(skip: bool) -> Iterator[PostgresTarget | str]:
    """A target on a throwaway server, or the reason there is none."""
    if skip:
        yield "skipped (--skip-postgres)"
        return
    manager = postgres_server()
    try:
        bin_dir, port = manager.__enter__()
    except PostgresUnavailable as error:
        yield f"skipped: {error}"
        return
    target = PostgresTarget(bin_dir, port)
    try:
        yield target
    finally:
        target.close()
        manager.__exit__(None, None, None)


def _plural(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def kill_line(tallies: list[KillTally]) -> str:
    done = [t for t in tallies if t.skipped is None]
    kills = sum(len(t.kills) for t in done)
    inside = sum(len(t.inside) for t in done)
    runs = sum(1 for t in done for k in t.inside if k.inside == "run")
    half = sum(len(t.half_written) for t in done)
    orphans = sum(t.orphan_count() for t in done)
    lost = sum(len(t.lost) for t in done)
    damaged = sum(len(t.damaged) for t in done)
    compared = sum(t.compared for t in done)
    exact = "yes" if all(not t.not_exact for t in done) else "NO"
    per = ", ".join(f"{t.backend} {len(t.kills)}" for t in done)
    skipped = "".join(f"; {t.backend} {t.skipped}" for t in tallies if t.skipped)
    return (
        f"{_plural(kills, 'kill')} ({per}; {inside} inside write transactions, {runs} in a "
        f"run's write), {_plural(half, 'half-written run')}, "
        f"{_plural(orphans, 'orphan row')}, {_plural(lost, 'lost commit')}, "
        f"{_plural(damaged, 'store')} left unopenable, recovery ingest exact: {exact} "
        f"({_plural(compared, 'store')} compared){skipped}"
    )


def concurrency_line(tallies: list[ConcurrencyTally]) -> str:
    parts = []
    for t in tallies:
        if t.skipped:
            parts.append(f"{t.backend} {t.skipped}")
            continue
        problems = f", {_plural(len(t.store_problems), 'store problem')}"
        parts.append(
            f"{t.backend} {t.processes} processes x {t.rounds} rounds: "
            f"{_plural(len(t.failures), 'failure')} (of {t.processes * t.rounds}){problems}"
        )
    return "; ".join(parts)


def fuzz_line(tally: parser_fuzz.Tally, n: int) -> str:
    worst = tally.worst
    return (
        f"{n:,} outputs, {len(tally.exceptions)} exceptions, worst parse "
        f"{worst.seconds * 1e3:.0f} ms CPU ({worst.parser}, {worst.shape[:90]})"
    )


def report_details(kills: list[KillTally], concurrency: list[ConcurrencyTally]) -> None:
    """Every problem found, so that the summary's non-zero figures can be reproduced."""
    for tally in kills:
        for line in tally.half_written + tally.orphans + tally.lost + tally.not_exact:
            print(f"  {tally.backend}: {line}")
        for kill in tally.damaged:
            print(f"  {tally.backend}: store left unopenable by a kill {_describe(kill)}")
    for tally in concurrency:
        for line in tally.failures + tally.store_problems:
            print(f"  {tally.backend} concurrent: {line}")


def run(args: argparse.Namespace) -> None:
    start = time.perf_counter()
    with ExitStack() as stack:
        workspace = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="flip-robust-")))
        kill_folder, small_folder = copy_inputs(workspace)
        sqlite = SqliteTarget(workspace)
        clean = clean_store(sqlite, kill_folder)
        took = time.perf_counter() - start
        print(f"clean store: {len(clean.runs)} runs, {clean.totals} ({took:.0f} s)")
        small_runs = len(list(small_folder.rglob("results_*.json")))
        postgres = stack.enter_context(postgres_target(args.skip_postgres))
        targets: list[tuple[Target | str, str, int]] = [(sqlite, "SQLite", args.kills)]
        targets.append((postgres, "PostgreSQL", args.pg_kills))
        kill_tallies, concurrency_tallies = [], []
        for target, name, count in targets:
            if isinstance(target, str):
                kill_tallies.append(KillTally(name, skipped=target))
                concurrency_tallies.append(ConcurrencyTally(name, skipped=target))
                print(f"PostgreSQL {target}")
                continue
            section = time.perf_counter()
            rng = random.Random(f"{args.seed}:{name}")  # each back end its own schedule
            kill_tallies.append(kill_during_ingest(target, count, kill_folder, clean, rng))
            ended = _plural(kill_tallies[-1].ended_first, "ingest")
            took = time.perf_counter() - section
            print(f"{name} kills: {took:.0f} s ({ended} ended before the kill aimed at it)")
            section = time.perf_counter()
            concurrency_tallies.append(
                concurrent_ingests(target, small_folder, args.processes, args.rounds, small_runs)
            )
            print(f"{name} concurrent ingests: {time.perf_counter() - section:.0f} s")
    section = time.perf_counter()
    fuzzed = fuzz(args.fuzz_n, args.seed)
    print(f"parser fuzz: {time.perf_counter() - section:.0f} s")
    report_details(kill_tallies, concurrency_tallies)
    print(f"\nsummary (seed {args.seed}, {time.perf_counter() - start:.0f} s wall):")
    print(f"kill -9 during ingest:        {kill_line(kill_tallies)}")
    print(f"concurrent new-store ingests: {concurrency_line(concurrency_tallies)}")
    print(f"parser fuzz:                  {fuzz_line(fuzzed, args.fuzz_n)}")
    failed = any(t.failed() for t in kill_tallies + concurrency_tallies) or fuzzed.exceptions
    sys.exit(1 if failed else 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20, help="SIGKILLs on SQLite")
    parser.add_argument("--pg-kills", type=int, default=5, help="SIGKILLs on PostgreSQL")
    parser.add_argument("--processes", type=int, default=4, help="concurrent ingests per round")
    parser.add_argument("--rounds", type=int, default=5, help="fresh stores per back end")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fuzz-n", type=int, default=1000, help="generated parser outputs")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    try:
        run(args)
    finally:
        kill_leftovers()


if __name__ == "__main__":
    main()
