"""The Charts tab: plotly figures drawn from the same leaderboard rows as the table.

The table answers "which number"; these figures answer the questions the paper asks of those
numbers: does FLIP's lead over the judges hold across model sizes, in which domains, at what
generation cost, and how often a method's output could not be read at all. Every figure is
built from :func:`flip_store.read.leaderboard.leaderboard`'s rows, so a chart never disagrees with the
table beside it, and the FLIP gain uses the table's own best-judge rule.

Model names, methods and profiles come from submitted runs and are untrusted. plotly.js
renders trace names, tick labels and hover text as a subset of HTML, so every such string
passes through :func:`leaderboard.escaping.escape_text` before it reaches a figure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence

from plotly.colors import qualitative

from flip_core.methods import METHOD_NAMES
from flip_store.read.leaderboard import Cell, LeaderboardRow
from leaderboard.escaping import escape_text
from leaderboard.gains import FlipGain, RowKey, flip_gains
from leaderboard.gains import domain_average as _average
from leaderboard.plot_spec import PlotSpec
from leaderboard.table_view import DOMAIN_LABELS

CHART_IDS = ("accuracy_vs_size", "domain_bars", "flip_gain", "parse_failures", "cost_vs_accuracy")
EMPTY_MESSAGE = "No runs to chart yet"
NO_DOMAIN_MESSAGE = "Select at least one domain to chart"
BASELINE_LABELS = {
    "baseline_random": "chance",
    "baseline_longest": "always longest",
    "baseline_shortest": "always shortest",
}
INTERVAL_NOTE = "error bars: 95% bootstrap intervals over items"
LIKELIHOOD_COST_NOTE = (
    "FLIP-likelihood generates nothing: its cost is one teacher-forced forward pass per "
    "candidate plus one reference pass per item (forward_passes_per_item in the store)"
)

_SYMBOL, _LIMITED_SYMBOL = "circle", "x"
_PATTERN, _LIMITED_PATTERN = "", "/"
_GAIN_COLORS = {1: "#2ca02c", 0: "#7f7f7f", -1: "#d62728"}
_BASELINE_DASH = {
    "baseline_random": "dash",
    "baseline_longest": "dot",
    "baseline_shortest": "dashdot",
}


def chart_figures(
    rows: Sequence[LeaderboardRow],
    domains: Sequence[str],
    model: str | None = None,
    gains: Mapping[RowKey, FlipGain] | None = None,
) -> dict[str, PlotSpec]:
    """Every Charts-tab figure for ``rows`` over ``domains``, keyed by :data:`CHART_IDS`.

    ``gains`` (from :func:`leaderboard.gains.flip_gains`, with the paired test) is computed
    without the test when not given.
    """
    return {
        "accuracy_vs_size": accuracy_by_size_figure(rows, domains),
        "domain_bars": domain_bars_figure(rows, domains, model),
        "flip_gain": flip_gain_figure(rows, domains, gains),
        "parse_failures": parse_failure_figure(rows),
        "cost_vs_accuracy": cost_accuracy_figure(rows, domains),
    }


def accuracy_by_size_figure(rows: Sequence[LeaderboardRow], domains: Sequence[str]) -> PlotSpec:
    """Domain-average accuracy against parameters (log axis), one trace per method.

    A row counts only with every selected domain; models of unknown size are left out and
    counted in a note. Baselines are dashed horizontal reference lines.
    """
    title = "Best-of-N accuracy against model size"
    empty = _empty_reason(rows, domains)
    if empty:
        return empty_figure(title, empty)
    complete, notes = _complete_rows(rows, domains)
    unsized = {r.model for r in complete if not _known_size(r)}
    points = [r for r in complete if _known_size(r)]
    if unsized:
        notes.append(f"{len(unsized)} model(s) of unknown size not shown")
    if not points:
        return empty_figure(title, _with_notes(EMPTY_MESSAGE, notes))
    fig = titled_figure(title, [*notes, _domain_note(domains)])
    _add_method_scatters(fig, rows, points, domains, _billions)
    sizes = [_billions(r) for r in points]
    _add_reference_lines(fig, rows, domains, (min(sizes) / 1.5, max(sizes) * 1.5))
    fig.update_xaxes(type="log", title={"text": "Model size (billions of parameters, log scale)"})
    fig.update_yaxes(title={"text": _accuracy_axis(domains)}, rangemode="tozero")
    return fig


def domain_bars_figure(
    rows: Sequence[LeaderboardRow], domains: Sequence[str], model: str | None = None
) -> PlotSpec:
    """Accuracy per domain for one model, a bar per method (FLIP beside the judges).

    ``model`` defaults to the model run with the most methods on the selected domains.
    """
    title = "Accuracy per domain, FLIP against the judges"
    empty = _empty_reason(rows, domains)
    if empty:
        return empty_figure(title, empty)
    candidates = [r for r in rows if not r.is_baseline and any(d in r.domains for d in domains)]
    model = model or featured_model(rows, domains)
    if model is None:
        return empty_figure(title, _with_notes(EMPTY_MESSAGE, ["no run has a selected domain"]))
    if not any(r.model == model for r in candidates):
        return empty_figure(title, f"No runs for {escape_text(model)} on the selected domains")
    title = f"Accuracy per domain: {escape_text(model)}"
    series = sorted(
        (r for r in candidates if r.model == model),
        key=lambda r: (_method_rank(r.method), r.profile, r.prompt_hash or ""),
    )
    fig = titled_figure(title, [f"one bar per method; {INTERVAL_NOTE}"])
    colors = _method_colors(rows)
    categories = [escape_text(DOMAIN_LABELS.get(d, d)) for d in domains]
    for row, name in zip(series, distinct_labels(series, lambda r: r.method), strict=True):
        cells = [row.domains.get(d) for d in domains]
        fig.add_trace(
            "bar",
            x=categories,
            y=[_percent(cell.value) if cell else None for cell in cells],
            name=escape_text(name),
            marker={
                "color": colors[row.method],
                "pattern": {"shape": [_bar_pattern(cell) for cell in cells]},
            },
            error_y=_cell_error_bars(cells),
            hovertext=[
                _hover(row, [d]) if cell else "" for d, cell in zip(domains, cells, strict=True)
            ],
            hoverinfo="text",
        )
    for row in rows:
        if row.is_baseline and row.method == "baseline_random":
            cells = [row.domains.get(d) for d in domains]
            fig.add_trace(
                "scatter",
                x=categories,
                y=[_percent(cell.value) if cell else None for cell in cells],
                mode="markers",
                name="chance",
                marker={"symbol": "line-ew", "size": 60, "line": {"width": 2, "color": "#444"}},
                hovertext=[
                    _hover(row, [d]) if cell else "" for d, cell in zip(domains, cells, strict=True)
                ],
                hoverinfo="text",
            )
    fig.update_layout(barmode="group")
    fig.update_xaxes(title={"text": "Domain"})
    fig.update_yaxes(title={"text": "Best-of-N accuracy (%)"}, rangemode="tozero")
    return fig


def featured_model(rows: Sequence[LeaderboardRow], domains: Sequence[str]) -> str | None:
    """The model the one-model figures show by default: the one run with the most methods on
    the selected domains (the first such row on ties); None when no model row has one."""
    methods: dict[str, set[str]] = {}
    for row in rows:
        if not row.is_baseline and any(d in row.domains for d in domains):
            methods.setdefault(row.model, set()).add(row.method)
    return max(methods, key=lambda name: len(methods[name])) if methods else None


def flip_gain_figure(
    rows: Sequence[LeaderboardRow],
    domains: Sequence[str],
    gains: Mapping[RowKey, FlipGain] | None = None,
) -> PlotSpec:
    """FLIP's relative gain over the best judge of the same model and profile, a bar per model.

    The best-judge rule is :mod:`leaderboard.gains`' (the table's); hover names the judge, its
    runs and, when ``gains`` carries the store's counts, the paired McNemar p-value.
    """
    title = "FLIP's relative gain over the best judge of the same model"
    empty = _empty_reason(rows, domains)
    if empty:
        return empty_figure(title, empty)
    if gains is None:
        gains = flip_gains(rows, domains)
    flips = [
        row
        for row in rows
        if not row.is_baseline and row.method == "flip" and _average(row, domains) is not None
    ]
    gains_shown = [
        (gain.relative, gain.flip, gain)
        for gain in gains.values()
        if gain.relative is not None  # no judge, or a judge at 0% (no relative gain defined)
    ]
    notes = _skip_notes(
        len(flips) - len(gains_shown), "have no nonzero judge average on these domains"
    )
    if not gains_shown:
        return empty_figure(
            title, _with_notes(EMPTY_MESSAGE, [*notes, "no model has FLIP and a judge to compare"])
        )
    gains_shown.sort(key=lambda g: (-g[0], g[1].model))
    series = [row for _, row, _ in gains_shown]
    labels = distinct_labels(series, lambda r: r.model)
    fig = titled_figure(
        title, [*notes, f"relative to the best judge's average; {_domain_note(domains)}"]
    )
    fig.add_trace(
        "bar",
        x=[escape_text(label) for label in labels],
        y=[relative for relative, _, _ in gains_shown],
        marker={
            "color": [_GAIN_COLORS[_sign(relative)] for relative, _, _ in gains_shown],
            "pattern": {"shape": [_row_pattern(row, domains) for row in series]},
        },
        name="FLIP gain",
        showlegend=False,
        hovertext=[
            _hover(row, domains, _judge_lines(gain, domains)) for _, row, gain in gains_shown
        ],
        hoverinfo="text",
    )
    fig.add_hline(0, color="#444", width=1)
    fig.update_xaxes(title={"text": "Model (sorted by gain)"})
    fig.update_yaxes(title={"text": "FLIP gain over the best judge (% relative)"})
    return fig


def parse_failure_figure(rows: Sequence[LeaderboardRow]) -> PlotSpec:
    """Share of model calls whose output could not be parsed, grouped by model, a bar per method.

    The store reports this rate per row (mean over the row's domain runs), so it does not follow
    the domain selection.
    """
    title = "Unparseable model outputs per model and method"
    models = [r for r in rows if not r.is_baseline]
    if not models:
        return empty_figure(title, EMPTY_MESSAGE)
    series = [r for r in models if r.parse_fail_rate is not None]
    notes = _skip_notes(len(models) - len(series), "have no parse-failure rate")
    if not series:
        return empty_figure(title, _with_notes(EMPTY_MESSAGE, notes))
    profiles: dict[str, set[str]] = {}
    for row in series:
        profiles.setdefault(row.model, set()).add(row.profile)

    def group(row: LeaderboardRow) -> str:
        several = len(profiles[row.model]) > 1
        return f"{row.model} · {row.profile}" if several else row.model

    # Two prompt versions of one method on one model would share a bar slot: name them apart.
    slots = Counter((group(r), r.method) for r in series)
    clashing = {method for (_, method), count in slots.items() if count > 1}
    fig = titled_figure(title, [*notes, "mean over each row's domain runs (all domains)"])
    colors = _method_colors(rows)
    traces: dict[str, list[LeaderboardRow]] = {}
    for row in sorted(series, key=lambda r: (_method_rank(r.method), r.prompt_hash or "")):
        name = row.method
        if row.method in clashing:
            name = f"{row.method} · prompt {(row.prompt_hash or 'none')[:8]}"
        traces.setdefault(name, []).append(row)
    for name, members in traces.items():
        fig.add_trace(
            "bar",
            x=[escape_text(group(r)) for r in members],
            y=[_percent(r.parse_fail_rate) for r in members],
            name=escape_text(name),
            marker={
                "color": colors[members[0].method],
                "pattern": {"shape": [_row_pattern(r, list(r.domains)) for r in members]},
            },
            hovertext=[
                _hover(
                    r,
                    list(r.domains),
                    [f"parse failures: {_percent(r.parse_fail_rate):.1f}% of calls"],
                )
                for r in members
            ],
            hoverinfo="text",
        )
    fig.update_layout(barmode="group")
    fig.update_xaxes(title={"text": "Model"}, categoryorder="category ascending")
    fig.update_yaxes(title={"text": "Calls with no parseable output (%)"}, rangemode="tozero")
    return fig


def cost_accuracy_figure(rows: Sequence[LeaderboardRow], domains: Sequence[str]) -> PlotSpec:
    """Domain-average accuracy against generated tokens per item, one trace per method."""
    title = "Accuracy against generation cost"
    empty = _empty_reason(rows, domains)
    if empty:
        return empty_figure(title, empty)
    complete, notes = _complete_rows(rows, domains)
    points = [r for r in complete if r.tokens_per_item is not None]
    notes += _skip_notes(len(complete) - len(points), "have no token count")
    if not points:
        return empty_figure(title, _with_notes(EMPTY_MESSAGE, notes))
    fig = titled_figure(title, [*notes, _domain_note(domains)])
    _add_method_scatters(fig, rows, points, domains, _cost)
    costs = [_cost(r) for r in points]
    _add_reference_lines(fig, rows, domains, (min(costs), max(costs)))
    fig.update_xaxes(
        title={"text": "Generated tokens per item (mean over the row's runs)"}, rangemode="tozero"
    )
    fig.update_yaxes(title={"text": _accuracy_axis(domains)}, rangemode="tozero")
    return fig


# ---- shared pieces -------------------------------------------------------------------------


def _empty_reason(rows: Sequence[LeaderboardRow], domains: Sequence[str]) -> str | None:
    if not any(not r.is_baseline for r in rows):
        return EMPTY_MESSAGE
    if not domains:
        return NO_DOMAIN_MESSAGE
    return None


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


def titled_figure(title: str, notes: Sequence[str]) -> PlotSpec:
    """A figure with its title and, under it, a note line (what was averaged, what was left out)."""
    fig = PlotSpec()
    fig.update_layout(
        title={"text": title},
        hovermode="closest",
        legend={"title": {"text": "Method"}},
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


def _add_scatter(
    fig: PlotSpec,
    series: Sequence[LeaderboardRow],
    domains: Sequence[str],
    x: Sequence[float],
    method: str,
    color: str,
) -> None:
    """One method's points: domain-average accuracy (%), limited runs with their own symbol."""
    fig.add_trace(
        "scatter",
        x=list(x),
        y=[_percent(_average(r, domains)) for r in series],
        mode="markers",
        name=escape_text(method),
        marker={
            "color": color,
            "size": 10,
            "symbol": [_LIMITED_SYMBOL if _is_limited(r, domains) else _SYMBOL for r in series],
        },
        error_y=_cell_error_bars([r.domains[domains[0]] for r in series])
        if len(domains) == 1
        else None,
        hovertext=[_hover(r, domains) for r in series],
        hoverinfo="text",
    )


def _add_reference_lines(
    fig: PlotSpec,
    rows: Sequence[LeaderboardRow],
    domains: Sequence[str],
    x_range: tuple[float, float],
) -> None:
    """Baseline rows as dashed horizontal lines across ``x_range`` (a trace each, so they hover)."""
    for row in rows:
        average = _average(row, domains)
        if not row.is_baseline or average is None:
            continue
        label = BASELINE_LABELS.get(row.method) or escape_text(row.model)
        fig.add_trace(
            "scatter",
            x=list(x_range),
            y=[_percent(average)] * 2,
            mode="lines",
            name=label,
            line={"color": "#444", "dash": _BASELINE_DASH.get(row.method, "dash"), "width": 1},
            hovertext=[_hover(row, domains)] * 2,
            hoverinfo="text",
        )


def _hover(row: LeaderboardRow, domains: Sequence[str], extra: Sequence[str] = ()) -> str:
    """Hover text for one row: who, accuracy per domain with interval and n, run ids, limits.

    Every piece of row text is escaped here; ``extra`` lines must already be safe.
    """
    head, tail = _hover_parts(row, tuple(domains))
    return "<br>".join([head, *extra, tail])


_HOVER_PARTS: dict[tuple[int, tuple[str, ...]], tuple[LeaderboardRow, tuple[str, str]]] = {}
_HOVER_PARTS_LIMIT = 20_000


def _hover_parts(row: LeaderboardRow, domains: tuple[str, ...]) -> tuple[str, str]:
    """A row's hover text before and after the figure's own lines, memoised per row object.

    Most figures hover the same rows (about 3 texts per row at every cold Charts view, a third
    of its time at 500 rows). Rows are kept in the memo beside their text, so an id is never
    reused by another row while its entry lives; the memo is cleared when it grows too big.
    """
    key = (id(row), domains)
    cached = _HOVER_PARTS.get(key)
    if cached is not None and cached[0] is row:
        return cached[1]
    lines = [
        f"<b>{escape_text(row.model)}</b>",
        f"method: {escape_text(row.method)} · profile: {escape_text(row.profile)}",
    ]
    if not row.is_baseline:
        lines.append(f"parameters: {_size_text(row.parameters)}")
    average = _average(row, domains)
    if len(domains) > 1 and average is not None:
        lines.append(f"average accuracy: {_percent(average):.1f}% over {len(domains)} domains")
    for domain in domains:
        cell = row.domains.get(domain)
        label = escape_text(DOMAIN_LABELS.get(domain, domain))
        lines.append(f"{label}: {_cell_text(cell) if cell else 'not run'}")
    if row.tokens_per_item is not None:
        lines.append(f"generated tokens per item: {row.tokens_per_item:.1f}")
    if row.method == "flipll":
        lines.append(LIKELIHOOD_COST_NOTE)
    tail = [f"run id(s): {_run_ids(row, domains) or 'none'}"]
    if _is_limited(row, domains):
        tail.append("<b>limited run</b> (--limit: a subset of items, not comparable)")
    parts = ("<br>".join(lines), "<br>".join(tail))
    if len(_HOVER_PARTS) >= _HOVER_PARTS_LIMIT:
        _HOVER_PARTS.clear()
    _HOVER_PARTS[key] = (row, parts)
    return parts


def _judge_lines(gain: FlipGain, domains: Sequence[str]) -> list[str]:
    """Hover lines naming the best judge (method, average, runs) and the paired test."""
    lines = [
        f"FLIP gain: {gain.relative:+.1f}% relative to the best judge",
        f"best judge: {escape_text(gain.judge.method)}, "
        f"average {_percent(gain.judge_average):.1f}%",
        f"best judge run id(s): {_run_ids(gain.judge, domains)}",
    ]
    if gain.p_value is not None and gain.counts is not None:
        lines.append(
            f"paired on {gain.counts.n} items: FLIP only right {gain.counts.a_only}, judge only "
            f"right {gain.counts.b_only}, exact McNemar p = {gain.p_value:.3g}"
        )
    return lines


def _cell_text(cell: Cell) -> str:
    text = f"{_percent(cell.value):.1f}%"
    if cell.ci_low is not None and cell.ci_high is not None:
        text += f" (95% CI {_percent(cell.ci_low):.1f}-{_percent(cell.ci_high):.1f}%)"
    text += f", n={cell.n}, run {cell.run_id}"
    return text + (" (limited)" if cell.limited else "")


def interval_error_bars(
    points: Sequence[tuple[float, float, float] | None], scale: float = 100.0
) -> dict:
    """Asymmetric plotly error bars from ``(value, low, high)`` per point (None: no bar),
    times ``scale`` (100: fractions shown as percentage points)."""
    return {
        "type": "data",
        "symmetric": False,
        "array": [None if p is None else (p[2] - p[0]) * scale for p in points],
        "arrayminus": [None if p is None else (p[0] - p[1]) * scale for p in points],
    }


def _cell_error_bars(cells: Sequence[Cell | None]) -> dict | None:
    """Asymmetric error bars (percentage points) from the cells' intervals; None if none has one."""
    plus = [
        max(0.0, (c.ci_high - c.value) * 100) if c and c.ci_high is not None else None
        for c in cells
    ]
    minus = [
        max(0.0, (c.value - c.ci_low) * 100) if c and c.ci_low is not None else None for c in cells
    ]
    if all(p is None for p in plus) and all(m is None for m in minus):
        return None
    return {"type": "data", "symmetric": False, "array": plus, "arrayminus": minus}


def distinct_labels(
    rows: Sequence[LeaderboardRow], name: Callable[[LeaderboardRow], str]
) -> list[str]:
    """``name`` per row, with the profile and then the prompt version added where names clash."""
    labels = [name(r) for r in rows]
    extras: tuple[Callable[[LeaderboardRow], str], ...] = (
        lambda r: r.profile,
        lambda r: f"prompt {(r.prompt_hash or 'none')[:8]}",
    )
    for extra in extras:
        counts = Counter(labels)
        labels = [
            f"{label} · {extra(r)}" if counts[label] > 1 else label
            for label, r in zip(labels, rows, strict=True)
        ]
    return labels


def _method_rank(method: str) -> tuple[int, str]:
    """Known methods in their conventional order (FLIP first), others after, alphabetically."""
    order = METHOD_NAMES
    return (order.index(method) if method in order else len(order), method)


def _ordered_methods(rows: Sequence[LeaderboardRow]) -> list[str]:
    return sorted({r.method for r in rows}, key=_method_rank)


def _method_colors(rows: Sequence[LeaderboardRow]) -> dict[str, str]:
    """One color per method, the same in every figure built from the same rows."""
    palette = qualitative.Plotly
    methods = _ordered_methods([r for r in rows if not r.is_baseline])
    return {m: palette[i % len(palette)] for i, m in enumerate(methods)}


def _is_limited(row: LeaderboardRow, domains: Sequence[str]) -> bool:
    return any(row.domains[d].limited for d in domains if d in row.domains)


def _row_pattern(row: LeaderboardRow, domains: Sequence[str]) -> str:
    return _LIMITED_PATTERN if _is_limited(row, domains) else _PATTERN


def _bar_pattern(cell: Cell | None) -> str:
    return _LIMITED_PATTERN if cell and cell.limited else _PATTERN


def _run_ids(row: LeaderboardRow, domains: Sequence[str]) -> str:
    return ",".join(str(row.domains[d].run_id) for d in domains if d in row.domains)


def _known_size(row: LeaderboardRow) -> bool:
    return row.parameters is not None and row.parameters > 0


def _billions(row: LeaderboardRow) -> float:
    return (row.parameters or 0) / 1e9


def _cost(row: LeaderboardRow) -> float:
    return row.tokens_per_item or 0.0


def _size_text(parameters: int | None) -> str:
    return f"{parameters / 1e9:.2f}B" if parameters else "unknown"


def _percent(value: float | None) -> float | None:
    return None if value is None else value * 100


def _sign(value: float) -> int:
    return (value > 0) - (value < 0)


def _domain_note(domains: Sequence[str]) -> str:
    labels = ", ".join(escape_text(DOMAIN_LABELS.get(d, d)) for d in domains)
    if len(domains) == 1:
        return f"domain: {labels}; {INTERVAL_NOTE}"
    return f"mean of {len(domains)} domains ({labels}); no error bars on averages"


def _accuracy_axis(domains: Sequence[str]) -> str:
    return "Best-of-N accuracy (%)" if len(domains) == 1 else "Mean best-of-N accuracy (%)"


def _add_method_scatters(
    fig: PlotSpec,
    rows: Sequence[LeaderboardRow],
    points: Sequence[LeaderboardRow],
    domains: Sequence[str],
    x_of: Callable[[LeaderboardRow], float],
) -> None:
    """One scatter trace per method over ``points``, ordered along x (colours from ``rows``)."""
    colors = _method_colors(rows)
    for method in _ordered_methods(points):
        series = sorted((r for r in points if r.method == method), key=lambda r: (x_of(r), r.model))
        _add_scatter(fig, series, domains, [x_of(r) for r in series], method, colors[method])


def _complete_rows(
    rows: Sequence[LeaderboardRow], domains: Sequence[str]
) -> tuple[list[LeaderboardRow], list[str]]:
    """Model rows with every selected domain, and a note counting those left out."""
    models = [r for r in rows if not r.is_baseline]
    complete = [r for r in models if _average(r, domains) is not None]
    return complete, _skip_notes(len(models) - len(complete), "lack a selected domain")


def _skip_notes(count: int, reason: str) -> list[str]:
    return [f"{count} model/method row(s) not shown: they {reason}"] if count else []


def _with_notes(message: str, notes: Sequence[str]) -> str:
    return f"{message}<br>{'; '.join(notes)}" if notes else message
