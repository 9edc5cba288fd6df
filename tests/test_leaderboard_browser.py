"""The leaderboard in a real browser: headless Chromium against the app served on loopback.

Over the shared small store (fake model, crafted LLMBar data): every tab of
:data:`leaderboard.tabs.TABS` loads and is screenshotted (``<tmp>/screenshots/<tab>.png``,
also copied to ``FLIP_SCREENSHOT_DIR`` when set), the table shows the store's models and
methods beside the rule and reported rows, sorted by the Average it shows, a deep link opens
its item in Inspect, and the planted ``<script>`` / ``<img onerror>`` response shows as text
and never runs. (``tests/test_leaderboard_app.py`` builds the same app without a browser.)
Skips, saying why, where Playwright or Chromium is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from browser_session import (
    DEFAULT_TIMEOUT_MS,
    XSS_TRAP,
    Screenshots,
    browser_unavailable,
    dataframe_records,
    headless_chromium,
    holds_for,
    serve_on_loopback,
    wait_until,
)
from harness_fakes import PLANTED_MARKUP, build_one_model_store, crafted_environment

from flip_store.read.items import find_items, item_detail
from flip_store.read.listing import list_runs
from leaderboard.catalog import method_label
from leaderboard.deep_links import query_string
from leaderboard.figures.charts import CHART_IDS, CHART_LABELS
from leaderboard.tabs import TABS as APP_TABS
from leaderboard.tabs.leaderboard_table import TABLE_LABEL

pytestmark = pytest.mark.browser
UNAVAILABLE = browser_unavailable()
# Checked at collection, so that a machine without a browser skips before the store is built.
needs_browser = pytest.mark.skipif(UNAVAILABLE is not None, reason=UNAVAILABLE or "")


@dataclass(frozen=True)
class BrowserTab:
    id: str  # the gr.Tab id (also the deep link's ?tab=)
    label: str  # the visible tab label
    ready: str  # text that is visible once the tab's content has loaded
    ready_selector: str | None = None  # and, where given, elements that must be visible
    ready_count: int = 1  # how many of them


# One entry per tab of the app, in page order: drives "load each tab + screenshot".
# A new tab in leaderboard.tabs needs its entry here (a test checks them against the app's).
TABS = (
    BrowserTab("leaderboard", "Leaderboard", TABLE_LABEL),
    # the figures of CHART_IDS and the accuracy-by-length figure (its own event)
    BrowserTab(
        "charts",
        "Charts",
        CHART_LABELS[CHART_IDS[0]],
        ".js-plotly-plot",
        len(CHART_IDS) + 1,
    ),
    BrowserTab("robustness", "Robustness", "Accuracy drop per probe", ".js-plotly-plot", 1),
    BrowserTab("reranking", "Reranking", "Best-of-N reranking", ".js-plotly-plot", 1),
    BrowserTab("inspect", "Inspect", "Original instruction"),  # the first item is shown
    BrowserTab("compare", "Compare", "Pick two runs to compare."),
    BrowserTab("about", "Submit / About", "FLIP: small reward models by backward inference"),
)
RULES = {"chance (random pick, expected)", "always the longest", "always the shortest"}
BAIT = "http://127.0.0.1:9/"
"""Where hostile text points: a closed loopback port (a request would show, nothing leaves)."""
# Seconds an Inspect view must stay put once shown: a late, stale update must not replace it.
SETTLE_S = 2.0


@pytest.fixture(scope="module")
def browser():
    with headless_chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def app_url(browser, small_store):
    with serve_on_loopback(small_store) as url:
        yield url


@pytest.fixture
def page(browser):
    """A fresh page with an XSS trap; any dialog or uncaught page error fails the test."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.add_init_script(XSS_TRAP)
    page = context.new_page()
    page.set_default_timeout(DEFAULT_TIMEOUT_MS)
    dialogs: list[str] = []
    errors: list[str] = []

    def on_dialog(dialog):
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not dialogs, f"the page opened dialogs (script ran): {dialogs}"
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture
def screenshots(tmp_path) -> Screenshots:
    return Screenshots(tmp_path / "screenshots")


def _planted_item(engine) -> tuple[str, str, int]:
    """(item id, instruction, FLIP run id) of the item whose candidate is PLANTED_MARKUP."""
    for item_id in find_items(engine, "llmbar"):
        detail = item_detail(engine, item_id)
        if any(c.text == PLANTED_MARKUP for c in detail.candidates):
            flip = next(r.run_id for r in detail.runs if r.method == "flip")
            return item_id, detail.item.instruction, flip
    raise AssertionError("the small store holds no item with PLANTED_MARKUP")


def _tab(page, label: str):
    return page.get_by_role("tab", name=label, exact=True)


def _item_view(page):
    """The visible text of the rendered Inspect item ('' while none is shown)."""
    view = page.locator(".flip-item")
    return view.first.inner_text() if view.count() else ""


def test_tab_list_is_the_apps():
    assert [(tab.id, tab.label) for tab in TABS] == [(t.id, t.label) for t in APP_TABS], (
        "add the new tab to TABS in tests/test_leaderboard_browser.py"
    )


def _number(text: str) -> float | None:
    """A number cell's value as shown; None for an empty cell."""
    return None if text.strip().lower() in ("", "nan", "none") else float(text)


@needs_browser
def test_each_tab_loads_and_the_table_shows_the_models(small_store, app_url, page, screenshots):
    runs = [r for r in list_runs(small_store) if r.benchmark == "llmbar"]
    expected = {(r.model, method_label(r.method)) for r in runs if r.limit is None}
    limited_only = {r.model for r in runs if r.limit is not None} - {m for m, _ in expected}
    assert expected and limited_only  # the store is what this test expects

    page.goto(app_url)
    _tab(page, TABS[0].label).wait_for()
    labels = [t.inner_text().strip() for t in page.get_by_role("tab").all()]
    assert labels == [tab.label for tab in TABS], (
        f"the page's tabs are {labels}; TABS in this file lists "
        f"{[tab.label for tab in TABS]} (it must list the app's tabs, in order)"
    )

    records = wait_until(
        lambda: dataframe_records(page, TABLE_LABEL),
        DEFAULT_TIMEOUT_MS / 1000,
        "the leaderboard table never rendered any rows",
    )
    shown = {(r["Model"], r["Method"]) for r in records if r["Kind"] == "model"}
    assert shown == expected
    assert not limited_only & {r["Model"] for r in records}  # limited runs hidden by default
    assert {r["Model"] for r in records if r["Kind"] == "rule"} == RULES
    assert any(r["Kind"] == "reported" for r in records)  # LLMBar's own evaluators
    flip = next(r for r in records if r["Method"] == "FLIP")
    assert flip["Neighbor"] == "100" and flip["Manual"] == "100"
    averages = [_number(r["Average"]) for r in records]
    known = [a for a in averages if a is not None]
    assert averages[: len(known)] == sorted(known, reverse=True)  # sorted by what it shows

    for tab in TABS:
        _tab(page, tab.label).click()
        wait_until(
            lambda tab=tab: _tab(page, tab.label).get_attribute("aria-selected") == "true",
            DEFAULT_TIMEOUT_MS / 1000,
            f"clicking {tab.label!r} did not select it",
        )
        page.get_by_text(tab.ready, exact=True).first.wait_for(state="visible")
        if tab.ready_selector:
            shown = page.locator(f"{tab.ready_selector} >> visible=true")
            wait_until(
                lambda tab=tab, shown=shown: shown.count() >= tab.ready_count,
                DEFAULT_TIMEOUT_MS / 1000,
                lambda tab=tab, shown=shown: (
                    f"{tab.label}: {shown.count()} of {tab.ready_count} {tab.ready_selector!r}"
                ),
            )
        path = screenshots.take(page, tab.id)
        assert path.stat().st_size > 10_000, f"{path} looks empty"


@needs_browser
def test_deep_link_opens_the_item_in_inspect(small_store, app_url, page, screenshots):
    item_id, instruction, flip_run = _planted_item(small_store)
    page.goto(app_url + query_string("inspect", item=item_id, runs=[flip_run]))

    wait_until(
        lambda: _tab(page, "Inspect").get_attribute("aria-selected") == "true",
        DEFAULT_TIMEOUT_MS / 1000,
        "the deep link did not open the Inspect tab",
    )
    item_box = page.get_by_label("Item", exact=True)
    wait_until(
        lambda: item_box.input_value() == item_id,
        DEFAULT_TIMEOUT_MS / 1000,
        lambda: f"Item dropdown shows {item_box.input_value()!r}, not {item_id!r}",
    )
    assert f"(run {flip_run})" in page.get_by_label("Run A (e.g. FLIP)", exact=True).input_value()

    def shows_item() -> bool:
        text = _item_view(page)
        return item_id in text and f"Original instruction\n{instruction}" in text

    wait_until(
        shows_item,
        DEFAULT_TIMEOUT_MS / 1000,
        lambda: f"Inspect never showed {item_id}; it shows: {page.inner_text('body')[-600:]!r}",
    )
    assert holds_for(shows_item, SETTLE_S), (
        f"Inspect showed {item_id} and then replaced it (a late update with stale inputs); "
        f"now it shows: {_item_view(page) or page.locator('.prose').last.inner_text()!r}"
    )
    view = _item_view(page)
    assert f"(run {flip_run})" in view  # only the run named in the link is shown
    other_runs = {r.run_id for r in item_detail(small_store, item_id).runs} - {flip_run}
    assert not any(f"(run {run})" in view for run in other_runs)
    screenshots.take(page, "inspect-deep-link")


@needs_browser
def test_planted_markup_shows_as_text_and_never_runs(small_store, app_url, page):
    item_id, _, _ = _planted_item(small_store)
    page.goto(app_url + "?tab=inspect")
    item_box = page.get_by_label("Item", exact=True)
    wait_until(lambda: item_box.input_value(), DEFAULT_TIMEOUT_MS / 1000, "Inspect never loaded")
    page.wait_for_timeout(SETTLE_S * 1000)  # let the page's own first updates finish

    # Choose the item as a user does, in the Item dropdown.
    item_box.click()
    page.get_by_role("option", name=item_id, exact=True).click()
    wait_until(
        lambda: item_id in _item_view(page) and "GOOD two" in _item_view(page),
        DEFAULT_TIMEOUT_MS / 1000,
        f"choosing {item_id} did not show it",
    )

    page.wait_for_timeout(500)  # an <img onerror> would have fired by now
    ran = page.evaluate("() => window.__xss")
    assert ran == [], f"the planted markup ran as code (window.flipPwned set to {ran})"
    view = page.locator(".flip-item").first
    text = view.inner_text()
    assert "<script>window.flipPwned = 1</script>" in text
    assert '<img src=x onerror="window.flipPwned=2">' in text
    assert "[click](javascript:alert(1))" in text
    assert view.locator("script, img, iframe, a[href^='javascript:']").count() == 0
    assert page.locator("[onerror]").count() == 0
    # ... and the trap would have seen it: an assignment is recorded.
    assert page.evaluate("() => { window.flipPwned = 'probe'; return window.__xss; }") == ["probe"]


@needs_browser
def test_deep_link_opens_a_comparison(small_store, app_url, page, screenshots):
    runs = {run.task: run.id for run in list_runs(small_store)}
    pair = [runs["judge_pairwise_llmbar_neighbor"], runs["flip_llmbar_neighbor"]]
    page.goto(app_url + query_string("compare", "llmbar", runs=pair))
    wait_until(
        lambda: "McNemar exact p" in page.inner_text("body"),
        DEFAULT_TIMEOUT_MS / 1000,
        lambda: f"Compare never showed the two runs; it shows: {page.inner_text('body')[-600:]!r}",
    )
    assert holds_for(lambda: "McNemar exact p" in page.inner_text("body"), SETTLE_S)
    screenshots.take(page, "compare-deep-link")


@needs_browser
def test_link_text_quoted_in_the_notice_stays_text(app_url, page):
    """An image in a shared link's ``?tab=`` is quoted in the notice as text: the browser
    never requests it (the bait points at a closed loopback port, nothing leaves here)."""
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    target = f"{BAIT}bait.png"
    bait = f"![x]({target})"
    page.goto(app_url + "?" + urlencode({"tab": bait}))
    wait_until(
        lambda: bait in page.inner_text("body"),
        DEFAULT_TIMEOUT_MS / 1000,
        lambda: (
            f"the notice never quoted the link; the page shows {page.inner_text('body')[:600]!r}"
        ),
    )
    page.wait_for_timeout(500)
    assert page.locator("img[src*='bait']").count() == 0
    assert not [url for url in requested if url.startswith(target)]  # the page's own URL quotes it


@needs_browser
def test_a_hostile_model_name_stays_text_in_the_notice_and_the_table(browser, tmp_path):
    name = f"![x]({BAIT}name.png) <img src={BAIT}tag.png>"
    with crafted_environment(tmp_path):
        engine = build_one_model_store(tmp_path, name)
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(DEFAULT_TIMEOUT_MS)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    try:
        with serve_on_loopback(engine) as url:
            page.goto(url)
            wait_until(
                lambda: page.inner_text("body").count(name) >= 2,  # the notice and the table
                DEFAULT_TIMEOUT_MS / 1000,
                lambda: f"the name never showed as text: {page.inner_text('body')[:600]!r}",
            )
            assert "This board holds a single real model" in page.inner_text("body")
            for tab in ("Charts", "Inspect", "Compare"):
                _tab(page, tab).click()
            page.wait_for_timeout(2000)
            assert page.locator(f"img[src^='{BAIT}']").count() == 0
            assert not [u for u in requested if u.startswith(BAIT)]
    finally:
        context.close()
