"""Two runs on the same items, compared item by item (the leaderboard's Compare view).

Runs join on item ids (docs/conventions.md: an item's id is the same under every method and
variant), so two runs of any models and methods on the same benchmark domain are paired on the
items both scored. Correctness is the strict best-of-N ``outcome.correct``, the headline
``acc``. The statistics (paired bootstrap interval, exact McNemar) are
:mod:`flip_core.paired`'s; this module only reads the store.

Reads are plain column rows; paired counts of many run pairs are :mod:`.verdicts`'.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import aliased

from flip_core.paired import PairedDifference, paired_difference
from flip_store.schema import ModelRow, OutcomeRow, RunRow


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
    return notes


def _items(count: int) -> str:
    return f"{count} item" if count == 1 else f"{count} items"
