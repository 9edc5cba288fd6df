"""Accuracy figures of the Charts tab: does FLIP's lead over the judges hold across model sizes,
in which domains, and by how much per model.

All three read :class:`~leaderboard.board.BoardRow` objects (the table's rows), so an average,
an interval or a gain is the one the table shows; the FLIP gain is :mod:`leaderboard.gains`'.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from flip_core.catalog.benchmarks import domain_label
from leaderboard.board import BoardRow, RowKind, featured_model
from leaderboard.catalog import is_flip_family, method_label, method_rank
from leaderboard.escaping import escape_text
from leaderboard.figures.plot_spec import PlotSpec
from leaderboard.figures.style import (
    EMPTY_MESSAGE,
    INTERVAL_NOTE,
    REFERENCE_COLOR,
    accuracy_axis,
    add_average_points,
    add_reference_lines,
    distinct_labels,
    domain_note,
    empty_figure,
    empty_reason,
    hover,
    method_color,
    model_groups,
    percent,
    row_pattern,
    score_error_bars,
    setting,
    skip_notes,
    titled_figure,
    with_notes,
)

_GAIN_COLORS = {1: "#2ca02c", 0: "#7f7f7f", -1: "#d62728"}
_RULE_SYMBOLS = ("line-ew", "triangle-up", "triangle-down", "diamond")


def _models(rows: Sequence[BoardRow]) -> list[BoardRow]:
    return [row for row in rows if row.kind is RowKind.MODEL]


def accuracy_by_size_figure(rows: Sequence[BoardRow]) -> PlotSpec:
    """Average accuracy against parameters (log axis), a line per method through its models.

    A row counts only with every shown domain; models of unknown size are left out and counted
    in a note. Chance and the length rules are dashed reference lines.
    """
    title = "Best-of-N accuracy against model size"
    domains = rows[0].domains if rows else ()
    empty = empty_reason(rows, domains)
    if empty:
        return empty_figure(title, empty)
    models = _models(rows)
    complete = [r for r in models if r.average is not None]
    notes = skip_notes(len(models) - len(complete), "lack a shown domain")
    points = [r for r in complete if r.parameters]
    unsized = {r.name for r in complete if not r.parameters}
    if unsized:
        notes.append(f"{len(unsized)} model(s) of unknown size not shown")
    if not points:
        return empty_figure(title, with_notes(EMPTY_MESSAGE, notes))
    fig = titled_figure(title, [*notes, domain_note(domains)])
    for method in sorted({r.method for r in points}, key=method_rank):
        for series in _by_setting([r for r in points if r.method == method]):
            series.sort(key=lambda r: (r.parameters or 0, r.name))
            add_average_points(
                fig,
                method,
                series,
                [(r.parameters or 0) / 1e9 for r in series],
                _setting_label(series[0], points),
                mode="lines+markers",
                line={"color": method_color(method), "width": 1},
            )
    sizes = [(r.parameters or 0) / 1e9 for r in points]
    add_reference_lines(fig, rows, (min(sizes) / 1.5, max(sizes) * 1.5))
    fig.update_xaxes(type="log", title={"text": "Model size (billions of parameters, log scale)"})
    fig.update_yaxes(title={"text": accuracy_axis(domains)}, rangemode="tozero")
    return fig


def _by_setting(rows: list[BoardRow]) -> list[list[BoardRow]]:
    """One method's rows split by profile, backend and prompt: a line joins comparable runs."""
    groups: dict[tuple[str | None, ...], list[BoardRow]] = {}
    for row in rows:
        groups.setdefault((row.profile, row.backend, row.prompt_hash), []).append(row)
    return list(groups.values())


def _setting_label(row: BoardRow, rows: Sequence[BoardRow]) -> str:
    """The method's label, with the setting added where the method has several."""
    settings = {(r.profile, r.backend, r.prompt_hash) for r in rows if r.method == row.method}
    label = method_label(row.method)
    if len(settings) == 1:
        return label
    return f"{label} · {setting(row)}"


def domain_bars_figure(rows: Sequence[BoardRow], model: str | None = None) -> PlotSpec:
    """Accuracy per shown domain for one model, a bar per method (FLIP beside the judges),
    with chance and the length rules as markers per domain.

    ``model`` defaults to :func:`leaderboard.board.featured_model`.
    """
    title = "Accuracy per domain, FLIP against the judges"
    domains = rows[0].domains if rows else ()
    empty = empty_reason(rows, domains)
    if empty:
        return empty_figure(title, empty)
    model = model or featured_model(rows)
    series = [r for r in _models(rows) if r.name == model and r.cells]
    if model is None:
        return empty_figure(title, with_notes(EMPTY_MESSAGE, ["no run has a shown domain"]))
    if not series:
        return empty_figure(title, f"No runs for {escape_text(model)} on the shown domains")
    series.sort(key=lambda r: (method_rank(r.method), r.profile or "", r.prompt_hash or ""))
    fig = titled_figure(
        f"Accuracy per domain: {escape_text(model)}", [f"one bar per method; {INTERVAL_NOTE}"]
    )
    categories = [escape_text(domain_label(d)) for d in domains]
    for row, name in zip(series, distinct_labels(series, lambda r: r.method_label), strict=True):
        cells = [row.cells.get(d) for d in domains]
        fig.add_trace(
            "bar",
            x=categories,
            y=[percent(cell.value) if cell else None for cell in cells],
            name=escape_text(name),
            marker={"color": method_color(row.method),
                    "pattern": {"shape": ["/" if c and c.limited else "" for c in cells]}},
            error_y=score_error_bars(cells),
            hovertext=[hover(row, [d]) if c else "" for d, c in zip(domains, cells, strict=True)],
            hoverinfo="text",
        )  # fmt: skip
    rules = [r for r in rows if r.kind is RowKind.RULE]
    for index, row in enumerate(rules):
        cells = [row.cells.get(d) for d in domains]
        fig.add_trace(
            "scatter",
            x=categories,
            y=[percent(cell.value) if cell else None for cell in cells],
            mode="markers",
            name=escape_text(row.name),
            marker={"symbol": _RULE_SYMBOLS[index % len(_RULE_SYMBOLS)], "size": 14,
                    "color": REFERENCE_COLOR, "line": {"width": 2, "color": REFERENCE_COLOR}},
            hovertext=[hover(row, [d]) if c else "" for d, c in zip(domains, cells, strict=True)],
            hoverinfo="text",
        )  # fmt: skip
    fig.update_layout(barmode="group")
    fig.update_xaxes(title={"text": "Domain"})
    fig.update_yaxes(title={"text": "Best-of-N accuracy (%)"}, rangemode="tozero")
    return fig


def flip_gain_figure(rows: Sequence[BoardRow]) -> PlotSpec:
    """Each FLIP-family method's relative gain over the best judge of the same model, profile
    and backend: bars grouped by model, one trace per FLIP-family method.

    Hover names the judge, its runs and the paired McNemar p-value on the shared items.
    """
    title = "FLIP's relative gain over the best judge of the same model"
    domains = rows[0].domains if rows else ()
    empty = empty_reason(rows, domains)
    if empty:
        return empty_figure(title, empty)
    flips = [r for r in _models(rows) if is_flip_family(r.method) and r.average is not None]
    shown = [r for r in flips if r.gain and r.gain.relative is not None]
    notes = skip_notes(len(flips) - len(shown), "have no nonzero judge average on these domains")
    if not shown:
        return empty_figure(
            title, with_notes(EMPTY_MESSAGE, [*notes, "no model has FLIP and a judge to compare"])
        )
    groups = model_groups(shown)
    best: dict[str, float] = {}
    for row in shown:
        best[groups[row]] = max(best.get(groups[row], -math.inf), row.gain.relative or 0.0)  # type: ignore[union-attr]
    order = sorted(best, key=lambda group: (-best[group], group))
    fig = titled_figure(
        title, [*notes, f"relative to the best judge's average; {domain_note(domains)}"]
    )
    for method in sorted({r.method for r in shown}, key=method_rank):
        series = sorted(
            (r for r in shown if r.method == method), key=lambda r: order.index(groups[r])
        )
        gains = [r.gain.relative for r in series if r.gain]
        fig.add_trace(
            "bar",
            x=[escape_text(groups[r]) for r in series],
            y=gains,
            name=escape_text(method_label(method)),
            marker={"color": [_GAIN_COLORS[_sign(g or 0.0)] for g in gains],
                    "line": {"color": method_color(method), "width": 2},
                    "pattern": {"shape": [row_pattern(r) for r in series]}},
            hovertext=[hover(r, extra=_judge_lines(r)) for r in series],
            hoverinfo="text",
        )  # fmt: skip
    fig.add_hline(0, color=REFERENCE_COLOR, width=1)
    fig.update_layout(barmode="group")
    fig.update_xaxes(title={"text": "Model (sorted by gain)"})
    fig.update_yaxes(title={"text": "Gain over the best judge (% relative)"})
    return fig


def _judge_lines(row: BoardRow) -> list[str]:
    """Hover lines naming the best judge (method, average, runs) and the paired test."""
    gain = row.gain
    if gain is None or gain.relative is None:
        return []
    lines = [
        f"gain: {gain.relative:+.1f}% relative to the best judge",
        f"best judge: {escape_text(method_label(gain.judge.method))}, "
        f"average {gain.judge_average * 100:.1f}%",
        f"best judge run id(s): {','.join(map(str, gain.judge.run_ids))}",
    ]
    if gain.p_value is not None and gain.counts is not None:
        lines.append(
            f"paired on {gain.counts.n} items: only this method right {gain.counts.a_only}, "
            f"only the judge right {gain.counts.b_only}, exact McNemar p = {gain.p_value:.3g}"
        )
    return lines


def _sign(value: float) -> int:
    return (value > 0) - (value < 0)
