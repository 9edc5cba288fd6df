"""What either database accepts, read from the store's own tables: one check before any write.

SQLite stores a 300-character string in a ``String(40)`` column and NaN inside JSON; PostgreSQL
refuses both, as it refuses a NUL in any text and an ``integer`` past 32 bits (SQLite stops at
64). A store must not hold what the other database would refuse, so the rows an ingest writes
from submitted values (a run, its model) are validated first against a pydantic schema derived
from their table's columns: a ``String(n)`` holds text of at most ``n`` characters without
control characters, ``Text`` text without NUL, integers fit the column's width in PostgreSQL,
JSON holds finite numbers only. The limits are the columns' own, so they cannot drift from
:mod:`flip_store.schema`; a violation is a one-line :class:`FlipInputError` naming the column.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cache
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    create_model,
)
from sqlalchemy import JSON, BigInteger, Column, Integer, String
from sqlalchemy.orm import InstrumentedAttribute

from flip_core.errors import FlipInputError
from flip_store.schema import Base
from harness_tasks.lm_eval_output import first_problem

INTEGER_BITS = ((BigInteger, 64), (Integer, 32))
"""Signed widths of PostgreSQL's integer types (BigInteger first: it is an Integer subclass)."""


def column_length(attribute: InstrumentedAttribute[Any]) -> int:
    """The declared length of a ``String(n)`` column (``ModelRow.quantization`` -> 60)."""
    length = attribute.property.columns[0].type.length
    if length is None:
        raise TypeError(f"{attribute} has no declared length")
    return length


def check_storable(table: type[Base], values: Mapping[str, Any], what: str) -> None:
    """Raise a one-line :class:`FlipInputError` unless every value fits its column of
    ``table`` (columns without a value are not checked)."""
    schema = _row_schema(table)
    try:
        schema.model_validate({key: value for key, value in values.items() if value is not None})
    except ValidationError as error:
        raise FlipInputError(f"{what} is not storable: {first_problem(error)}") from None


def check_storable_row(row: Base, what: str) -> None:
    """:func:`check_storable` for an ORM row about to be added to a session."""
    columns = type(row).__table__.columns
    check_storable(type(row), {column.key: getattr(row, column.key) for column in columns}, what)


@cache
def _row_schema(table: type[Base]) -> type[BaseModel]:
    """A pydantic model with one optional field per column of ``table``."""
    fields: dict[str, Any] = {
        column.key: (_column_type(column) | None, None) for column in table.__table__.columns
    }
    return create_model(  # type: ignore[call-overload,no-any-return]
        f"Storable{table.__name__}",
        __config__=ConfigDict(strict=True, extra="ignore"),
        **fields,
    )


def _column_type(column: Column[Any]) -> Any:
    kind = column.type
    if isinstance(kind, String) and kind.length is not None:
        return Annotated[str, StringConstraints(max_length=kind.length), AfterValidator(_label)]
    if isinstance(kind, String):  # Text, and String without a length
        return Annotated[str, AfterValidator(_text)]
    for integer, bits in INTEGER_BITS:
        if isinstance(kind, integer):
            return Annotated[int, Field(ge=-(2 ** (bits - 1)), le=2 ** (bits - 1) - 1)]
    if isinstance(kind, JSON):
        return Annotated[Any, AfterValidator(_finite_json)]
    return Any


def _label(value: str) -> str:
    """A bounded string is a name or a label: shown, compared, keyed on; no control characters."""
    if any(ord(char) < 32 for char in value):
        raise ValueError("holds control characters")
    return value


def _text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("holds a NUL character")
    return value


def _finite_json(value: Any) -> Any:
    """JSON holds no NaN or infinity (PostgreSQL refuses the document)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, float) and not math.isfinite(item):
            raise ValueError("JSON holds a number that is not finite")
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return value
