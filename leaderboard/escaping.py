"""The one place that turns untrusted text (model outputs, dataset texts) into HTML.

Everything shown from a response, an instruction or a reconstruction goes through
:func:`escape_text`, so ``<script>``, ``<img onerror=...>`` or markdown links show as text.
"""

from __future__ import annotations

import html
import re

from flip_core.similarity import normalize_answer

_WORD = re.compile(r"\S+")


def escape_text(text: str | None) -> str:
    """HTML-escaped text with line breaks kept (quotes escaped too, safe in attributes)."""
    return html.escape(text or "", quote=True).replace("\n", "<br>")


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
