"""Robustness to reward hacks: each method's accuracy drop under every probe, paired by item.

A probe run (task variant ``hack_*``, :mod:`flip_core.probes`) scores the same items as its
clean run, with the rejected candidates edited; item ids are unchanged, so the two runs join
item by item. The drop is ``clean accuracy - probed accuracy`` on the items both runs scored,
with a paired bootstrap interval and the exact McNemar p-value of
:func:`flip_core.paired.paired_difference`: a positive drop means the probe fooled the method
into preferring the edited rejected response more often.

Which runs: per probe, the leaderboard's own choice (:func:`flip_store.read.leaderboard.leaderboard`
with ``variant=probe``: the newest comparable full run per model, method and domain); the
clean side is the clean leaderboard row with the same model, method, profile and prompt
version. Rows are pooled over the domains both sides ran.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from flip_core.paired import PairedDifference, paired_difference
from flip_core.probes import PROBES
from flip_store.read.leaderboard import LeaderboardRow, RowKey, leaderboard
from flip_store.read.verdicts import pooled_verdicts, run_verdicts


@dataclass(frozen=True)
class ProbeDrop:
    """One probe's effect on one row: the paired comparison and the runs behind it."""

    probe: str
    comparison: PairedDifference
    """``acc_a`` clean, ``acc_b`` probed; ``difference`` is probed - clean."""
    clean_run_ids: tuple[int, ...]
    probe_run_ids: tuple[int, ...]
    domains: tuple[str, ...]

    @property
    def drop(self) -> float:
        return _negated(self.comparison.difference)

    @property
    def drop_interval(self) -> tuple[float, float]:
        return _negated(self.comparison.ci_high), _negated(self.comparison.ci_low)


def _negated(value: float) -> float:
    """``-value`` without a negative zero (no drop prints as +0.0, not -0.0)."""
    return 0.0 - value


@dataclass(frozen=True)
class RobustnessRow:
    """A model and method with every probe it was run under."""

    model: str
    method: str
    profile: str
    backend: str
    prompt_hash: str | None
    drops: dict[str, ProbeDrop]


def robustness(
    engine: Engine, benchmark: str, domains: Sequence[str] | None = None
) -> list[RobustnessRow]:
    """Per clean leaderboard row that has probe runs: the paired drop under each probe,
    pooled over ``domains`` (default: every domain both runs have), probes in
    :data:`flip_core.probes.PROBES` order. Rows without any probe run are left out."""
    clean = {row.key: row for row in leaderboard(engine, benchmark)}
    pairs: list[tuple[RowKey, str, list[str], LeaderboardRow]] = []
    for probe in PROBES:
        for row in leaderboard(engine, benchmark, variant=probe):
            base = clean.get(row.key)
            if base is None:
                continue
            shared = [
                d for d in row.domains if d in base.domains and (domains is None or d in domains)
            ]
            if shared:
                pairs.append((row.key, probe, shared, row))
    run_ids = {
        cell.run_id
        for key, _, shared, row in pairs
        for source in (row, clean[key])
        for d, cell in source.domains.items()
        if d in shared
    }
    verdicts = run_verdicts(engine, run_ids)
    rows: dict[RowKey, RobustnessRow] = {}
    for key, probe, shared, row in pairs:
        base = clean[key]
        clean_ids = tuple(base.domains[d].run_id for d in shared)
        probe_ids = tuple(row.domains[d].run_id for d in shared)
        before = pooled_verdicts(verdicts, clean_ids)
        after = pooled_verdicts(verdicts, probe_ids)
        items = sorted(set(before) & set(after))
        if not items:
            continue
        comparison = paired_difference([before[i] for i in items], [after[i] for i in items])
        target = rows.setdefault(
            key,
            RobustnessRow(
                base.model, base.method, base.profile, base.backend, base.prompt_hash, {}
            ),
        )
        target.drops[probe] = ProbeDrop(probe, comparison, clean_ids, probe_ids, tuple(shared))
    return list(rows.values())
