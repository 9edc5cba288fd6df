"""Untrusted text placed into gr.Markdown: the notice under the header and a shared link's notes.

Regression: the single-model notice put a model name into Markdown unescaped (an ``<img
src=...>`` in the name made the browser fetch it), and the ``?tab=`` / ``?benchmark=`` notes
put query text into Markdown (an image link in the URL made an outbound request). Both now go
through :func:`leaderboard.escaping.inert_markdown`; a CommonMark renderer (markdown-it, with
raw HTML allowed, as ``gr.Markdown`` renders) must turn them into plain text.
"""

from __future__ import annotations

import html
import re

import pytest
from harness_fakes import build_one_model_store, crafted_environment
from markdown_it import MarkdownIt

from leaderboard.deep_links import parse_query
from leaderboard.escaping import inert_markdown
from leaderboard.views import LeaderboardViews

HOSTILE_NAME = "![x](https://evil.example/name.png) <img src=https://evil.example/name.gif>"
HOSTILE_TEXTS = [
    HOSTILE_NAME,
    "[click](javascript:alert(1)) **bold** `code` <https://evil.example/a>",
    "www.evil.example # heading | table | ~~gone~~ \\ {x} _y_ 1. item",
    "line one\n# a heading on line two\n- a list",
    "&lt;already escaped&gt; &#33; & <",
]


@pytest.fixture(scope="module")
def one_model_store(tmp_path_factory):
    """A store with one real model, whose name is hostile Markdown and HTML."""
    root = tmp_path_factory.mktemp("one-model")
    with crafted_environment(root):
        return build_one_model_store(root, HOSTILE_NAME)


def shown_text(markdown_text: str) -> tuple[str, str]:
    """(the HTML a CommonMark renderer makes of it, the text a browser shows of that)."""
    rendered = MarkdownIt("commonmark").render(markdown_text)
    return rendered, html.unescape(re.sub(r"<[^>]*>", "", rendered))


def assert_inert(markdown_text: str, untrusted: str) -> None:
    for raw in ("<img", "![", "](", "<a", "javascript:"):
        assert raw not in markdown_text, raw
    rendered, visible = shown_text(markdown_text)
    assert "<img" not in rendered and "<a " not in rendered
    assert " ".join(untrusted.split()) in visible


def test_the_single_model_notice_shows_a_hostile_name_as_text(one_model_store):
    views = LeaderboardViews(one_model_store)
    assert views.real_models() == [HOSTILE_NAME]
    notice = views.notice()
    assert notice.startswith("**This board holds a single real model (")
    assert_inert(notice, HOSTILE_NAME)


@pytest.mark.parametrize("parameter", ["tab", "benchmark"])
def test_deep_link_notes_quote_the_link_as_inert_text(small_store, parameter):
    link = "![x](https://evil.example/link.png)"
    state = parse_query({parameter: link})
    assert state.notes  # the link is refused, and the note quotes it
    notice = LeaderboardViews(small_store).notice(state)
    assert_inert(notice, link)
    assert "models in the store." in notice


def test_a_missing_item_in_a_link_is_noted(small_store):
    notice = LeaderboardViews(small_store).notice(parse_query({"item": "llmbar:neighbor:99"}))
    _, visible = shown_text(notice)
    assert "no item 'llmbar:neighbor:99' in this store" in visible


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_inert_markdown_keeps_the_words_and_drops_every_meaning(text):
    inert = inert_markdown(text)
    assert not re.search(r"[<>\[\]()!*_`#|~\\{}]", inert.replace("&#", ""))
    rendered, visible = shown_text(inert)
    assert rendered.startswith("<p>") and rendered.count("<") == 2  # one paragraph, no markup
    assert visible.strip() == " ".join(text.split())


def test_inert_markdown_bounds_its_length():
    assert len(html.unescape(inert_markdown("a" * 5000))) <= 1001
