"""The Leaderboard table: board rows filtered, sorted by the Average shown, mapped to a frame.

:class:`TableFilters` is everything the visitor chose (domains, the values each filterable
column hides, a search, limited and sampled runs, the optional columns). Rows are objects
(:class:`~leaderboard.board.BoardRow`) mapped through the column spec of
:mod:`leaderboard.table_columns`, never positional lists, and the CSV export writes exactly the
frame shown, with spreadsheet formulas neutralised (:func:`csv_safe`, also used by ``flip
report``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from flip_core.catalog.variants import CLEAN
from leaderboard.board import BoardRow, RowKind
from leaderboard.catalog import board_domains
from leaderboard.table_columns import AVERAGE, FILTERABLE, Column, columns_for


@dataclass(frozen=True)
class TableFilters:
    """What the visitor narrowed the table to; the defaults show everything."""

    domains: tuple[str, ...] = ()
    """The shown domains (none chosen: every domain of the board)."""
    hidden: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Per filterable column label, the values unticked: rows holding one are hidden. Values
    a filter did not offer (a family ingested after the page was built) stay visible."""
    search: str = ""
    """Case-insensitive part of a model name; reference rows are not searched."""
    include_limited: bool = False
    variant: str = CLEAN
    """Which runs: the clean tasks or a variant's (the sampled ``s5`` runs)."""
    columns: tuple[str, ...] | None = None
    """The optional columns shown (labels); None: the defaults."""


@dataclass(frozen=True)
class TableView:
    """The table as shown: its frame and each column's datatype (``gr.Dataframe``'s)."""

    frame: pd.DataFrame
    datatypes: list[str]


def shown_domains(benchmark: str, chosen: Sequence[str]) -> tuple[str, ...]:
    """The board's domains among ``chosen``, in board order (none chosen means all)."""
    return tuple(d for d in board_domains(benchmark) if not chosen or d in chosen)


def keep(row: BoardRow, filters: TableFilters) -> bool:
    """Whether the filters keep ``row`` (a column that does not apply to it never hides it)."""
    for column in FILTERABLE:
        hidden = filters.hidden.get(column.label)
        value = column.value(row)
        if hidden and value is not None and value in hidden:
            return False
    search = filters.search.strip().casefold()
    return row.kind is not RowKind.MODEL or not search or search in row.name.casefold()


def sort_rows(rows: Sequence[BoardRow]) -> list[BoardRow]:
    """Descending by the Average the table shows (the column's own value, so the order and the
    column can never disagree); rows without an Average after, by model name."""

    def order(row: BoardRow) -> tuple[bool, float, str]:
        average = AVERAGE.value(row)
        return (average is None, -(average or 0.0), row.name.casefold())

    return sorted(rows, key=order)


def table_view(
    rows: Sequence[BoardRow], domains: Sequence[str], filters: TableFilters
) -> TableView:
    """The filtered, sorted table of ``rows`` (built over the shown ``domains``)."""
    columns = columns_for(domains, filters.columns)
    shown = sort_rows([row for row in rows if keep(row, filters)])
    return TableView(frame(shown, columns), [column.datatype for column in columns])


def frame(rows: Sequence[BoardRow], columns: Sequence[Column]) -> pd.DataFrame:
    """One record per row, one field per column; empty text cells are empty strings."""
    records = [
        {
            c.label: ("" if value is None and c.datatype == "str" else value)
            for c in columns
            for value in (c.value(row),)
        }
        for row in rows
    ]
    return pd.DataFrame.from_records(records, columns=[c.label for c in columns])


_FORMULA_STARTS = frozenset("=+-@")


def _formula_like(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula: its first character that is
    neither whitespace nor a control or format character is ``= + - @`` (spreadsheets skip
    leading tabs, line breaks and spaces before they look)."""
    for char in text:
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf"):
            continue
        return char in _FORMULA_STARTS
    return False


def csv_safe(table: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot run as spreadsheet formulas (prefixed with a quote)."""
    safe = table.copy()
    for column in safe.columns:
        if pd.api.types.is_object_dtype(safe[column]) or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(
                lambda v: f"'{v}" if isinstance(v, str) and _formula_like(v) else v
            )
    return safe


def write_csv(table: pd.DataFrame, path: Path) -> Path:
    """The table as CSV at ``path``, formulas neutralised."""
    csv_safe(table).to_csv(path, index=False)
    return path
