"""View state in the URL: parse and validate query parameters, so every view can be shared.

``?tab=inspect&benchmark=llmbar&item=llmbar:neighbor:3&runs=5,7`` opens Inspect on that item
with those runs; ``?tab=compare&runs=5,7`` opens Compare on those two runs. Anything invalid
is dropped with a friendly note, never an exception. The notes quote what the link said, so
they are untrusted text: whoever shows them escapes them (:func:`leaderboard.escaping.
inert_markdown`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from flip_core.catalog.benchmarks import BENCHMARKS
from leaderboard.tabs import TAB_IDS

_ITEM_ID = re.compile(r"^[a-z0-9_]+:[a-z0-9_]+:[A-Za-z0-9_.\-]{1,120}$")


@dataclass
class ViewState:
    tab: str = "leaderboard"
    benchmark: str | None = None
    item: str | None = None
    runs: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def parse_query(params: Mapping[str, str]) -> ViewState:
    state = ViewState()
    tab = params.get("tab")
    if tab:
        if tab in TAB_IDS:
            state.tab = tab
        else:
            state.notes.append(f"unknown tab {tab[:40]!r}; showing the leaderboard")
    benchmark = params.get("benchmark")
    if benchmark:
        if benchmark in BENCHMARKS:
            state.benchmark = benchmark
        else:
            state.notes.append(f"unknown benchmark {benchmark[:40]!r}")
    item = params.get("item")
    if item:
        if _ITEM_ID.match(item):
            state.item = item
            state.benchmark = state.benchmark or item.split(":", 1)[0]
            if "tab" not in params:
                state.tab = "inspect"
        else:
            state.notes.append("the item id in the link is not valid")
    runs = params.get("runs")
    if runs:
        parts = runs.split(",")
        if all(part.isdigit() and len(part) < 10 for part in parts):
            state.runs = [int(part) for part in parts][:4]
        else:
            state.notes.append("the run ids in the link are not valid")
    if state.benchmark not in (None, *BENCHMARKS):
        state.benchmark = None
    return state


def query_string(
    tab: str, benchmark: str | None = None, item: str | None = None, runs: list[int] | None = None
) -> str:
    """The shareable ``?tab=...`` of a view; values are URL-encoded (item ids are data)."""
    params = {"tab": tab}
    if benchmark:
        params["benchmark"] = benchmark
    if item:
        params["item"] = item
    if runs:
        params["runs"] = ",".join(map(str, runs))
    return "?" + urlencode(params, safe=":,", quote_via=quote)
