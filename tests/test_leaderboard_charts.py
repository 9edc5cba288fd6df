"""Charts tab figures: axes, traces, values, skipped rows, FLIP gain, cost, length-controlled
accuracy, hover, escaping, empties.

The app ships each figure as plain JSON (:class:`leaderboard.figures.plot_spec.PlotSpec`);
these tests read it back through plotly's full validation (``to_plotly``), so an invalid
property fails here rather than silently in the browser.
"""

from __future__ import annotations

import json

import plotly.graph_objects as go
import pytest
from harness_fakes import fake_board, fake_cell, fake_reference, fake_row

from leaderboard.board import featured_model
from leaderboard.figures import accuracy, cost, length
from leaderboard.figures.charts import CHART_IDS, chart_figures
from leaderboard.figures.style import EMPTY_MESSAGE

RB2 = ("focus", "factuality", "precise_if", "math")
HOSTILE = "<img src=x onerror=alert(1)>"


def everywhere(value: float, **metrics) -> dict:
    return {d: fake_cell(value, value - 0.05, value + 0.05, **metrics) for d in RB2}


def everywhere_value(value: float) -> dict:
    return dict.fromkeys(RB2, value)


def references() -> list:
    chance = everywhere_value(0.25)
    return [
        fake_reference("rule:chance", "chance (random pick, expected)", "rule", chance),
        fake_reference("rule:shortest", "always the shortest", "rule", everywhere_value(0.40)),
        fake_reference("paper:flip", "paper", "reported", everywhere_value(0.34), "flip"),
    ]


def model_traces(fig: go.Figure) -> list:
    """Traces with markers (the model points), not the reference lines."""
    return [t for t in fig.data if t.mode and "markers" in t.mode]


def notes(fig: go.Figure) -> str:
    return " ".join(a.text for a in fig.layout.annotations)


THREE_MODELS = (135_000_000, 494_000_000, 1_544_000_000)


@pytest.fixture
def store_rows() -> list:
    """The board as it will be: three real models (135M, 0.49B, 1.54B) with FLIP, FLIP-
    likelihood and two judges, plus an unsized and an incomplete model."""
    rows = []
    for index, size in enumerate(THREE_MODELS):
        name = f"model-{index}"
        tokens = 100.0 * (index + 1)
        rows += [
            fake_row(name, "flip", everywhere(0.40 + index / 10, generated_tokens_per_item=tokens,
                                              parse_fail_rate=0.1, finished_rate=0.9), size),
            fake_row(name, "judge_pointwise", everywhere(0.20, generated_tokens_per_item=50.0,
                                                         parse_fail_rate=0.5), size),
            fake_row(name, "judge_listwise", everywhere(0.25, parse_fail_rate=0.6), size),
            fake_row(name, "flipll", everywhere(0.45, forward_passes_per_item=5.0,
                                                generated_tokens_per_item=0.0,
                                                parse_fail_rate=0.0), size),
        ]  # fmt: skip
    rows.append(fake_row("mystery", "flip", everywhere(0.30), None))
    rows.append(fake_row("partial", "flip", {"focus": 0.9, "math": 0.9}, 4_000_000_000))
    return rows


@pytest.fixture
def board(store_rows) -> list:
    return fake_board(store_rows, RB2, references())


def test_size_axis_is_log_with_three_points_per_method(board):
    fig = accuracy.accuracy_by_size_figure(board).to_plotly()
    assert fig.layout.xaxis.type == "log"
    assert "billions of parameters" in fig.layout.xaxis.title.text
    names = [t.name for t in model_traces(fig)]
    assert names == ["FLIP", "pointwise judge", "listwise judge", "FLIP-likelihood"]
    flip = model_traces(fig)[0]
    assert list(flip.x) == pytest.approx([0.135, 0.494, 1.544])
    assert list(flip.y) == pytest.approx([40.0, 50.0, 60.0])
    assert flip.mode == "lines+markers"
    assert flip.error_y.array is None  # no error bars on a four-domain average
    chance = next(t for t in fig.data if t.name == "chance (random pick, expected)")
    assert chance.mode == "lines" and list(chance.y) == pytest.approx([25.0, 25.0])
    assert "always the shortest" in {t.name for t in fig.data}
    assert "reported in the paper" not in {t.name for t in fig.data}  # not a size reference


def test_unknown_size_and_missing_domain_are_left_out_and_counted(store_rows):
    fig = accuracy.accuracy_by_size_figure(fake_board(store_rows, RB2)).to_plotly()
    plotted = " ".join(h for t in fig.data for h in t.hovertext)
    assert "mystery" not in plotted and "partial" not in plotted
    assert "1 model(s) of unknown size not shown" in notes(fig)
    assert "1 model/method row(s) not shown: they lack a shown domain" in notes(fig)
    two = accuracy.accuracy_by_size_figure(fake_board(store_rows, ("focus", "math"))).to_plotly()
    flip = model_traces(two)[0]
    assert list(flip.x) == pytest.approx([0.135, 0.494, 1.544, 4.0])
    assert "lack a shown domain" not in notes(two)


def test_single_domain_points_carry_their_cell_interval():
    rows = fake_board(
        [fake_row("m", "flip", {"math": fake_cell(0.30, 0.22, 0.41, run_id=7, n=88)})], ("math",)
    )
    (point,) = model_traces(accuracy.accuracy_by_size_figure(rows).to_plotly())
    assert point.error_y.array[0] == pytest.approx(11.0)
    assert point.error_y.arrayminus[0] == pytest.approx(8.0)
    hover = point.hovertext[0]
    assert "30.0% (95% CI 22.0-41.0%)" in hover and "n=88" in hover and "run id(s): 7" in hover


def test_hover_has_comma_joined_run_ids_and_limited_runs_are_marked():
    cells = {
        "focus": fake_cell(0.5, 0.4, 0.6, run_id=11),
        "math": fake_cell(0.3, run_id=12, limited=True),
    }
    rows = fake_board([fake_row("m", "flip", cells)], ("focus", "math"))
    (point,) = model_traces(accuracy.accuracy_by_size_figure(rows).to_plotly())
    assert "run id(s): 11,12" in point.hovertext[0] and "limited run" in point.hovertext[0]
    assert point.marker.symbol[0] != "circle"
    bars = accuracy.domain_bars_figure(rows).to_plotly()
    assert list(bars.data[0].marker.pattern.shape) == ["", "/"]


def test_domain_bars_show_the_chosen_model_beside_the_rules(board):
    assert featured_model(board) == "model-2"  # most methods, then the largest
    fig = accuracy.domain_bars_figure(board).to_plotly()
    assert "model-2" in fig.layout.title.text
    bars = [t for t in fig.data if t.type == "bar"]
    assert [t.name for t in bars] == [
        "FLIP",
        "pointwise judge",
        "listwise judge",
        "FLIP-likelihood",
    ]
    assert list(bars[0].x) == ["Focus", "Factuality", "Precise IF", "Math"]
    assert list(bars[0].y) == pytest.approx([60.0] * 4)
    assert bars[0].error_y.array[0] == pytest.approx(5.0)
    markers = [t.name for t in fig.data if t.type == "scatter"]
    assert markers == ["chance (random pick, expected)", "always the shortest"]
    chosen = accuracy.domain_bars_figure(board, "partial").to_plotly()
    assert list(chosen.data[0].y) == [90.0, None, None, 90.0]
    assert "No runs for" in notes(accuracy.domain_bars_figure(board, "absent").to_plotly())


def test_gain_is_drawn_for_every_flip_family_row_against_the_best_judge():
    rows = fake_board(
        [
            fake_row("up", "flip", everywhere(0.30)),
            fake_row("up", "flipll", everywhere(0.48)),
            fake_row("up", "judge_pointwise", everywhere(0.20)),
            fake_row("up", "judge_pairwise", everywhere(0.24)),  # the best judge: +25%, +100%
            fake_row("up", "judge_pairwise", everywhere(0.90), profile="paper"),  # ignored
            fake_row("down", "flip", everywhere(0.15)),
            fake_row("down", "judge_listwise", everywhere(0.20)),  # -25%
            fake_row("alone", "flip", everywhere(0.50)),  # no judge: not drawn, counted
        ],
        RB2,
    )
    fig = accuracy.flip_gain_figure(rows).to_plotly()
    flip, likelihood = fig.data
    assert (flip.name, likelihood.name) == ("FLIP", "FLIP-likelihood")
    assert list(flip.x) == ["up", "down"] and list(flip.y) == pytest.approx([25.0, -25.0])
    assert list(likelihood.x) == ["up"] and list(likelihood.y) == pytest.approx([100.0])
    assert flip.marker.color[0] != flip.marker.color[1]
    assert "best judge: pairwise judge, average 24.0%" in flip.hovertext[0]
    assert "gain: +25.0%" in flip.hovertext[0]
    assert "1 model/method row(s) not shown: they have no nonzero judge" in notes(fig)


def test_parse_failures_follow_the_shown_domains(board):
    fig = cost.parse_failure_figure(board).to_plotly()
    flip = next(t for t in fig.data if t.name == "FLIP")
    assert list(flip.x)[:3] == ["model-0", "model-1", "model-2"]
    assert list(flip.y)[:3] == pytest.approx([10.0] * 3)
    assert {t.name for t in fig.data} == {
        "FLIP", "pointwise judge", "listwise judge", "FLIP-likelihood"
    }  # fmt: skip


def test_cost_puts_likelihood_methods_on_a_forward_pass_axis(board):
    fig = cost.cost_accuracy_figure(board).to_plotly()
    flip = next(t for t in model_traces(fig) if t.name == "FLIP")
    assert list(flip.x) == [100.0, 200.0, 300.0] and flip.xaxis in (None, "x")
    likelihood = next(t for t in model_traces(fig) if t.name == "FLIP-likelihood")
    assert likelihood.xaxis == "x2" and list(likelihood.x) == [5.0, 5.0, 5.0]
    assert "forward pass" in likelihood.hovertext[0] and "forward pass" not in flip.hovertext[0]
    assert set(likelihood.text) == {"forward passes"}
    assert "Forward passes" in fig.layout.xaxis2.title.text
    assert "Generated tokens" in fig.layout.xaxis.title.text
    # the listwise judge's tokens are unknown (never characters): left out, and said so
    assert "no known cost" in notes(fig)
    assert "listwise judge" not in {t.name for t in model_traces(fig)}


def test_length_controlled_accuracy_says_so_while_it_is_not_computed(board):
    fig = length.length_controlled_figure(board).to_plotly()
    assert not fig.data and "not computed yet" in notes(fig)
    rows = fake_board(
        [
            fake_row("m", "flip", everywhere(0.5, acc_length_controlled=0.55,
                                             acc_where_shortest_wrong=0.4)),
            fake_row("m", "judge_pairwise", everywhere(0.5)),  # not computed: no bar
        ],
        RB2,
        references(),
    )  # fmt: skip
    fig = length.length_controlled_figure(rows).to_plotly()
    (bars,) = fig.data
    assert bars.name == "FLIP" and list(bars.y) == pytest.approx([55.0])
    assert "accuracy where always-shortest is wrong: 40.0%" in bars.hovertext[0]
    assert fig.layout.shapes[0].y0 == pytest.approx(25.0)  # chance


def _strings(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return []


def test_hostile_names_reach_every_figure_only_escaped():
    metrics = {"generated_tokens_per_item": 50.0, "parse_fail_rate": 0.1,
               "acc_length_controlled": 0.5}  # fmt: skip
    rows = fake_board(
        [
            fake_row(HOSTILE, "flip", everywhere(0.4, **metrics)),
            fake_row(
                HOSTILE, HOSTILE, everywhere(0.3, **metrics), profile=HOSTILE, backend=HOSTILE
            ),
            fake_row(HOSTILE, "judge_pairwise", everywhere(0.2, **metrics)),
        ],
        RB2,
        [fake_reference("rule:x", HOSTILE, "rule", everywhere_value(0.3))],
    )
    figures = chart_figures(rows)
    assert list(figures) == list(CHART_IDS)
    for chart_id, fig in figures.items():
        # to_json() writes "<" as \u003c, so look at the decoded strings, not the raw JSON.
        strings = _strings(json.loads(fig.to_json()))
        assert not [s for s in strings if "<img" in s], chart_id
        assert any("&lt;img src=x onerror=alert(1)&gt;" in s for s in strings), chart_id


@pytest.mark.parametrize("with_references", [False, True])
def test_no_model_rows_say_so_in_every_figure(with_references):
    rows = fake_board([], RB2, references() if with_references else [])
    for fig in chart_figures(rows).values():
        validated = fig.to_plotly()
        assert notes(validated) == EMPTY_MESSAGE and not validated.data


def test_shipped_json_carries_the_white_template_and_passes_full_validation(store_rows):
    """What gr.Plot receives is the figure's JSON: it must parse, carry the white template
    itself (plotly.js knows no template names) and validate against plotly's schema."""
    import plotly.io as pio

    white = pio.templates["plotly_white"].layout.plot_bgcolor
    for domains in (RB2, RB2[:1]):
        for name, fig in chart_figures(fake_board(store_rows, domains, references())).items():
            shipped = fig.plot_data()
            assert shipped.type == "plotly", name
            parsed = json.loads(shipped.plot)
            assert parsed["layout"]["template"]["layout"]["plot_bgcolor"] == white, name
            go.Figure(parsed)  # raises ValueError on any invalid property
