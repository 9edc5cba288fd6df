"""Charts tab figures: axes, traces, values, skipped rows, FLIP gain, hover, escaping, empties.

The app ships each figure as plain JSON (:class:`leaderboard.plot_spec.PlotSpec`); these tests
read it back through plotly's full validation (``to_plotly``), so an invalid property fails
here rather than silently in the browser.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import plotly.graph_objects as go
import pytest

from flip_store.read.leaderboard import Cell, LeaderboardRow
from leaderboard import charts
from leaderboard.charts import CHART_IDS, EMPTY_MESSAGE, chart_figures
from leaderboard.plot_spec import PlotSpec


def validated(build: Callable[..., PlotSpec]) -> Callable[..., go.Figure]:
    """``build`` returning its figure as plotly validates and reads it."""
    return lambda *args, **kwargs: build(*args, **kwargs).to_plotly()


accuracy_by_size_figure = validated(charts.accuracy_by_size_figure)
cost_accuracy_figure = validated(charts.cost_accuracy_figure)
domain_bars_figure = validated(charts.domain_bars_figure)
flip_gain_figure = validated(charts.flip_gain_figure)
parse_failure_figure = validated(charts.parse_failure_figure)


def validated_figures(rows: list[LeaderboardRow], domains: list[str]) -> dict[str, go.Figure]:
    return {name: fig.to_plotly() for name, fig in chart_figures(rows, domains).items()}


RB2 = ["focus", "factuality", "precise_if", "math"]
HOSTILE = "<img src=x onerror=alert(1)>"
_run_ids = iter(range(100, 10_000))


def cell(value: float, low: float | None = None, high: float | None = None, **kw) -> Cell:
    return Cell(
        run_id=kw.get("run_id", next(_run_ids)),
        value=value,
        ci_low=low,
        ci_high=high,
        n=kw.get("n", 100),
        limited=kw.get("limited", False),
    )


def row(
    model: str,
    method: str,
    values: dict[str, float | Cell],
    parameters: int | None = 1_000_000_000,
    profile: str = "default",
    **kw,
) -> LeaderboardRow:
    domains = {d: v if isinstance(v, Cell) else cell(v) for d, v in values.items()}
    return LeaderboardRow(
        model=model,
        family=kw.get("family"),
        parameters=parameters,
        is_baseline=kw.get("is_baseline", False),
        method=method,
        profile=profile,
        prompt_hash=kw.get("prompt_hash", f"hash-{method}"),
        domains=domains,
        parse_fail_rate=kw.get("parse_fail_rate", 0.05),
        tokens_per_item=kw.get("tokens_per_item", 120.0),
    )


def everywhere(value: float) -> dict[str, Cell]:
    return {d: cell(value, value - 0.05, value + 0.05) for d in RB2}


def model_traces(fig: go.Figure) -> list[go.Scatter]:
    """Traces drawn with markers (the model points, not the baseline reference lines)."""
    return [t for t in fig.data if t.mode == "markers"]


def notes(fig: go.Figure) -> str:
    return " ".join(a.text for a in fig.layout.annotations)


@pytest.fixture
def rows() -> list[LeaderboardRow]:
    return [
        row("Qwen3-1.7B", "flip", everywhere(0.40), 1_700_000_000),
        row("Qwen3-1.7B", "judge_pointwise", everywhere(0.20), 1_700_000_000),
        row("Qwen3-1.7B", "judge_listwise", everywhere(0.25), 1_700_000_000),
        row("Qwen3-8B", "flip", everywhere(0.50), 8_000_000_000, tokens_per_item=300.0),
        row("mystery", "flip", everywhere(0.30), None),
        row("partial", "flip", {"focus": 0.9, "math": 0.9}, 4_000_000_000),
        row(
            "baseline: random pick (expected value)",
            "baseline_random",
            everywhere(0.25),
            None,
            profile="none",
            is_baseline=True,
            prompt_hash=None,
            parse_fail_rate=None,
            tokens_per_item=None,
        ),
    ]


def test_size_axis_is_log_with_a_trace_per_method(rows):
    fig = accuracy_by_size_figure(rows, RB2)
    assert fig.layout.xaxis.type == "log"
    assert "billions of parameters" in fig.layout.xaxis.title.text
    assert "(%)" in fig.layout.yaxis.title.text
    names = sorted(t.name for t in model_traces(fig))
    assert names == ["flip", "judge_listwise", "judge_pointwise"]
    flip = next(t for t in model_traces(fig) if t.name == "flip")
    assert list(flip.x) == [1.7, 8.0]
    assert list(flip.y) == pytest.approx([40.0, 50.0])
    assert flip.error_y.array is None  # no error bars on a four-domain average
    chance = next(t for t in fig.data if t.name == "chance")
    assert chance.mode == "lines" and chance.line.dash == "dash"
    assert list(chance.y) == pytest.approx([25.0, 25.0])


def test_unknown_size_and_missing_domain_are_left_out_and_counted(rows):
    fig = accuracy_by_size_figure(rows, RB2)
    plotted = " ".join(h for t in fig.data for h in t.hovertext)
    assert "mystery" not in plotted and "partial" not in plotted
    assert "1 model(s) of unknown size not shown" in notes(fig)
    assert "1 model/method row(s) not shown: they lack a selected domain" in notes(fig)
    # With only the domains "partial" has, it comes back (4B) and only "mystery" is skipped.
    two = accuracy_by_size_figure(rows, ["focus", "math"])
    flip = next(t for t in model_traces(two) if t.name == "flip")
    assert list(flip.x) == [1.7, 4.0, 8.0]
    assert "lack a selected domain" not in notes(two)


def test_single_domain_points_carry_their_cell_interval():
    rows = [row("m", "flip", {"math": cell(0.30, 0.22, 0.41, run_id=7, n=88)}, 2_000_000_000)]
    fig = accuracy_by_size_figure(rows, ["math"])
    (point,) = model_traces(fig)
    assert point.y[0] == pytest.approx(30.0)
    assert point.error_y.array[0] == pytest.approx(11.0)
    assert point.error_y.arrayminus[0] == pytest.approx(8.0)
    hover = point.hovertext[0]
    assert "30.0% (95% CI 22.0-41.0%)" in hover and "n=88" in hover and "run id(s): 7" in hover


def test_hover_has_comma_joined_run_ids_and_limited_runs_are_marked():
    limited = row(
        "m",
        "flip",
        {"focus": cell(0.5, 0.4, 0.6, run_id=11), "math": cell(0.3, run_id=12, limited=True)},
        2_000_000_000,
    )
    fig = accuracy_by_size_figure([limited], ["focus", "math"])
    (point,) = model_traces(fig)
    assert "run id(s): 11,12" in point.hovertext[0]
    assert "50.0% (95% CI 40.0-60.0%)" in point.hovertext[0]
    assert "limited run" in point.hovertext[0]
    assert point.marker.symbol[0] != "circle"
    bars = domain_bars_figure([limited], ["focus", "math"])
    assert list(bars.data[0].marker.pattern.shape) == ["", "/"]


def test_domain_bars_default_to_the_model_with_most_methods(rows):
    fig = domain_bars_figure(rows, RB2)
    assert "Qwen3-1.7B" in fig.layout.title.text
    bars = [t for t in fig.data if t.type == "bar"]
    assert [t.name for t in bars] == ["flip", "judge_pointwise", "judge_listwise"]
    assert list(bars[0].x) == ["Focus", "Factuality", "Precise IF", "Math"]
    assert list(bars[0].y) == pytest.approx([40.0] * 4)
    assert [t.name for t in fig.data if t.type == "scatter"] == ["chance"]
    chosen = domain_bars_figure(rows, RB2, model="partial")
    assert list(chosen.data[0].y) == [90.0, None, None, 90.0]
    assert EMPTY_MESSAGE not in notes(chosen)
    assert "No runs for" in notes(domain_bars_figure(rows, RB2, model="absent"))


def test_domain_bars_error_bars_come_from_cells():
    rows = [row("m", "flip", {"focus": cell(0.5, 0.45, 0.58)})]
    (bar,) = domain_bars_figure(rows, ["focus"]).data
    assert bar.error_y.array[0] == pytest.approx(8.0)
    assert bar.error_y.arrayminus[0] == pytest.approx(5.0)


def test_flip_gain_is_relative_to_the_best_judge_of_the_same_model_and_profile():
    rows = [
        row("up", "flip", everywhere(0.30)),
        row("up", "judge_pointwise", everywhere(0.20)),
        row("up", "judge_pairwise", everywhere(0.24)),  # the best judge: +25%
        row("up", "judge_pairwise", everywhere(0.90), profile="paper"),  # other profile: ignored
        row("down", "flip", everywhere(0.15)),
        row("down", "judge_listwise", everywhere(0.20)),  # -25%
        row("alone", "flip", everywhere(0.50)),  # no judge: not drawn, counted
        row("zero", "flip", everywhere(0.10)),
        row("zero", "judge_pointwise", everywhere(0.0)),  # 0%: no relative gain, counted
    ]
    fig = flip_gain_figure(rows, RB2)
    (bars,) = fig.data
    assert list(bars.x) == ["up", "down"]
    assert list(bars.y) == pytest.approx([25.0, -25.0])
    assert bars.marker.color[0] != bars.marker.color[1]
    assert "best judge: judge_pairwise, average 24.0%" in bars.hovertext[0]
    assert "FLIP gain: +25.0%" in bars.hovertext[0]
    assert "2 model/method row(s) not shown: they have no nonzero judge" in notes(fig)


def test_parse_failures_and_cost_use_row_metrics(rows):
    parse = parse_failure_figure(rows)
    assert {t.name for t in parse.data} == {"flip", "judge_pointwise", "judge_listwise"}
    flip = next(t for t in parse.data if t.name == "flip")
    assert list(flip.x) == ["Qwen3-1.7B", "Qwen3-8B", "mystery", "partial"]  # no baseline
    assert list(flip.y) == pytest.approx([5.0] * 4)
    cost = cost_accuracy_figure(rows, RB2)
    flip_cost = next(t for t in model_traces(cost) if t.name == "flip")
    assert list(flip_cost.x) == [120.0, 120.0, 300.0]  # unknown size still has a cost
    assert list(flip_cost.y) == pytest.approx([40.0, 30.0, 50.0])  # Qwen3-1.7B, mystery, 8B
    assert "tokens per item" in cost.layout.xaxis.title.text


def test_likelihood_cost_is_named_as_forward_passes(rows):
    likelihood = row("Qwen3-1.7B", "flipll", everywhere(0.45), 1_700_000_000, tokens_per_item=0.0)
    cost = cost_accuracy_figure([*rows, likelihood], RB2)
    (trace,) = [t for t in model_traces(cost) if t.name == "flipll"]
    assert list(trace.x) == [0.0] and "forward pass" in trace.hovertext[0]
    flip = next(t for t in model_traces(cost) if t.name == "flip")
    assert "forward pass" not in flip.hovertext[0]


def _strings(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return []


def test_hostile_names_reach_every_figure_only_escaped():
    rows = [
        row(HOSTILE, "flip", everywhere(0.4), tokens_per_item=50.0),
        row(HOSTILE, HOSTILE, everywhere(0.3), profile=HOSTILE),
        row(HOSTILE, "judge_pairwise", everywhere(0.2)),
    ]
    figures = chart_figures(rows, RB2)
    assert set(figures) == set(CHART_IDS)
    for chart_id, fig in figures.items():
        # to_json() writes "<" as \u003c, so look at the decoded strings, not the raw JSON.
        strings = _strings(json.loads(fig.to_json()))
        assert not [s for s in strings if "<img" in s], chart_id
        assert any("&lt;img src=x onerror=alert(1)&gt;" in s for s in strings), chart_id


@pytest.mark.parametrize(
    "rows",
    [
        [],
        [row("baseline: longest", "baseline_longest", everywhere(0.3), is_baseline=True)],
    ],
)
def test_no_model_rows_say_so_in_every_figure(rows):
    for fig in validated_figures(rows, RB2).values():
        assert notes(fig) == EMPTY_MESSAGE
        assert not fig.data


def test_no_domains_selected_is_not_an_error(rows):
    for fig in validated_figures(rows, []).values():
        assert fig.layout.annotations  # a message, never an exception


def test_shipped_json_carries_the_white_template_and_passes_full_validation(rows):
    """What gr.Plot receives is the figure's JSON: it must parse, carry the white template
    itself (plotly.js knows no template names) and validate against plotly's schema."""
    import plotly.io as pio

    white = pio.templates["plotly_white"].layout.plot_bgcolor
    for domains in (RB2, RB2[:1], []):
        for name, fig in chart_figures(rows, domains).items():
            shipped = fig.plot_data()
            assert shipped.type == "plotly", name
            parsed = json.loads(shipped.plot)
            assert parsed["layout"]["template"]["layout"]["plot_bgcolor"] == white, name
            go.Figure(parsed)  # raises ValueError on any invalid property
