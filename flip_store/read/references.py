"""Reference points: what a method's accuracy must beat to mean anything.

They are properties of the data, not runs: chance (the expected accuracy of a uniformly random
pick), always the longest candidate and always the shortest (strict rule: a tie for the
longest counts as wrong, as for every method) are computed, when read, from the candidates of
the items stored for a benchmark's domains; reported rows (the FLIP paper's averages, LLMBar's
own evaluators) are quoted from :mod:`flip_core.catalog.references` and never recomputed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, select

from flip_core.catalog.references import reported_rows
from flip_core.selection import bootstrap_interval, is_strictly_correct
from flip_store.schema import CandidateRow, ItemRow

RULES = {
    "chance": "chance (random pick, expected)",
    "longest": "always the longest",
    "shortest": "always the shortest",
}
"""The model-free rules, in display order."""


@dataclass(frozen=True)
class Estimate:
    """An accuracy with its 95% interval and item count (None where a quoted source gives
    only the number)."""

    value: float
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None


@dataclass(frozen=True)
class ReferenceRow:
    """A row beside the models: a rule computed from the data, or a reported number."""

    key: str
    label: str
    kind: str
    """``rule`` (computed here) or ``reported`` (quoted)."""
    method: str | None
    domains: dict[str, Estimate]
    source: str | None = None


def rule_verdicts(
    engine: Engine, benchmark: str, domains: Sequence[str]
) -> dict[str, dict[str, float]]:
    """Per rule, each stored item's credit (1/0 for the length rules, 1/N expected for chance)
    over the items of ``domains`` that have a gold candidate."""
    lengths: dict[str, list[tuple[int, bool]]] = defaultdict(list)
    with engine.connect() as connection:
        for item_id, length, chosen in connection.execute(
            select(CandidateRow.item_id, CandidateRow.length_chars, CandidateRow.is_chosen)
            .join(ItemRow, ItemRow.id == CandidateRow.item_id)
            .where(
                ItemRow.benchmark == benchmark,
                ItemRow.domain.in_(list(domains)),
                ItemRow.gold_index.is_not(None),
            )
            .order_by(CandidateRow.item_id, CandidateRow.position)
        ):
            lengths[item_id].append((length, bool(chosen)))
    verdicts: dict[str, dict[str, float]] = {rule: {} for rule in RULES}
    for item_id, candidates in lengths.items():
        gold = next(i for i, (_, chosen) in enumerate(candidates) if chosen)
        sizes = [float(length) for length, _ in candidates]
        verdicts["chance"][item_id] = 1.0 / len(candidates)
        verdicts["longest"][item_id] = float(is_strictly_correct(sizes, gold))
        verdicts["shortest"][item_id] = float(is_strictly_correct([-s for s in sizes], gold))
    return verdicts


def rule_rows(engine: Engine, benchmark: str, domains: Sequence[str]) -> list[ReferenceRow]:
    """Chance and the length rules per domain (domains without stored items are left out)."""
    per_domain = {domain: rule_verdicts(engine, benchmark, [domain]) for domain in domains}
    rows = []
    for rule, label in RULES.items():
        cells = {}
        for domain, verdicts in per_domain.items():
            values = list(verdicts[rule].values())
            if values:
                interval = bootstrap_interval(values)
                cells[domain] = Estimate(interval.value, interval.low, interval.high, interval.n)
        if cells:
            rows.append(ReferenceRow(f"rule:{rule}", label, "rule", None, cells))
    return rows


def reference_rows(engine: Engine, benchmark: str, domains: Sequence[str]) -> list[ReferenceRow]:
    """The rules computed over the stored items, then the reported rows of the benchmark."""
    reported = [
        ReferenceRow(
            row.key,
            row.label,
            "reported",
            row.method,
            {d: Estimate(v) for d, v in row.domains.items() if d in domains},
            row.source,
        )
        for row in reported_rows(benchmark)
    ]
    return rule_rows(engine, benchmark, domains) + reported
