"""The rows the Leaderboard table and the Charts show: models and reference points, one shape.

A :class:`BoardRow` is a store row (:class:`flip_store.read.leaderboard.LeaderboardRow`) or a
reference row (:class:`flip_store.read.references.ReferenceRow`: a length rule or chance
computed from the items, or a number quoted from a paper) seen over the *shown* domains: its
cells of those domains, its Average over them, its cell metrics averaged over them and, for a
FLIP-family row, its gain over the best judge of the same model (:mod:`leaderboard.gains`).
The table maps these objects through its column spec and the charts draw them, so a chart
never disagrees with the table beside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from flip_store.read.leaderboard import CELL_METRICS, LeaderboardRow
from flip_store.read.references import ReferenceRow
from leaderboard.catalog import method_label

if TYPE_CHECKING:
    from leaderboard.gains import FlipGain


class RowKind(StrEnum):
    """What a row is; the table marks it and filters on it."""

    MODEL = "model"
    RULE = "rule"  # chance or a length rule, computed from the stored items
    REPORTED = "reported"  # a number quoted from a paper, never recomputed


@dataclass(frozen=True)
class Score:
    """One domain's accuracy in a row, with its 95% interval and items where known."""

    value: float
    ci_low: float | None
    ci_high: float | None
    n: int | None
    run_id: int | None = None
    limited: bool = False


@dataclass(frozen=True, eq=False)
class BoardRow:
    """A row over the shown ``domains``: ``cells`` holds those of them the row has.

    Compared and hashed by identity (a figure keys its labels by row object)."""

    kind: RowKind
    name: str
    """The model, or what the reference row is ("always the shortest", a paper's judge)."""
    method: str | None
    domains: tuple[str, ...]
    cells: Mapping[str, Score]
    key: tuple[str | None, ...]
    family: str | None = None
    parameters: int | None = None
    profile: str | None = None
    backend: str | None = None
    prompt_hash: str | None = None
    metrics: Mapping[str, float | None] = field(default_factory=dict)
    """Each of :data:`~flip_store.read.leaderboard.CELL_METRICS`, averaged over the shown
    cells that have it (None where none has)."""
    source: str | None = None
    gain: FlipGain | None = None

    @property
    def average(self) -> float | None:
        """Plain mean over the shown domains; None unless the row has every one of them."""
        if not self.domains or any(d not in self.cells for d in self.domains):
            return None
        return sum(self.cells[d].value for d in self.domains) / len(self.domains)

    @property
    def run_ids(self) -> tuple[int, ...]:
        return tuple(c.run_id for d in self.domains if (c := self.cells.get(d)) and c.run_id)

    @property
    def limited(self) -> bool:
        return any(cell.limited for cell in self.cells.values())

    @property
    def method_label(self) -> str:
        return method_label(self.method)

    def metric(self, name: str) -> float | None:
        return self.metrics.get(name)


def model_row(row: LeaderboardRow, domains: Sequence[str]) -> BoardRow:
    """A store row over the shown domains."""
    shown = tuple(domains)
    return BoardRow(
        kind=RowKind.MODEL,
        name=row.model,
        method=row.method,
        domains=shown,
        cells={
            d: Score(c.value, c.ci_low, c.ci_high, c.n, c.run_id, c.limited)
            for d, c in row.domains.items()
            if d in shown
        },
        key=row.key,
        family=row.family,
        parameters=row.parameters,
        profile=row.profile,
        backend=row.backend,
        prompt_hash=row.prompt_hash,
        metrics={name: row.mean(name, shown) for name in CELL_METRICS},
    )


def reference_row(row: ReferenceRow, domains: Sequence[str]) -> BoardRow:
    """A rule or reported row over the shown domains."""
    shown = tuple(domains)
    return BoardRow(
        kind=RowKind(row.kind),
        name=row.label,
        method=row.method,
        domains=shown,
        cells={
            d: Score(e.value, e.ci_low, e.ci_high, e.n)
            for d, e in row.domains.items()
            if d in shown
        },
        key=(row.key,),
        source=row.source,
    )


def featured_model(rows: Sequence[BoardRow]) -> str | None:
    """The model the one-model figures show by default: the one run with the most methods on
    the shown domains, then the largest, then by name; None when no model row has one."""
    methods: dict[str, set[str | None]] = {}
    sizes: dict[str, int] = {}
    for row in rows:
        if row.kind is RowKind.MODEL and row.cells:
            methods.setdefault(row.name, set()).add(row.method)
            sizes[row.name] = max(sizes.get(row.name, 0), row.parameters or 0)
    if not methods:
        return None
    return min(methods, key=lambda name: (-len(methods[name]), -sizes[name], name))


def model_names(rows: Sequence[BoardRow]) -> list[str]:
    """The models among ``rows``, sorted (a model picker's choices)."""
    return sorted({row.name for row in rows if row.kind is RowKind.MODEL})
