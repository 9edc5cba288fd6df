"""Runs' strict verdicts per item, and how two runs' verdicts relate (paired counts).

Read from ``run_verdicts`` (one row per run holding ``{item_id: correct}``): the leaderboard
pairs hundreds of runs per view, and joining ``outcome`` with itself item by item for them
cost about 250 ms at leaderboard scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import orjson
from sqlalchemy import Engine, Text, cast, select

from flip_store.schema import RunVerdictsRow

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
