"""PlotSpec: the plain-JSON figures the app ships to plotly.js instead of plotly.py objects."""

from __future__ import annotations

import json
import math

import pytest

from leaderboard.figures.plot_spec import WHITE_TEMPLATE, PlotSpec


def test_layout_updates_merge_nested_properties_instead_of_replacing_them():
    fig = PlotSpec()
    fig.update_xaxes(title={"text": "size"}, type="log")
    fig.update_xaxes(title={"font": {"size": 10}})
    fig.update_layout(legend={"title": {"text": "Method"}}, barmode="group")
    assert fig.layout["xaxis"] == {"title": {"text": "size", "font": {"size": 10}}, "type": "log"}
    assert fig.layout["template"] is WHITE_TEMPLATE
    assert fig.to_plotly().layout.legend.title.text == "Method"


def test_merging_never_changes_the_shared_template_or_a_callers_dict():
    before = json.dumps(WHITE_TEMPLATE, sort_keys=True)
    title = {"text": "size"}
    fig = PlotSpec()
    fig.update_layout(template={"layout": {"font": {"size": 30}}}, title=title)
    fig.update_layout(title={"font": {"size": 10}})
    assert json.dumps(WHITE_TEMPLATE, sort_keys=True) == before
    assert PlotSpec().layout["template"]["layout"]["font"] != {"size": 30}
    assert title == {"text": "size"}
    assert fig.layout["template"]["layout"]["font"]["size"] == 30
    assert fig.layout["title"] == {"text": "size", "font": {"size": 10}}


def test_unset_trace_properties_are_left_out_but_gaps_in_data_stay():
    fig = PlotSpec()
    fig.add_trace("scatter", x=[1, 2], y=[3.0, None], error_y=None, name="flip")
    assert fig.data == [{"type": "scatter", "x": [1, 2], "y": [3.0, None], "name": "flip"}]


def test_hline_and_annotations_validate_as_plotly_figures():
    fig = PlotSpec()
    fig.add_hline(0, color="#444", width=1)
    fig.add_annotation(text="note", x=0, y=1, xref="paper", yref="paper", showarrow=False)
    validated = fig.to_plotly()
    (line,) = validated.layout.shapes
    assert (line.xref, line.y0, line.y1, line.line.color) == ("x domain", 0, 0, "#444")
    assert validated.layout.annotations[0].text == "note"


def test_an_unknown_property_fails_validation():
    fig = PlotSpec()
    fig.add_trace("bar", x=[1], y=[1], colour="red")
    with pytest.raises(ValueError, match="colour"):
        fig.to_plotly()


def test_json_is_strict_and_script_safe_like_plotly_to_json():
    fig = PlotSpec()
    fig.add_trace("bar", x=["</script><b>"], y=[math.nan])
    shipped = fig.plot_data()
    assert shipped.type == "plotly"
    assert "<" not in shipped.plot and ">" not in shipped.plot  # written as \\u003c escapes
    (trace,) = json.loads(shipped.plot)["data"]
    assert trace["x"] == ["</script><b>"] and trace["y"] == [None]  # NaN is not valid JSON
