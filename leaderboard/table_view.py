"""The leaderboard table: store rows -> a filtered pandas frame, one column list driving all.

One list of :class:`Column` decides the table's columns, their types and the CSV export, so
adding a column is a one-line change. Reference rows (chance and length baselines from the
store, the paper's reported averages) sit beside the models, marked in the ``Kind`` column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from flip_store.read.leaderboard import LeaderboardRow
from leaderboard.gains import FlipGain, RowKey, domain_average
from leaderboard.paper_reference import PAPER_LABEL, PAPER_RB2

DOMAIN_LABELS = {
    "focus": "Focus",
    "factuality": "Factuality",
    "precise_if": "Precise IF",
    "math": "Math",
    "neighbor": "Neighbor",
    "gptinst": "GPTInst",
    "gptout": "GPTOut",
    "manual": "Manual",
    "natural": "Natural",
    "all": "All",
}
SIZE_BUCKETS = ("< 1B", "1-3B", "3-8B", "> 8B", "unknown")


@dataclass(frozen=True)
class Column:
    label: str
    datatype: str  # "str" or "number", as gr.Dataframe understands it


BASE_COLUMNS = (
    Column("Model", "str"),
    Column("Kind", "str"),
    Column("Family", "str"),
    Column("Params B", "number"),
    Column("Method", "str"),
    Column("Profile", "str"),
)
TAIL_COLUMNS = (
    Column("Average", "number"),
    Column("FLIP gain (%)", "number"),
    Column("Gain p (McNemar)", "number"),
    Column("Parse fail (%)", "number"),
    Column("Tokens / item", "number"),
    Column("Runs", "str"),
)


def columns_for(domains: Sequence[str]) -> list[Column]:
    domain_columns = [Column(DOMAIN_LABELS.get(d, d), "number") for d in domains]
    return [*BASE_COLUMNS, *domain_columns, *TAIL_COLUMNS]


@dataclass
class TableFilters:
    """What the user narrowed the table to; empty selections mean "all"."""

    domains: list[str] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    families: list[str] = field(default_factory=list)
    sizes: list[str] = field(default_factory=list)
    search: str = ""
    show_baselines: bool = True
    show_paper: bool = True
    sampling: str = "none"
    """Which runs: the clean tasks (``none``, greedy) or the sampled ``s5`` variants."""


def shown_domains(all_domains: Sequence[str], filters: TableFilters) -> list[str]:
    """The benchmark's domains the filters keep (none chosen means all)."""
    return [d for d in all_domains if not filters.domains or d in filters.domains]


def size_bucket(parameters: int | None) -> str:
    if not parameters:
        return "unknown"
    billions = parameters / 1e9
    if billions < 1:
        return "< 1B"
    if billions < 3:
        return "1-3B"
    if billions <= 8:
        return "3-8B"
    return "> 8B"


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def leaderboard_frame(
    rows: Sequence[LeaderboardRow],
    benchmark: str,
    all_domains: Sequence[str],
    filters: TableFilters,
    gains: Mapping[RowKey, FlipGain] | None = None,
) -> pd.DataFrame:
    """The table shown for ``benchmark``: one row per (model, method), filtered.

    ``gains`` (from :func:`leaderboard.gains.flip_gains` over the shown domains) fills the
    FLIP-gain columns of FLIP rows.
    """
    domains = shown_domains(all_domains, filters)
    gains = gains or {}
    records = []
    for row in rows:
        kind = "baseline" if row.is_baseline else "model"
        if not _keep(row.model, kind, row.family, row.parameters, row.method, filters):
            continue
        values = [row.domains[d].value if d in row.domains else None for d in domains]
        average = domain_average(row, domains)
        gain = gains.get(row.key)
        relative = gain.relative if gain else None
        p_value = gain.p_value if gain else None
        limited = any(cell.limited for cell in row.domains.values())
        records.append(
            [
                row.model,
                kind,
                row.family or "",
                round(row.parameters / 1e9, 2) if row.parameters else None,
                row.method,
                row.profile,
                *[_percent(v) for v in values],
                _percent(average),
                None if relative is None else round(relative, 1),
                None if p_value is None else float(f"{p_value:.2g}"),  # tiny p stays visible
                _percent(row.parse_fail_rate),
                round(row.tokens_per_item, 1) if row.tokens_per_item is not None else None,
                ",".join(str(row.domains[d].run_id) for d in domains if d in row.domains)
                + (" (limited)" if limited else ""),
            ]
        )
    if benchmark == "rb2" and filters.show_paper:
        for method, numbers in PAPER_RB2.items():
            if not _keep(PAPER_LABEL, "paper", "", None, method, filters):
                continue
            values = [numbers.get(d) for d in domains]
            average = numbers["average"] if len(domains) == 4 else None
            records.append(
                [
                    PAPER_LABEL,
                    "paper",
                    "",
                    None,
                    method,
                    "paper",
                    *values,
                    average,
                    None,
                    None,
                    None,
                    None,
                    "",
                ]
            )
    labels = [column.label for column in columns_for(domains)]
    return pd.DataFrame.from_records(records, columns=labels)


def _keep(
    model: str,
    kind: str,
    family: str | None,
    parameters: int | None,
    method: str,
    filters: TableFilters,
) -> bool:
    if kind == "baseline":
        return filters.show_baselines and (
            not filters.search or filters.search.lower() in model.lower()
        )
    if kind == "paper":
        return not filters.methods or method in filters.methods
    if filters.methods and method not in filters.methods:
        return False
    if filters.families and (family or "") not in filters.families:
        return False
    if filters.sizes and size_bucket(parameters) not in filters.sizes:
        return False
    return not filters.search or filters.search.lower() in model.lower()


_FORMULA_PREFIXES = ("=", "+", "-", "@")


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot run as spreadsheet formulas (prefixed with a quote)."""
    safe = frame.copy()
    for column in safe.columns:
        if pd.api.types.is_object_dtype(safe[column]) or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(
                lambda v: f"'{v}" if isinstance(v, str) and v.startswith(_FORMULA_PREFIXES) else v
            )
    return safe
