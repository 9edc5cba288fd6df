"""Forward schema migrations, a documented hand-rolled scheme (no Alembic dependency).

The ``schema_info`` table holds the version a database was built at. ``MIGRATIONS[n]`` moves
a database from version ``n`` to ``n + 1`` inside the opening transaction; opening an older
database for writing (``flip ingest``) applies every step in order, and a database from a newer
package version is refused. To change a table: edit ``schema.py``, bump ``SCHEMA_VERSION``, and
add the step here, with a test that migrates a database built at the previous version.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, insert, inspect, select, text, update


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


def _reference_points_are_data(connection: Connection) -> None:
    """2 -> 3: the chance and length baselines stop being runs (they are computed from the
    items when read); runs record their backend and whether their scores were verified; items
    their content hash; calls whether they finished and what a guard did; models their file's
    SHA-256; parameter counts are 64-bit."""
    from flip_core.items import Item, content_hash

    baseline_runs = "SELECT id FROM run WHERE method LIKE 'baseline\\_%' ESCAPE '\\'"
    for table in ("metric", "run_verdicts", "outcome", "score", "call"):
        connection.execute(text(f"DELETE FROM {table} WHERE run_id IN ({baseline_runs})"))
    connection.execute(text(f"DELETE FROM run WHERE id IN ({baseline_runs})"))
    connection.execute(
        text("DELETE FROM model WHERE is_baseline AND id NOT IN (SELECT model_id FROM run)")
    )
    _add_column(connection, "item", "content_hash", "VARCHAR(64)")
    if _add_column(connection, "run", "backend", "VARCHAR(40)") and _has(
        connection, "model", "backend"
    ):
        connection.execute(
            text(
                "UPDATE run SET backend = (SELECT backend FROM model WHERE model.id = run.model_id)"
            )
        )
    _add_column(connection, "model", "file_sha256", "VARCHAR(64)")
    if _has(connection, "model", "backend"):
        connection.execute(text("ALTER TABLE model DROP COLUMN backend"))
    if _add_column(connection, "run", "verified", "BOOLEAN"):
        connection.execute(
            text("UPDATE run SET verified = (method <> 'flipll' OR task NOT LIKE 'rerank%')")
        )
    _add_column(connection, "call", "finished", "BOOLEAN")
    _add_column(connection, "call", "guard", "JSON")
    if connection.dialect.name == "postgresql":
        connection.execute(text("ALTER TABLE model ALTER COLUMN parameters TYPE BIGINT"))
    candidates: dict[str, list[str]] = {}
    for item_id, candidate in connection.execute(
        text("SELECT item_id, text FROM candidate ORDER BY item_id, position")
    ):
        candidates.setdefault(item_id, []).append(candidate)
    hashes = [
        {
            "id": item_id,
            "hash": content_hash(
                Item(item_id, instruction, tuple(candidates.get(item_id, ())), gold)
            ),
        }
        for item_id, instruction, gold in connection.execute(
            text("SELECT id, instruction, gold_index FROM item")
        )
    ]
    if hashes:
        connection.execute(text("UPDATE item SET content_hash = :hash WHERE id = :id"), hashes)


def _has(connection: Connection, table: str, column: str) -> bool:
    return column in {c["name"] for c in inspect(connection).get_columns(table)}


def _add_column(connection: Connection, table: str, column: str, kind: str) -> bool:
    """Add a column unless it is there (a store may hold part of a step); True if added."""
    if _has(connection, table, column):
        return False
    connection.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {kind}"))
    return True


MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    1: _add_run_verdicts,
    2: _reference_points_are_data,
}


def migrate(connection: Connection, from_version: int) -> None:
    from flip_store.schema import SCHEMA_VERSION, SchemaInfoRow

    for version in range(from_version, SCHEMA_VERSION):
        MIGRATIONS[version](connection)
        connection.execute(update(SchemaInfoRow).values(version=version + 1))
