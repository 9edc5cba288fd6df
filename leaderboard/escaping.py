"""The one place that turns untrusted text into something the page shows as text.

Untrusted: model names, task names, instructions, responses, reconstructions, query
parameters and upload report lines (they come from submissions, datasets and URLs). Three
destinations, three functions:

- :func:`escape_text` for HTML (``gr.HTML``, plotly labels and hover text, which plotly.js
  reads as a subset of HTML): ``<script>`` or ``<img onerror=...>`` shows as text;
- :func:`inert_markdown` for text placed into ``gr.Markdown``: HTML-escaped *and* with every
  character Markdown gives a meaning written as a numeric entity, so neither ``<img src=...>``
  nor ``![x](https://...)`` nor ``[link](javascript:...)`` becomes an element or a request;
- :func:`highlight_shared_words`, HTML with the words that earned FLIP's F1 marked.
"""

from __future__ import annotations

import html
import re

from flip_core.similarity import normalize_answer

_WORD = re.compile(r"\S+")
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]()#!|~{}:<>&+\-.=\"'])")
MAX_MARKDOWN_CHARS = 1000
"""Longer untrusted text is cut (a notice or a report line is never a wall of text)."""


def escape_text(text: str | None) -> str:
    """HTML-escaped text with line breaks kept (quotes escaped too, safe in attributes)."""
    return html.escape(text or "", quote=True).replace("\n", "<br>")


def inert_markdown(text: str | None) -> str:
    """Untrusted text for ``gr.Markdown`` that neither HTML nor Markdown interprets.

    Markdown's special characters become numeric entities (``&#33;`` for ``!``), which a
    Markdown renderer passes through as literal characters and a browser shows as such;
    HTML's own specials are among them. Line breaks become spaces: a line break could start a
    Markdown block (a heading, a list) even with every character escaped.
    """
    source = " ".join((text or "").split())
    if len(source) > MAX_MARKDOWN_CHARS:
        source = source[:MAX_MARKDOWN_CHARS] + "…"
    return _MARKDOWN_SPECIALS.sub(lambda match: f"&#{ord(match.group(1))};", source)


def highlight_shared_words(text: str | None, reference: str) -> str:
    """``text`` escaped, with the words it shares with ``reference`` (as F1 counts them) marked.

    Words are compared after the same SQuAD normalisation as the reward, so what is marked is
    exactly what earned the overlap.
    """
    shared = set(normalize_answer(reference).split())
    pieces, last = [], 0
    source = text or ""
    for match in _WORD.finditer(source):
        pieces.append(escape_text(source[last : match.start()]))
        word = match.group(0)
        tokens = normalize_answer(word).split()
        escaped = escape_text(word)
        pieces.append(f"<mark>{escaped}</mark>" if tokens and set(tokens) <= shared else escaped)
        last = match.end()
    pieces.append(escape_text(source[last:]))
    return "".join(pieces)
