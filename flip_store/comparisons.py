"""Two runs on the same items, compared item by item (the leaderboard's Compare view).

Runs join on item ids (conventions.md: an item's id is the same under every method and
variant), so two runs of any models and methods on the same benchmark domain are paired on the
items both scored. Correctness is the strict best-of-N ``outcome.correct``, the headline
``acc``. The statistics (paired bootstrap interval, exact McNemar) are
:mod:`flip_core.paired`'s; this module only reads the store.

Reads are plain column rows, as in :mod:`flip_store.queries`; paired counts of many run pairs
come from the runs' verdict rows (:class:`~flip_store.schema.RunVerdicts`, one per run).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import orjson
from sqlalchemy import Engine, Text, cast, func, select
from sqlalchemy.orm import aliased

from flip_core.paired import PairedDifference, paired_difference
from flip_store.schema import ModelRow, OutcomeRow, RunRow, RunVerdictsRow

MAX_RUNS_PER_QUERY = 2000
"""Run ids per statement, far below SQLite's 32,766-parameter cap."""


@dataclass(frozen=True)
class DiscordantCounts:
    """How two runs' strict verdicts relate on the items both scored.

    ``n``: shared items; ``a_only``: right in run a only; ``b_only``: right in run b only;
    ``both``: right in both. Both wrong is the rest.
    """

    n: int
    a_only: int
    b_only: int
    both: int

    @property
    def both_wrong(self) -> int:
        return self.n - self.a_only - self.b_only - self.both

    @property
    def agreement(self) -> float | None:
        """Share of shared items where both runs were right or both wrong; None without any."""
        return (self.n - self.a_only - self.b_only) / self.n if self.n else None


_NO_SHARED_ITEMS = DiscordantCounts(0, 0, 0, 0)


def discordant_counts(
    engine: Engine, pairs: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], DiscordantCounts]:
    """Discordant counts of many run pairs at once, keyed by the ``(run_a, run_b)`` asked for.

    Reads one :class:`~flip_store.schema.RunVerdicts` row per run involved and counts in
    Python: the leaderboard asks for hundreds of pairs per view, and joining ``outcome`` with
    itself item by item for them cost about 250 ms at leaderboard scale. A pair with no shared
    items (different benchmarks or domains, unknown run ids) maps to all zeros; repeated pairs
    are computed once.
    """
    wanted = list(dict.fromkeys((int(a), int(b)) for a, b in pairs))
    result = dict.fromkeys(wanted, _NO_SHARED_ITEMS)
    if not wanted:
        return result
    verdicts = run_verdicts(engine, {run for pair in wanted for run in pair})
    for run_a, run_b in wanted:
        a, b = verdicts.get(run_a), verdicts.get(run_b)
        if a and b:
            result[(run_a, run_b)] = _count(a, b)
    return result


def run_verdicts(engine: Engine, run_ids: set[int]) -> dict[int, dict[str, bool]]:
    """``{run_id: {item_id: correct}}`` for the given runs (JSON decoded by orjson)."""
    found: dict[int, dict[str, bool]] = {}
    ids = sorted(run_ids)
    with engine.connect() as connection:
        for start in range(0, len(ids), MAX_RUNS_PER_QUERY):
            chunk = ids[start : start + MAX_RUNS_PER_QUERY]
            for run_id, text in connection.execute(
                select(RunVerdictsRow.run_id, cast(RunVerdictsRow.verdicts, Text)).where(
                    RunVerdictsRow.run_id.in_(chunk)
                )
            ):
                found[run_id] = orjson.loads(text)
    return found


def pooled_verdicts(
    verdicts: dict[int, dict[str, bool]], run_ids: Sequence[int]
) -> dict[str, bool]:
    """``{item_id: correct}`` over several runs, one per domain (item ids carry their domain,
    so the runs' verdicts join without overlap)."""
    pooled: dict[str, bool] = {}
    for run_id in run_ids:
        pooled.update(verdicts.get(run_id, {}))
    return pooled


def _count(a: dict[str, bool], b: dict[str, bool]) -> DiscordantCounts:
    n = a_only = b_only = both = 0
    for item_id, right_a in a.items():
        right_b = b.get(item_id)
        if right_b is None:
            continue
        n += 1
        if right_a and right_b:
            both += 1
        elif right_a:
            a_only += 1
        elif right_b:
            b_only += 1
    return DiscordantCounts(n, a_only, b_only, both)


@dataclass(frozen=True)
class RunLabel:
    """What names a run in a comparison (plain values; model names are untrusted text)."""

    run_id: int
    model: str
    method: str
    task: str
    benchmark: str
    domain: str
    items: int
    """How many items the run has a verdict on."""

    @property
    def label(self) -> str:
        return f"{self.model} · {self.method} (run {self.run_id})"


@dataclass(frozen=True)
class RunComparison:
    """Run b against run a on the items both scored (b - a: positive means b is better).

    ``improved``: item ids b got right and a wrong; ``regressed``: a right, b wrong (sorted).
    ``difference`` is None when the runs share no items (then ``notes`` says why).
    """

    run_a: RunLabel
    run_b: RunLabel
    n: int
    both_right: int
    both_wrong: int
    improved: list[str]
    regressed: list[str]
    difference: PairedDifference | None
    notes: list[str] = field(default_factory=list)

    @property
    def agreement(self) -> float | None:
        """Share of shared items where the runs agree (both right or both wrong)."""
        return (self.both_right + self.both_wrong) / self.n if self.n else None


def compare_runs(engine: Engine, run_a: int, run_b: int) -> RunComparison | None:
    """Run ``run_b`` against ``run_a`` item by item; None when either run id is unknown.

    Runs that share no items (different benchmarks or domains) give a comparison with
    ``n == 0`` and a note, not an error, so a view can say so.
    """
    a = aliased(OutcomeRow, name="outcome_a")
    b = aliased(OutcomeRow, name="outcome_b")
    with engine.connect() as connection:
        labels = {
            row[0]: row
            for row in connection.execute(
                select(
                    RunRow.id,
                    ModelRow.name,
                    RunRow.method,
                    RunRow.task,
                    RunRow.benchmark,
                    RunRow.domain,
                )
                .join(ModelRow, ModelRow.id == RunRow.model_id)
                .where(RunRow.id.in_([run_a, run_b]))
            )
        }
        if run_a not in labels or run_b not in labels:
            return None
        item_counts = dict(
            connection.execute(
                select(OutcomeRow.run_id, func.count())
                .where(OutcomeRow.run_id.in_([run_a, run_b]))
                .group_by(OutcomeRow.run_id)
            ).all()
        )
        shared = connection.execute(
            select(a.item_id, a.correct, b.correct)
            .join(b, (b.item_id == a.item_id) & (b.run_id == run_b))
            .where(a.run_id == run_a)
            .order_by(a.item_id)
        ).all()
    label_a, label_b = (
        RunLabel(*labels[run_id], items=item_counts.get(run_id, 0)) for run_id in (run_a, run_b)
    )
    correct_a = [bool(row[1]) for row in shared]
    correct_b = [bool(row[2]) for row in shared]
    improved = [row[0] for row in shared if row[2] and not row[1]]
    regressed = [row[0] for row in shared if row[1] and not row[2]]
    both_right = sum(1 for x, y in zip(correct_a, correct_b, strict=True) if x and y)
    n = len(shared)
    return RunComparison(
        run_a=label_a,
        run_b=label_b,
        n=n,
        both_right=both_right,
        both_wrong=n - both_right - len(improved) - len(regressed),
        improved=improved,
        regressed=regressed,
        difference=paired_difference(correct_a, correct_b) if n else None,
        notes=_notes(label_a, label_b, n),
    )


def _notes(a: RunLabel, b: RunLabel, n: int) -> list[str]:
    notes = []
    if a.run_id == b.run_id:
        notes.append("Both sides are the same run: every item agrees.")
    if n == 0:
        where_a, where_b = f"{a.benchmark} {a.domain}", f"{b.benchmark} {b.domain}"
        reason = (
            "runs on different benchmarks or domains cannot be paired"
            if where_a != where_b
            else "neither has a verdict on an item the other scored"
        )
        notes.append(
            f"Run {a.run_id} ({where_a}) and run {b.run_id} ({where_b}) share no items: {reason}."
        )
    elif n < max(a.items, b.items):
        notes.append(
            f"Compared on the {_items(n)} both runs scored "
            f"(run {a.run_id} has {_items(a.items)}, run {b.run_id} has {_items(b.items)})."
        )
    for label in (a, b):
        if label.method == "baseline_random":
            notes.append(
                f"Run {label.run_id} is the random-pick baseline: its accuracy is an expected "
                "value with no per-item picks, so it counts as wrong on every item here."
            )
    return notes


def _items(count: int) -> str:
    return f"{count} item" if count == 1 else f"{count} items"
