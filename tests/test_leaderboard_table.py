"""The Leaderboard table: the column spec, the one sort key (the Average shown), filters,
reference rows, and the CSV export with its formula guard."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from harness_fakes import (
    ORDERING_DOMAINS,
    build_ordering_store,
    crafted_environment,
    fake_board,
    fake_cell,
    fake_row,
)

from flip_store.read.leaderboard import leaderboard
from leaderboard.table_columns import CHOOSABLE, DEFAULT_SHOWN, FIXED, columns_for
from leaderboard.table_view import TableFilters, csv_safe, table_view, write_csv
from leaderboard.views import LeaderboardViews

LLMBAR = ("neighbor", "gptinst", "gptout", "manual")


@pytest.fixture(scope="module")
def ordering_store(tmp_path_factory):
    root = tmp_path_factory.mktemp("ordering-store")
    with crafted_environment(root):
        return build_ordering_store(root)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def assert_sorted_by_the_average_shown(frame: pd.DataFrame) -> None:
    """Descending Average, then the rows without one, by model name."""
    averages = list(frame["Average"])
    known = [a for a in averages if not _missing(a)]
    assert averages[: len(known)] == sorted(known, reverse=True), averages
    tail = list(frame["Model"])[len(known) :]
    assert all(_missing(a) for a in averages[len(known) :])
    assert tail == sorted(tail, key=str.casefold)


def test_rows_are_sorted_by_the_average_shown_not_by_every_domain_they_have(ordering_store):
    # What the old table did: rows in the store's order, by the mean over every domain a row
    # had, while its Average column was the mean over the shown domains. On this store the
    # two orders disagree.
    rows = leaderboard(ordering_store, "llmbar")
    old_order = [r.model for r in sorted(rows, key=lambda r: -(r.mean("acc") or 0.0))]
    assert old_order == ["partial-model", "uneven-model", "steady-model"]

    views = LeaderboardViews(ordering_store)
    frame = views.table("llmbar", TableFilters(domains=ORDERING_DOMAINS)).frame
    assert_sorted_by_the_average_shown(frame)
    models = frame[frame["Kind"] == "model"]
    assert list(models["Model"]) == ["steady-model", "uneven-model", "partial-model"]
    assert list(models["Average"])[:2] == [100.0, 50.0] and _missing(models["Average"].iloc[2])
    assert [c for c in frame.columns if c in ("Neighbor", "GPTInst", "GPTOut", "Manual")] == [
        "Neighbor",
        "Manual",
    ]

    # Another domain selection, another order: recomputed, never kept from the first view.
    everything = views.table("llmbar", TableFilters()).frame
    assert_sorted_by_the_average_shown(everything)
    models = everything[everything["Kind"] == "model"]
    assert list(models["Model"]) == ["uneven-model", "partial-model", "steady-model"]
    assert models["Average"].iloc[0] == 75.0
    gptinst = views.table("llmbar", TableFilters(domains=("gptinst",))).frame
    models = gptinst[gptinst["Kind"] == "model"]
    assert list(models["Model"]) == ["uneven-model", "steady-model", "partial-model"]


def test_reference_rows_sit_beside_the_models_marked_by_kind(ordering_store):
    views = LeaderboardViews(ordering_store)
    frame = views.table("llmbar", TableFilters(domains=ORDERING_DOMAINS)).frame
    kinds = list(frame["Kind"])
    assert {"model", "rule", "reported"} == set(kinds)
    # interleaved by Average: the rules are neither all first nor all last
    assert 0 < kinds.index("rule") < len(kinds) - 1
    rules = frame[frame["Kind"] == "rule"]
    assert set(rules["Model"]) == {
        "chance (random pick, expected)",
        "always the longest",
        "always the shortest",
    }
    reported = frame[frame["Kind"] == "reported"]
    assert reported["Model"].str.contains("LLMBar paper").all()
    assert set(reported["Method"]) == {"pairwise judge"}
    for kind in ("rule", "reported"):
        hidden = views.table("llmbar", TableFilters(hidden={"Kind": frozenset({kind})})).frame
        assert kind not in set(hidden["Kind"]) and "model" in set(hidden["Kind"])


def test_rb2_shows_the_papers_reported_averages(ordering_store):
    frame = LeaderboardViews(ordering_store).table("rb2", TableFilters()).frame
    paper = frame[frame["Kind"] == "reported"]
    flip = paper[paper["Method"] == "FLIP"]
    assert list(flip["Average"]) == [34.5] and len(paper) == 4
    assert list(flip["Focus"]) == [59.6]


def test_the_column_spec_drives_the_table_the_chooser_and_the_csv(small_store, tmp_path):
    views = LeaderboardViews(small_store)
    view = views.table("llmbar", TableFilters())
    columns = columns_for(LLMBAR)
    assert list(view.frame.columns) == [c.label for c in columns]
    assert view.datatypes == [c.datatype for c in columns]
    assert [c.label for c in columns[:2]] == ["Model", "Kind"]
    assert {"Neighbor", "GPTInst", "GPTOut", "Manual"} <= set(view.frame.columns)
    for label in ("Family", "Params (B)", "Method", "Profile", "Backend", "Average",
                  "FLIP gain (%)", "Gain p (McNemar)", "Parse fail (%)", "Finished (%)",
                  "Tokens / item", "Acc. where shortest wrong", "Acc. where longest wrong",
                  "Length-controlled", "Runs"):  # fmt: skip
        assert label in view.frame.columns, label
    assert set(DEFAULT_SHOWN) < set(CHOOSABLE) and "Size" not in view.frame.columns
    chosen = views.table("llmbar", TableFilters(columns=("Size", "Backend"))).frame
    always = [c.label for c in FIXED if c.always]
    assert list(chosen.columns) == [
        "Model", "Kind", "Size", "Backend", "Neighbor", "GPTInst", "GPTOut", "Manual", "Average"
    ]  # fmt: skip
    assert set(always) <= set(chosen.columns)
    written = pd.read_csv(write_csv(chosen, tmp_path / "view.csv"))
    assert list(written.columns) == list(chosen.columns) and len(written) == len(chosen)


def test_model_columns_read_the_store_rows(small_store):
    views = LeaderboardViews(small_store)
    frame = views.table("llmbar", TableFilters(domains=("neighbor", "manual"))).frame
    flip = frame[frame["Method"] == "FLIP"].iloc[0]
    assert (flip["Neighbor"], flip["Manual"], flip["Average"]) == (100.0, 100.0, 100.0)
    assert flip["FLIP gain (%)"] == 0.0  # the fake judge is perfect too
    assert flip["Gain p (McNemar)"] == 1.0  # same verdict on every shared item
    assert flip["Backend"] == "ContentJudgeLM" and flip["Parse fail (%)"] == 0.0
    assert _missing(flip["Tokens / item"])  # counted in characters here: never shown
    judge = frame[frame["Method"] == "pairwise judge"].iloc[0]
    assert _missing(judge["FLIP gain (%)"])
    full = views.table("llmbar", TableFilters()).frame
    assert _missing(full[full["Method"] == "FLIP"].iloc[0]["Average"])  # gptinst not run


def test_limited_runs_are_hidden_by_default_and_marked_when_shown(small_store):
    views = LeaderboardViews(small_store)
    assert "pointwise judge" not in set(views.table("llmbar", TableFilters()).frame["Method"])
    frame = views.table("llmbar", TableFilters(include_limited=True)).frame
    (runs,) = frame[frame["Method"] == "pointwise judge"]["Runs"]
    assert runs.endswith(" (limited)")


def test_filters_hide_unticked_values_and_search_models_only(small_store):
    views = LeaderboardViews(small_store)
    no_flip = views.table("llmbar", TableFilters(hidden={"Method": frozenset({"FLIP"})})).frame
    assert "FLIP" not in set(no_flip["Method"]) and "pairwise judge" in set(no_flip["Method"])
    nothing = views.table("llmbar", TableFilters(search="no such model")).frame
    assert set(nothing["Kind"]) == {"rule", "reported"}  # references are not searched
    size = views.table("llmbar", TableFilters(hidden={"Size": frozenset({"unknown"})})).frame
    assert "model" not in set(size["Kind"]) and "rule" in set(size["Kind"])
    choices = views.filter_choices()
    assert choices["Kind"] == ["model", "rule", "reported"]
    assert choices["Method"][:4] == ["FLIP", "pointwise judge", "pairwise judge", "listwise judge"]
    assert choices["Backend"] == ["ContentJudgeLM"] and choices["Profile"] == ["default"]


def test_unknown_tokens_stay_empty_and_known_metrics_show():
    tokens = {
        "generated_tokens_per_item": 120.04,
        "finished_rate": 0.875,
        "parse_fail_rate": 0.1,
        "first_shown_rate": 0.9625,
    }
    rows = fake_board(
        [
            fake_row("known", "flip", {"focus": fake_cell(0.5, **tokens)}),
            fake_row("unknown", "flip", {"focus": fake_cell(0.4)}),
        ],
        ("focus",),
    )
    frame = table_view(rows, ("focus",), TableFilters()).frame.set_index("Model")
    assert frame.loc["known", "Tokens / item"] == 120.0
    assert frame.loc["known", "Finished (%)"] == 87.5
    assert frame.loc["known", "First-shown picks (%)"] == 96.2
    assert _missing(frame.loc["unknown", "First-shown picks (%)"])  # not a judge: no such rate
    assert _missing(frame.loc["unknown", "Tokens / item"])
    assert _missing(frame.loc["unknown", "Length-controlled"])  # not computed yet


@pytest.mark.parametrize(
    "cell",
    [
        '=HYPERLINK("x")',
        "+1",
        "-2",
        "@a",
        "\t=1+1",
        "\r=1+1",
        "\n=1+1",
        " =1+1",
        "\u00a0\u200b@SUM(A1)",
        "\x00-3",
    ],
)
def test_csv_export_neutralises_formulas_behind_whitespace_and_controls(cell):
    frame = pd.DataFrame({"Model": [cell, "safe", "a=b"], "n": [1, 2, 3]})
    assert list(csv_safe(frame)["Model"]) == [f"'{cell}", "safe", "a=b"]
    assert list(csv_safe(frame)["n"]) == [1, 2, 3]  # numbers are never touched
