"""What every figure shares: the frame (title, note line, empty message), method colours,
reference lines, error bars, labels, the hover text of a board row, and the traces several
figures draw alike (average-accuracy points, per-model metric bars).

Model names, methods, profiles and reference labels come from submissions and are untrusted;
plotly.js renders trace names, tick labels and hover text as a subset of HTML, so every such
string passes through :func:`leaderboard.escaping.escape_text` here, before it reaches a figure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from plotly.colors import qualitative

from flip_core.catalog.benchmarks import domain_label
from flip_core.methods import METHOD_NAMES
from leaderboard.board import BoardRow, RowKind, Score
from leaderboard.catalog import is_generative, method_label, method_rank
from leaderboard.escaping import escape_text
from leaderboard.figures.plot_spec import PlotSpec

EMPTY_MESSAGE = "No runs to chart yet"
NO_DOMAIN_MESSAGE = "Select at least one domain to chart"
INTERVAL_NOTE = "error bars: 95% bootstrap intervals over items"
LIKELIHOOD_COST_NOTE = (
    "generates nothing: its cost is one teacher-forced forward pass per candidate plus one "
    "reference pass per item"
)
LIMITED_SYMBOL, SYMBOL = "x", "circle"
LIMITED_PATTERN, PATTERN = "/", ""
REFERENCE_COLOR = "#444"
_RULE_DASH = ("dash", "dot", "dashdot", "longdash")
_PALETTE = qualitative.Plotly


def method_color(method: str | None) -> str:
    """One colour per registered method, the same in every figure (unknown ones share grey)."""
    if method in METHOD_NAMES:
        return _PALETTE[METHOD_NAMES.index(method) % len(_PALETTE)]
    return "#7f7f7f"


def percent(value: float | None) -> float | None:
    return None if value is None else value * 100


def empty_figure(title: str, message: str) -> PlotSpec:
    """A blank figure that says why it is blank (never an empty, silent plot)."""
    fig = PlotSpec()
    fig.update_layout(
        title={"text": title},
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[
            {
                "text": message,
                "x": 0.5,
                "y": 0.5,
                "xref": "paper",
                "yref": "paper",
                "showarrow": False,
                "font": {"size": 16},
            }
        ],
    )
    return fig


def titled_figure(title: str, notes: Sequence[str], legend: str = "Method") -> PlotSpec:
    """A figure with its title and, under it, a note line (what was averaged, what was left out)."""
    fig = PlotSpec()
    fig.update_layout(
        title={"text": title},
        hovermode="closest",
        legend={"title": {"text": legend}},
        margin={"t": 100},
    )
    if notes:
        fig.add_annotation(
            text="; ".join(notes),
            x=0,
            y=1.02,
            xref="paper",
            yref="paper",
            xanchor="left",
            yanchor="bottom",
            showarrow=False,
            font={"size": 12, "color": "#555"},
        )
    return fig


def with_notes(message: str, notes: Sequence[str]) -> str:
    return f"{message}<br>{'; '.join(notes)}" if notes else message


def skip_notes(count: int, reason: str) -> list[str]:
    return [f"{count} model/method row(s) not shown: they {reason}"] if count else []


def empty_reason(rows: Sequence[BoardRow], domains: Sequence[str]) -> str | None:
    """Why a figure over ``rows`` has nothing to draw (no model row, no domain), or None."""
    if not any(row.kind is RowKind.MODEL for row in rows):
        return EMPTY_MESSAGE
    if not domains:
        return NO_DOMAIN_MESSAGE
    return None


def domain_note(domains: Sequence[str]) -> str:
    labels = ", ".join(escape_text(domain_label(d)) for d in domains)
    if len(domains) == 1:
        return f"domain: {labels}; {INTERVAL_NOTE}"
    return f"mean of {len(domains)} domains ({labels}); no error bars on averages"


def accuracy_axis(domains: Sequence[str]) -> str:
    return "Best-of-N accuracy (%)" if len(domains) == 1 else "Mean best-of-N accuracy (%)"


def interval_error_bars(
    points: Sequence[tuple[float, float | None, float | None] | None], scale: float = 100.0
) -> dict[str, Any] | None:
    """Asymmetric plotly error bars from ``(value, low, high)`` per point (None, or a point
    without bounds: no bar), times ``scale`` (100: fractions shown as percentage points);
    None when no point has an interval."""
    plus = [None if p is None or p[2] is None else max(0.0, (p[2] - p[0]) * scale) for p in points]
    minus = [None if p is None or p[1] is None else max(0.0, (p[0] - p[1]) * scale) for p in points]
    if all(v is None for v in plus + minus):
        return None
    return {"type": "data", "symmetric": False, "array": plus, "arrayminus": minus}


def score_error_bars(cells: Sequence[Score | None]) -> dict[str, Any] | None:
    return interval_error_bars(
        [None if c is None else (c.value, c.ci_low, c.ci_high) for c in cells]
    )


def average_error_bars(rows: Sequence[BoardRow]) -> dict[str, Any] | None:
    """A single shown domain's cell intervals; None over several (an average has none)."""
    if not rows or len(rows[0].domains) != 1:
        return None
    (domain,) = rows[0].domains
    return score_error_bars([row.cells.get(domain) for row in rows])


def row_symbol(row: BoardRow) -> str:
    return LIMITED_SYMBOL if row.limited else SYMBOL


def row_pattern(row: BoardRow) -> str:
    return LIMITED_PATTERN if row.limited else PATTERN


def distinct_labels(rows: Sequence[Any], name: Callable[[Any], str]) -> list[str]:
    """``name`` per row, with the profile, then the backend, then the prompt version added
    where names clash (rows of one model differ in exactly those)."""
    labels = [name(r) for r in rows]
    extras: tuple[Callable[[Any], str], ...] = (
        lambda r: str(r.profile),
        lambda r: str(getattr(r, "backend", None)),
        lambda r: f"prompt {(r.prompt_hash or 'none')[:8]}",
    )
    for extra in extras:
        counts = Counter(labels)
        labels = [
            f"{label} · {extra(r)}" if counts[label] > 1 else label
            for label, r in zip(labels, rows, strict=True)
        ]
    return labels


def setting(row: BoardRow) -> str:
    """What tells two rows of one model and method apart: profile, backend, prompt version."""
    return f"{row.profile} · {row.backend} · prompt {(row.prompt_hash or 'none')[:8]}"


def model_groups(rows: Sequence[BoardRow]) -> dict[BoardRow, str]:
    """Each row's x-axis group in per-model bar charts: the model, with the setting added
    where the model has several rows of one method (two profiles, backends or prompts)."""
    per_method = Counter((row.name, row.method) for row in rows)
    return {
        row: row.name if per_method[(row.name, row.method)] == 1 else f"{row.name} · {setting(row)}"
        for row in rows
    }


def score_text(cell: Score) -> str:
    """``50.0% (95% CI 40.0-60.0%), n=88, run 7 (limited)`` as far as known."""
    text = f"{cell.value * 100:.1f}%"
    if cell.ci_low is not None and cell.ci_high is not None:
        text += f" (95% CI {cell.ci_low * 100:.1f}-{cell.ci_high * 100:.1f}%)"
    if cell.n is not None:
        text += f", n={cell.n}"
    if cell.run_id is not None:
        text += f", run {cell.run_id}"
    return text + (" (limited)" if cell.limited else "")


def hover(row: BoardRow, domains: Sequence[str] | None = None, extra: Sequence[str] = ()) -> str:
    """Hover text for one row: who, the accuracy per domain with interval and n, its cost and
    run ids. Every piece of row text is escaped here; ``extra`` lines must already be safe."""
    domains = row.domains if domains is None else domains
    lines = [f"<b>{escape_text(row.name)}</b>"]
    if row.kind is RowKind.MODEL:
        lines.append(
            f"method: {escape_text(method_label(row.method))} · profile: "
            f"{escape_text(row.profile)} · backend: {escape_text(row.backend)}"
        )
        size = f"{row.parameters / 1e9:.2f}B" if row.parameters else "unknown"
        lines.append(f"parameters: {size}")
    else:
        kind = "computed from the stored items" if row.kind is RowKind.RULE else "reported"
        method = f", {escape_text(method_label(row.method))}" if row.method else ""
        lines.append(f"reference ({kind}{method})")
    if len(domains) > 1 and row.average is not None:
        lines.append(f"average accuracy: {row.average * 100:.1f}% over {len(domains)} domains")
    for domain in domains:
        cell = row.cells.get(domain)
        label = escape_text(domain_label(domain))
        lines.append(f"{label}: {score_text(cell) if cell else 'not run'}")
    lines.extend(extra)
    tokens = row.metric("generated_tokens_per_item")
    if tokens is not None:
        lines.append(f"generated tokens per item: {tokens:.1f}")
    if row.kind is RowKind.MODEL and not is_generative(row.method):
        passes = row.metric("forward_passes_per_item")
        count = f" ({passes:.1f} per item)" if passes is not None else ""
        lines.append(f"{escape_text(method_label(row.method))} {LIKELIHOOD_COST_NOTE}{count}")
    if row.source:
        lines.append(f"source: {escape_text(row.source)}")
    if row.kind is RowKind.MODEL:
        lines.append(f"run id(s): {','.join(map(str, row.run_ids)) or 'none'}")
    if row.limited:
        lines.append("<b>limited run</b> (--limit: a subset of items, not comparable)")
    return "<br>".join(lines)


def add_reference_lines(
    fig: PlotSpec, rows: Sequence[BoardRow], x_range: tuple[float, float], **axes: str
) -> None:
    """Rule rows with an Average (chance, the length rules) as dashed horizontal lines across
    ``x_range``, a trace each so that they hover; ``axes`` names other axes (``xaxis="x2"``)."""
    rules = [row for row in rows if row.kind is RowKind.RULE and row.average is not None]
    for index, row in enumerate(rules):
        fig.add_trace(
            "scatter",
            x=list(x_range),
            y=[percent(row.average)] * 2,
            mode="lines",
            name=escape_text(row.name),
            line={
                "color": REFERENCE_COLOR,
                "dash": _RULE_DASH[index % len(_RULE_DASH)],
                "width": 1,
            },
            hovertext=[hover(row)] * 2,
            hoverinfo="text",
            **axes,
        )


def add_average_points(
    fig: PlotSpec,
    method: str | None,
    series: Sequence[BoardRow],
    x: Sequence[float | None],
    name: str,
    mode: str,
    *,
    line: dict[str, Any] | None = None,
    text: Sequence[str] | None = None,
    textposition: str | None = None,
    **axes: str,
) -> None:
    """``series`` (rows of ``method``) as one trace at their Average (%) against ``x``: the
    method's colour, limited runs as crosses, the single shown domain's interval and the row
    hover. Accuracy against model size and against cost both draw their points here, so a
    point looks and hovers the same in either. ``name`` is escaped here; ``line``, ``text``
    and ``textposition`` are plotly's (None: unset); ``axes`` names other axes
    (``xaxis="x2"``)."""
    fig.add_trace(
        "scatter",
        x=list(x),
        y=[percent(r.average) for r in series],
        mode=mode,
        text=None if text is None else list(text),
        textposition=textposition,
        name=escape_text(name),
        line=line,
        marker={
            "color": method_color(method),
            "size": 10,
            "symbol": [row_symbol(r) for r in series],
        },
        error_y=average_error_bars(series),
        hovertext=[hover(r) for r in series],
        hoverinfo="text",
        **axes,
    )


def add_model_bars(
    fig: PlotSpec, series: Sequence[BoardRow], metric: str, extra: Callable[[BoardRow], list[str]]
) -> None:
    """A per-model bar chart of the cell metric ``metric`` (a fraction, drawn as %): one bar
    trace per method (method order) over the :func:`model_groups`, limited runs hatched, the
    x axis the models in alphabetical order. The per-model metric charts (parse failures,
    length-controlled accuracy) share it so that their bars group, colour and hover alike;
    ``extra`` gives a row's added hover lines (already safe)."""
    groups = model_groups(series)
    for method in sorted({r.method for r in series}, key=method_rank):
        members = [r for r in series if r.method == method]
        fig.add_trace(
            "bar",
            x=[escape_text(groups[r]) for r in members],
            y=[percent(r.metric(metric)) for r in members],
            name=escape_text(method_label(method)),
            marker={
                "color": method_color(method),
                "pattern": {"shape": [row_pattern(r) for r in members]},
            },
            hovertext=[hover(r, extra=extra(r)) for r in members],
            hoverinfo="text",
        )
    fig.update_layout(barmode="group")
    fig.update_xaxes(title={"text": "Model"}, categoryorder="category ascending")
