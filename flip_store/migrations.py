"""Forward schema migrations, a documented hand-rolled scheme (no Alembic dependency).

The ``schema_info`` table holds the version a database was built at. ``MIGRATIONS[n]`` moves
a database from version ``n`` to ``n + 1`` inside the opening transaction; opening an older
database for writing (``flip ingest``) applies every step in order, and a database from a newer
package version is refused. To change a table: edit ``schema.py``, bump ``SCHEMA_VERSION``, and
add the step here, with a test that migrates a database built at the previous version.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, insert, select, update


def _add_run_verdicts(connection: Connection) -> None:
    """1 -> 2: the ``run_verdicts`` table, filled from every run's outcomes."""
    from flip_store.schema import OutcomeRow, RunVerdictsRow

    RunVerdictsRow.__table__.create(connection)
    verdicts: dict[int, dict[str, bool]] = {}
    for run_id, item_id, correct in connection.execute(
        select(OutcomeRow.run_id, OutcomeRow.item_id, OutcomeRow.correct)
    ):
        verdicts.setdefault(run_id, {})[item_id] = bool(correct)
    if verdicts:
        connection.execute(
            insert(RunVerdictsRow),
            [{"run_id": run_id, "verdicts": items} for run_id, items in verdicts.items()],
        )


MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _add_run_verdicts}


def migrate(connection: Connection, from_version: int) -> None:
    from flip_store.schema import SCHEMA_VERSION, SchemaInfoRow

    for version in range(from_version, SCHEMA_VERSION):
        MIGRATIONS[version](connection)
        connection.execute(update(SchemaInfoRow).values(version=version + 1))
