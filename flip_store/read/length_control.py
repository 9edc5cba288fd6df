"""Length-controlled accuracy per leaderboard row, pooled over its domains
(``flip report length-control``).

The per-run figures stored at ingest (:mod:`flip_store.ingest.length_metrics`) answer "how does
this run do once length is controlled" one domain at a time, with 46 to 134 pairs each and 200
resamples. The question a reader of the board asks is per row: does this method, on this model,
beat the length rules once length carries no information? A row pools its domains' runs (the
leaderboard's: the newest comparable full run per model, method and domain; item ids carry
their domain, so the verdicts join without overlap) and is refitted on all of them with the
library's default resamples (:data:`flip_core.length_control.DEFAULT_RESAMPLES`).

Why 50% is the bar: a rule that sees only the lengths is, by construction, at chance once the
length cue carries no information (the always-shortest rule falls to 51.9% on LLMBar), so a
method "beats the length rules once length is controlled" when its ``balanced`` accuracy's
interval lies above chance (:attr:`LengthControlRow.beats_length_rules`). The raw accuracy of
the rules themselves is printed beside the rows for scale.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from flip_core.catalog.benchmarks import benchmark as benchmark_spec
from flip_core.items import Item
from flip_core.length_control import (
    LONGEST_WRONG,
    SHORTEST_WRONG,
    LengthControlled,
    length_controlled_accuracy,
    length_profiles,
    length_subsets,
    subset_accuracy,
)
from flip_core.selection import Interval
from flip_store.read.leaderboard import LeaderboardRow, leaderboard
from flip_store.read.length import LENGTH_RULES
from flip_store.read.references import RULES, rule_verdicts
from flip_store.read.verdicts import pooled_verdicts, run_verdicts
from flip_store.schema import CandidateRow, ItemRow


@dataclass(frozen=True)
class LengthControlRow:
    """One leaderboard row's pooled figures: the length-adversarial subsets' accuracies (None
    when the row has no verdict on such an item) and the regression fit (``controlled``)."""

    row: LeaderboardRow
    run_ids: tuple[int, ...]
    domains: tuple[str, ...]
    chance: float
    where_shortest_wrong: Interval | None
    where_longest_wrong: Interval | None
    controlled: LengthControlled

    @property
    def beats_length_rules(self) -> bool | None:
        """Whether the length-controlled accuracy's interval lies above chance (None: no
        interval)."""
        if self.controlled.balanced_interval is None:
            return None
        return self.controlled.balanced_interval[0] > self.chance


@dataclass(frozen=True)
class RuleRow:
    """A length rule's raw accuracy on the items the rows cover (it has no controlled figure:
    its verdict is a step function of length)."""

    rule: str
    label: str
    accuracy: Interval | None


@dataclass(frozen=True)
class LengthControlReport:
    benchmark: str
    rows: tuple[LengthControlRow, ...]
    rules: tuple[RuleRow, ...]
    resamples: int


def length_control_report(
    engine: Engine, benchmark: str, resamples: int | None = None
) -> LengthControlReport:
    """Every leaderboard row of ``benchmark`` (full runs of clean tasks), pooled and refitted;
    then the length rules on the items the rows cover. Raises :class:`FlipConfigError` for an
    unknown benchmark or a resample count below 1."""
    from flip_core.length_control import DEFAULT_RESAMPLES

    benchmark_spec(benchmark)
    resamples = DEFAULT_RESAMPLES if resamples is None else resamples
    rows = leaderboard(engine, benchmark, include_limited=False, variant="none")
    runs = [{d: cell.run_id for d, cell in row.domains.items()} for row in rows]
    verdicts = run_verdicts(engine, {run for domain_runs in runs for run in domain_runs.values()})
    pooled = [pooled_verdicts(verdicts, list(domain_runs.values())) for domain_runs in runs]
    covered = set().union(*pooled) if pooled else set()
    items = _items(engine, benchmark, covered)
    profiles = length_profiles(items)
    subsets = length_subsets(profiles)
    adversarial = {name: subsets[name] for name in (SHORTEST_WRONG, LONGEST_WRONG)}
    credits = rule_verdicts(engine, benchmark, sorted({d for r in rows for d in r.domains}))
    chance = credits["chance"]
    report_rows = []
    for row, domain_runs, row_verdicts in zip(rows, runs, pooled, strict=True):
        accuracy = subset_accuracy(row_verdicts, adversarial)
        scored = [chance[i] for i in row_verdicts if i in chance]
        report_rows.append(
            LengthControlRow(
                row=row,
                run_ids=tuple(domain_runs.values()),
                domains=tuple(domain_runs),
                chance=sum(scored) / len(scored) if scored else 0.5,
                where_shortest_wrong=accuracy[SHORTEST_WRONG],
                where_longest_wrong=accuracy[LONGEST_WRONG],
                controlled=length_controlled_accuracy(row_verdicts, profiles, resamples=resamples),
            )
        )
    return LengthControlReport(
        benchmark, tuple(report_rows), _rule_rows(credits, covered), resamples
    )


def _rule_rows(credits: dict[str, dict[str, float]], covered: set[str]) -> tuple[RuleRow, ...]:
    """The length rules' raw accuracy on the covered items."""
    if not covered:
        return ()
    found = []
    for rule in LENGTH_RULES:
        verdicts = {i: bool(v) for i, v in credits[rule].items() if i in covered}
        accuracy = subset_accuracy(verdicts, {"all": frozenset(verdicts)})["all"]
        found.append(RuleRow(rule, RULES[rule], accuracy))
    return tuple(found)


def _items(engine: Engine, benchmark: str, item_ids: set[str]) -> list[Item]:
    """The covered items with their candidates in position order, as the library's records."""
    query = (
        select(ItemRow.id, ItemRow.instruction, ItemRow.gold_index, CandidateRow.text)
        .join(CandidateRow, CandidateRow.item_id == ItemRow.id)
        .where(ItemRow.benchmark == benchmark)
        .order_by(ItemRow.id, CandidateRow.position)
    )
    texts: dict[str, list[str]] = {}
    heads: dict[str, tuple[str, int | None]] = {}
    with engine.connect() as connection:
        for item_id, instruction, gold, text in connection.execute(query):
            if item_id in item_ids:
                texts.setdefault(item_id, []).append(text)
                heads[item_id] = (instruction, gold)
    return [
        Item(item_id, heads[item_id][0], tuple(candidates), heads[item_id][1], benchmark)
        for item_id, candidates in texts.items()
    ]
