"""FLIP against the best judge of the same model: the question the leaderboard exists to answer.

One rule, used by the table and the charts alike: for every FLIP-family row (FLIP, FLIP-
likelihood, any method registered in that family), the judge-family row of the same model,
decoding profile and backend with the highest Average over the shown domains (a row has an
Average only with every shown domain). The relative gain is ``(FLIP - judge) / judge``. The
two are also tested on the items both scored: discordant counts pooled over the domains' run
pairs and an exact McNemar test (:mod:`flip_core.paired`), because the same items are scored
by both methods and an unpaired comparison of two intervals would waste that.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from flip_core.paired import mcnemar_exact
from flip_store.read.verdicts import DiscordantCounts
from leaderboard.board import BoardRow, RowKind
from leaderboard.catalog import is_flip_family, is_judge

CountsLookup = Callable[[Sequence[tuple[int, int]]], Mapping[tuple[int, int], DiscordantCounts]]
GroupKey = tuple[str, str | None, str | None]


@dataclass(frozen=True)
class FlipGain:
    """A FLIP-family row beside the best judge of its model, profile and backend."""

    flip: BoardRow
    judge: BoardRow
    counts: DiscordantCounts | None = None
    """FLIP is run a, the judge run b; pooled over the shown domains."""

    @property
    def flip_average(self) -> float:
        return self.flip.average or 0.0

    @property
    def judge_average(self) -> float:
        return self.judge.average or 0.0

    @property
    def relative(self) -> float | None:
        """Relative gain in percent; None when the judge is at 0 (undefined)."""
        if self.judge_average == 0:
            return None
        return (self.flip_average - self.judge_average) / self.judge_average * 100

    @property
    def p_value(self) -> float | None:
        """Exact McNemar p-value on the shared items; None without the store's counts."""
        if self.counts is None or self.counts.n == 0:
            return None
        return mcnemar_exact(self.counts.a_only, self.counts.b_only)


def _group(row: BoardRow) -> GroupKey:
    return (row.name, row.profile, row.backend)


def _compared(row: BoardRow) -> bool:
    return row.kind is RowKind.MODEL and row.average is not None


def best_judges(rows: Sequence[BoardRow]) -> dict[GroupKey, BoardRow]:
    """Per (model, profile, backend): the judge row with the highest Average."""
    best: dict[GroupKey, BoardRow] = {}
    for row in rows:
        if not (_compared(row) and is_judge(row.method)):
            continue
        held = best.get(_group(row))
        if held is None or (row.average or 0.0) > (held.average or 0.0):
            best[_group(row)] = row
    return best


def flip_gains(
    rows: Sequence[BoardRow], counts_of: CountsLookup | None = None
) -> dict[tuple[str | None, ...], FlipGain]:
    """Each FLIP-family row's gain over its best judge, keyed by :attr:`BoardRow.key`.

    ``counts_of`` (e.g. ``StoreReader.discordant_counts``) adds the paired test: it is asked
    once for every (FLIP run, judge run) pair of the same domain.
    """
    judges = best_judges(rows)
    gains = {
        row.key: FlipGain(row, judges[_group(row)])
        for row in rows
        if _compared(row) and is_flip_family(row.method) and _group(row) in judges
    }
    if counts_of is None or not gains:
        return gains
    pairs = {
        key: [(gain.flip.cells[d].run_id, gain.judge.cells[d].run_id) for d in gain.flip.domains]
        for key, gain in gains.items()
    }
    counts = counts_of([pair for domain_pairs in pairs.values() for pair in domain_pairs])  # type: ignore[misc]
    return {
        key: replace(gain, counts=_pooled([counts[pair] for pair in pairs[key]]))  # type: ignore[index]
        for key, gain in gains.items()
    }


def with_gains(rows: Sequence[BoardRow], counts_of: CountsLookup | None = None) -> list[BoardRow]:
    """``rows`` with each FLIP-family row's :attr:`BoardRow.gain` filled in."""
    gains = flip_gains(rows, counts_of)
    return [replace(row, gain=gains[row.key]) if row.key in gains else row for row in rows]


def _pooled(parts: Sequence[DiscordantCounts]) -> DiscordantCounts:
    return DiscordantCounts(
        sum(p.n for p in parts),
        sum(p.a_only for p in parts),
        sum(p.b_only for p in parts),
        sum(p.both for p in parts),
    )
