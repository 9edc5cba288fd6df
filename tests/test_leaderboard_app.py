"""The whole app, built without a browser: every tab exists, a shared link's load sets the tabs
it names, the handlers answer through :mod:`leaderboard.views`, and the package keeps to its
structure (small modules, no branch on a method's name)."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pytest

from flip_store.read.listing import list_runs
from leaderboard.app import build_app
from leaderboard.figures.charts import CHART_IDS
from leaderboard.tabs import TABS

PACKAGE = Path(__file__).resolve().parent.parent / "leaderboard"


@pytest.fixture(scope="module")
def demo(small_store):
    return build_app(small_store)


def handler(demo: gr.Blocks, name: str):
    """The first event function called ``name`` (what Gradio runs for that event)."""
    return next(fn.fn for fn in demo.fns.values() if fn.name == name)


def components(demo: gr.Blocks, kind: type) -> list:
    return [block for block in demo.blocks.values() if isinstance(block, kind)]


def test_every_tab_is_built_in_page_order(demo):
    tabs = components(demo, gr.Tab)
    assert [(tab.id, tab.label) for tab in tabs] == [(spec.id, spec.label) for spec in TABS]
    # the Charts tab's figures and accuracy by length, Robustness's and Reranking's
    assert len(components(demo, gr.Plot)) == len(CHART_IDS) + 3
    labels = {block.label for block in components(demo, gr.Dataframe)}
    assert {"Best-of-N accuracy (%)", "Accuracy drop per probe", "Best-of-N reranking"} <= labels


def test_a_shared_link_sets_the_tabs_it_names(demo, small_store):
    runs = {run.task: run.id for run in list_runs(small_store)}
    flip, judge = runs["flip_llmbar_neighbor"], runs["judge_pairwise_llmbar_neighbor"]
    request = SimpleNamespace(
        query_params={"tab": "inspect", "item": "llmbar:neighbor:1", "runs": f"{flip},{judge}"}
    )
    updates = handler(demo, "open_link")(request)
    # a returned component is an update of the component it is returned for
    values = {getattr(c, "label", None): getattr(u, "value", u) for c, u in updates.items()}
    assert values["Item"] == "llmbar:neighbor:1"
    assert values["Run A (e.g. FLIP)"] == flip and values["Run B (e.g. a judge)"] == judge
    (tabs,) = components(demo, gr.Tabs)
    assert updates[tabs].selected == "inspect"
    notice = next(u for c, u in updates.items() if isinstance(c, gr.Markdown))
    assert "models in the store" in notice
    refused = handler(demo, "open_link")(SimpleNamespace(query_params={"tab": "nope"}))
    assert updates.keys() == refused.keys()  # every linked component is always set


def test_the_table_handler_reads_its_grouped_controls(demo):
    dependency = next(fn for fn in demo.fns.values() if fn.name == "refresh")
    values = {component: component.value for component in dependency.inputs}
    table, download = dependency.fn(values)
    assert {"Model", "Kind", "Average"} <= set(table.value["headers"])
    assert Path(download.value["path"]).read_text().startswith("Model,Kind,")
    assert len(dependency.inputs) > 5  # grouped into one dict input, never positional


def test_each_tab_answers_through_views(demo, small_store):
    figures = handler(demo, "figures")("llmbar", [], False, None)
    assert len(figures) == len(CHART_IDS)
    assert handler(demo, "length")("llmbar", ["neighbor"], False, None).type == "plotly"
    _, plot = handler(demo, "robustness")("llmbar")
    assert plot.type == "plotly"
    ids = handler(demo, "items")("llmbar", "manual", "", None, None, "all items")[1]
    assert ids == ["llmbar:manual:0", "llmbar:manual:1"]
    assert "Original instruction" in handler(demo, "show")(ids[1], None, None)
    runs = {run.task: run.id for run in list_runs(small_store)}
    compare = handler(demo, "compare_html")
    page = compare(runs["judge_pairwise_llmbar_neighbor"], runs["flip_llmbar_neighbor"], "llmbar")
    assert "McNemar exact p" in page


def test_modules_stay_small():
    for path in PACKAGE.rglob("*.py"):
        lines = len(path.read_text().splitlines())
        assert lines <= 400, f"{path.relative_to(PACKAGE)} has {lines} lines"


METHOD_NAME_BRANCH = re.compile(
    r"""(==|!=|\bin\b)\s*\(?\s*["'](flip|flipll|judge_\w+|flip_guarded)["']"""
    r"""|startswith\(\s*["'](judge|flip|baseline)"""
)


def test_no_module_branches_on_a_method_name():
    """Views read a method's family, output kind and label from the registry, so a newly
    registered method shows everywhere without a leaderboard change."""
    for path in PACKAGE.rglob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            assert not METHOD_NAME_BRANCH.search(line), f"{path.name}:{number}: {line.strip()}"
