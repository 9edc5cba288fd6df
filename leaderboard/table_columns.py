"""The Leaderboard table's columns, declared once each (the Hugging Face leaderboard template's
``AutoEvalColumn`` idea): the label, how to read the value from a :class:`~leaderboard.board.
BoardRow`, its datatype, whether it is shown by default, whether it gets a show/hide filter.

This one declaration drives the table, its column chooser and filters, and the CSV export, so
adding a column is adding one line to :data:`HEAD` or :data:`TAIL`. Domain columns follow the
shown domains (:func:`columns_for`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from flip_core.catalog.benchmarks import domain_label
from leaderboard.board import BoardRow, RowKind
from leaderboard.catalog import SIZE_BUCKETS, method_labels, size_bucket

Datatype = Literal["str", "number"]
"""As ``gr.Dataframe`` reads it: text cells are shown as text, never as HTML."""


@dataclass(frozen=True)
class Column:
    """One column of the table.

    ``value`` returns None where the column does not apply to the row (an empty cell, and a
    row that passes that column's filter). ``choices``: the filter's values where they are
    known ahead, read when the page is built (a method registered since shows); else the
    values found in the store.
    """

    label: str
    value: Callable[[BoardRow], object]
    datatype: Datatype = "str"
    shown: bool = True
    filterable: bool = False
    always: bool = False
    """Never hidden (not offered in the column chooser)."""
    choices: Callable[[], Sequence[str]] | None = None


def percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def _metric_percent(name: str) -> Callable[[BoardRow], float | None]:
    return lambda row: percent(row.metric(name))


def _metric(name: str) -> Callable[[BoardRow], float | None]:
    return lambda row: None if (v := row.metric(name)) is None else round(v, 1)


def _billions(row: BoardRow) -> float | None:
    return round(row.parameters / 1e9, 3) if row.parameters else None


def _size(row: BoardRow) -> str | None:
    return size_bucket(row.parameters) if row.kind is RowKind.MODEL else None


def _gain(row: BoardRow) -> float | None:
    relative = row.gain.relative if row.gain else None
    return None if relative is None else round(relative, 1)


def _gain_p(row: BoardRow) -> float | None:
    p = row.gain.p_value if row.gain else None
    return None if p is None else float(f"{p:.2g}")  # a tiny p stays visible


def _runs(row: BoardRow) -> str | None:
    ids = [
        f"{cell.run_id} (limited)" if cell.limited else str(cell.run_id)
        for d in row.domains
        if (cell := row.cells.get(d)) and cell.run_id is not None
    ]
    return ", ".join(ids) or None


HEAD: tuple[Column, ...] = (
    Column("Model", lambda r: r.name, always=True),
    Column("Kind", lambda r: r.kind.value, always=True, filterable=True,
           choices=lambda: [kind.value for kind in RowKind]),
    Column("Family", lambda r: r.family, filterable=True),
    Column("Size", _size, shown=False, filterable=True, choices=lambda: SIZE_BUCKETS),
    Column("Params (B)", _billions, "number"),
    Column("Method", lambda r: r.method_label or None, filterable=True, choices=method_labels),
    Column("Profile", lambda r: r.profile, filterable=True),
    Column("Backend", lambda r: r.backend, filterable=True),
)  # fmt: skip
AVERAGE = Column("Average", lambda r: percent(r.average), "number", always=True)
"""The plain mean over the shown domains, and the table's one sort key."""
TAIL: tuple[Column, ...] = (
    AVERAGE,
    Column("FLIP gain (%)", _gain, "number"),
    Column("Gain p (McNemar)", _gain_p, "number"),
    Column("Best judge", lambda r: r.gain.judge.method_label if r.gain else None, shown=False),
    Column("Parse fail (%)", _metric_percent("parse_fail_rate"), "number"),
    Column("Finished (%)", _metric_percent("finished_rate"), "number"),
    Column("First-shown picks (%)", _metric_percent("first_shown_rate"), "number"),
    Column("Tokens / item", _metric("generated_tokens_per_item"), "number"),
    Column("Forward passes / item", _metric("forward_passes_per_item"), "number", shown=False),
    Column("Acc. where shortest wrong", _metric_percent("acc_where_shortest_wrong"), "number"),
    Column("Acc. where longest wrong", _metric_percent("acc_where_longest_wrong"), "number"),
    Column("Length-controlled", _metric_percent("acc_length_controlled"), "number"),
    Column("Runs", _runs),
    Column("Source", lambda r: r.source, shown=False),
)
FIXED = HEAD + TAIL
FILTERABLE = tuple(column for column in FIXED if column.filterable)
CHOOSABLE = tuple(column.label for column in FIXED if not column.always)
"""The column chooser's choices."""
DEFAULT_SHOWN = tuple(column.label for column in FIXED if column.shown and not column.always)


def domain_column(domain: str) -> Column:
    """A domain's accuracy (%) in the row, from its newest comparable run."""
    return Column(
        domain_label(domain),
        lambda r: percent(cell.value) if (cell := r.cells.get(domain)) else None,
        "number",
        always=True,
    )


def columns_for(domains: Sequence[str], shown: Sequence[str] | None = None) -> list[Column]:
    """The table's columns over ``domains``: the fixed ones that are always shown or chosen
    (``shown``: labels; None for the defaults), the domains between head and tail."""
    chosen = set(DEFAULT_SHOWN if shown is None else shown)
    keep = [c for c in FIXED if c.always or c.label in chosen]
    head = [c for c in keep if c in HEAD]
    tail = [c for c in keep if c in TAIL]
    return [*head, *(domain_column(d) for d in domains), *tail]
