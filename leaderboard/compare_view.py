"""The Compare page: two runs on the same items, as HTML.

A headline (each run's accuracy, the difference with its paired 95% interval, the exact McNemar
p-value, how often the runs agree), then the items that changed: those run B got right and run A
wrong, and the reverse. Every item links to Inspect with both runs, so the reason for a flip is
one click away. Model names and item ids are untrusted (they come from submissions and
datasets): every piece of text goes through :func:`leaderboard.escaping.escape_text`.
"""

from __future__ import annotations

from flip_store.read.comparisons import RunComparison, RunLabel
from leaderboard.catalog import method_label
from leaderboard.deep_links import query_string
from leaderboard.escaping import escape_text

MAX_LISTED_ITEMS = 200
"""Items shown per list; the rest are counted (Inspect's filters reach every one of them)."""

STYLE = """
<style>
.flip-compare { font-family: system-ui, sans-serif; }
.flip-compare table { border-collapse: collapse; margin: 6px 0; }
.flip-compare td, .flip-compare th { border: 1px solid #d0d5e0; padding: 4px 10px;
                                     text-align: left; }
.flip-compare .flip-headline { background: #f4f6fb; border-left: 4px solid #4a6cf7;
                               padding: 8px 12px; margin: 8px 0; }
.flip-compare .flip-note { color: #6b5300; background: #fff8e1; padding: 4px 8px; margin: 4px 0; }
.flip-compare ul.flip-items { columns: 3 18em; margin: 4px 0; }
.flip-compare .flip-more { color: #555; font-style: italic; }
</style>
"""


def render_comparison(comparison: RunComparison | None, benchmark: str) -> str:
    """The comparison of run B against run A as HTML (a friendly message when there is none)."""
    if comparison is None:
        return _message(
            "Nothing to compare: one or both runs are not in the store. Pick two runs of the same "
            "benchmark domain."
        )
    a, b = comparison.run_a, comparison.run_b
    parts = [STYLE, "<div class='flip-compare'>", _runs_table(comparison)]
    parts.extend(f"<div class='flip-note'>{escape_text(note)}</div>" for note in comparison.notes)
    difference = comparison.difference
    if comparison.n == 0 or difference is None:
        parts.append(
            "<div class='flip-headline'>These runs have no items in common, so there is nothing "
            "to compare item by item. Pick two runs of the same benchmark domain.</div></div>"
        )
        return "".join(parts)
    level = round(difference.confidence * 100)
    parts.append(
        "<div class='flip-headline'>"
        f"Accuracy A {_percent(difference.acc_a)}, B {_percent(difference.acc_b)}: "
        f"<b>B - A {_points(difference.difference)} points</b> "
        f"({level}% interval {_points(difference.ci_low)} to {_points(difference.ci_high)}, "
        "paired bootstrap over items)<br>"
        f"McNemar exact p = {escape_text(_p_value(difference.p_value))} "
        f"({difference.b_only} items only B got right, {difference.a_only} only A)<br>"
        f"Agreement {_percent(comparison.agreement)} on {comparison.n} shared items "
        f"({comparison.both_right} both right, {comparison.both_wrong} both wrong)"
        "</div>"
    )
    parts.append(
        _item_list(
            f"Improved: right in B ({_short(b)}), wrong in A ({_short(a)})",
            comparison.improved,
            benchmark,
            comparison,
        )
    )
    parts.append(
        _item_list(
            f"Regressed: right in A ({_short(a)}), wrong in B ({_short(b)})",
            comparison.regressed,
            benchmark,
            comparison,
        )
    )
    parts.append("</div>")
    return "".join(parts)


def _message(text: str) -> str:
    return (
        f"{STYLE}<div class='flip-compare'><div class='flip-note'>{escape_text(text)}</div></div>"
    )


def _short(label: RunLabel) -> str:
    return f"run {label.run_id}"


def _runs_table(comparison: RunComparison) -> str:
    difference = comparison.difference
    accuracies = (difference.acc_a, difference.acc_b) if difference is not None else (None, None)
    rows = []
    for side, label, accuracy in zip(
        ("A", "B"), (comparison.run_a, comparison.run_b), accuracies, strict=True
    ):
        cells = (
            side,
            label.model,
            method_label(label.method),
            label.task,
            str(label.run_id),
            _percent(accuracy),
        )
        rows.append("<tr>" + "".join(f"<td>{escape_text(cell)}</td>" for cell in cells) + "</tr>")
    head = "".join(
        f"<th>{name}</th>"
        for name in ("", "Model", "Method", "Task", "Run", "Accuracy (shared items)")
    )
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _item_list(title: str, item_ids: list[str], benchmark: str, comparison: RunComparison) -> str:
    runs = [comparison.run_a.run_id, comparison.run_b.run_id]
    entries = [
        f"<li><a href='{escape_text(_inspect_link(benchmark, item_id, runs))}'>"
        f"{escape_text(item_id)}</a></li>"
        for item_id in item_ids[:MAX_LISTED_ITEMS]
    ]
    rest = len(item_ids) - MAX_LISTED_ITEMS
    more = f"<div class='flip-more'>… and {rest} more (not listed)</div>" if rest > 0 else ""
    body = f"<ul class='flip-items'>{''.join(entries)}</ul>{more}" if entries else "<p>none</p>"
    return (
        f"<details open><summary><b>{escape_text(title)}</b> ({len(item_ids)})</summary>"
        f"{body}</details>"
    )


def _inspect_link(benchmark: str, item_id: str, runs: list[int]) -> str:
    """Inspect on the item with both runs (``query_string`` percent-encodes the ids)."""
    return query_string("inspect", benchmark, item_id, runs)


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def _points(value: float) -> str:
    points = value * 100
    return f"{points:+.1f}" if round(points, 1) != 0 else "0.0"


def _p_value(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3g}"
