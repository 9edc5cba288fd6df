"""FLIP against the best judge of the same model: the question the leaderboard exists to answer.

One rule, used by the table and the charts alike: for a FLIP row, the judge row of the same
model and decoding profile with the highest average over the shown domains (a row counts only
with every shown domain). The relative gain is ``(FLIP - judge) / judge``. Where the store is at
hand, the two are also tested on the items both scored: discordant counts pooled over the
domains' run pairs and an exact McNemar test (:mod:`flip_core.paired`), because the same items
are scored by both methods and an unpaired comparison of two intervals would waste that.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from flip_core.paired import mcnemar_exact
from flip_store.read.leaderboard import LeaderboardRow, RowKey
from flip_store.read.verdicts import DiscordantCounts

CountsLookup = Callable[[Sequence[tuple[int, int]]], Mapping[tuple[int, int], DiscordantCounts]]


def domain_average(row: LeaderboardRow, domains: Sequence[str]) -> float | None:
    """Plain mean of the row's accuracy over ``domains``; None unless it has every one."""
    if not domains or any(domain not in row.domains for domain in domains):
        return None
    return sum(row.domains[domain].value for domain in domains) / len(domains)


@dataclass(frozen=True)
class FlipGain:
    """A FLIP row beside the best judge of its model and profile on the same domains."""

    flip: LeaderboardRow
    judge: LeaderboardRow
    flip_average: float
    judge_average: float
    counts: DiscordantCounts | None = None  # FLIP is run a, the judge run b; pooled domains

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


def best_judges(
    rows: Sequence[LeaderboardRow], domains: Sequence[str]
) -> dict[tuple[str, str], tuple[LeaderboardRow, float]]:
    """Per (model, profile): the judge row with the highest average over ``domains``."""
    best: dict[tuple[str, str], tuple[LeaderboardRow, float]] = {}
    for row in rows:
        average = domain_average(row, domains)
        if row.is_baseline or not row.method.startswith("judge_") or average is None:
            continue
        key = (row.model, row.profile)
        if key not in best or average > best[key][1]:
            best[key] = (row, average)
    return best


def flip_gains(
    rows: Sequence[LeaderboardRow],
    domains: Sequence[str],
    counts_of: CountsLookup | None = None,
) -> dict[RowKey, FlipGain]:
    """Each complete FLIP row's gain over its best judge, keyed by :attr:`LeaderboardRow.key`.

    ``counts_of`` (e.g. ``lambda pairs: discordant_counts(engine, pairs)``) adds the paired
    test: it is asked once for every (FLIP run, judge run) pair of the same domain.
    """
    judges = best_judges(rows, domains)
    gains: dict[RowKey, FlipGain] = {}
    for row in rows:
        average = domain_average(row, domains)
        judge = judges.get((row.model, row.profile))
        if row.method != "flip" or row.is_baseline or average is None or judge is None:
            continue
        gains[row.key] = FlipGain(row, judge[0], average, judge[1])
    if counts_of is None or not gains:
        return gains
    pairs = {
        key: [(gain.flip.domains[d].run_id, gain.judge.domains[d].run_id) for d in domains]
        for key, gain in gains.items()
    }
    counts = counts_of([pair for domain_pairs in pairs.values() for pair in domain_pairs])
    return {
        key: FlipGain(
            gain.flip,
            gain.judge,
            gain.flip_average,
            gain.judge_average,
            _pooled([counts[pair] for pair in pairs[key]]),
        )
        for key, gain in gains.items()
    }


def _pooled(parts: Sequence[DiscordantCounts]) -> DiscordantCounts:
    return DiscordantCounts(
        sum(p.n for p in parts),
        sum(p.a_only for p in parts),
        sum(p.b_only for p in parts),
        sum(p.both for p in parts),
    )
