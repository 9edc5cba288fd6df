"""The Inspect page: one item in full, every candidate side by side with what each run made of it.

For FLIP runs, each candidate shows the instruction the model inferred from it, with the words
it shares with the original highlighted, and its F1; for FLIP-likelihood runs (this project's
extension), the log-probability of the original instruction given the candidate, its PMI
against the empty response and its per-token mean; for judges, the rating, verdict or pick
with the judge's reasoning (re-parsed from the stored raw output). All text is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from flip_core.parsing import parse_index, parse_score, parse_verdict
from flip_core.probes import PROBES
from flip_store.read.items import ItemDetail, RunOnItem
from leaderboard.escaping import escape_text, highlight_shared_words

LONG_TEXT_CHARS = 700

STYLE = """
<style>
.flip-item { font-family: system-ui, sans-serif; }
.flip-instruction { background: #f4f6fb; border-left: 4px solid #4a6cf7; padding: 8px 12px; }
.flip-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr));
             gap: 12px; margin-top: 12px; }
.flip-card { border: 1px solid #d0d5e0; border-radius: 6px; padding: 10px; }
.flip-card.gold { border: 2px solid #2e9d4f; }
.flip-badge { display: inline-block; font-size: 0.8em; padding: 1px 6px; border-radius: 8px;
              background: #e8ecf5; margin: 2px 4px 2px 0; }
.flip-badge.gold { background: #d5f1dd; }
.flip-badge.pick { background: #fde7c8; }
.flip-run { border-top: 1px dashed #d0d5e0; margin-top: 8px; padding-top: 6px; font-size: 0.92em; }
.flip-run mark { background: #fff3a3; }
</style>
"""


def _response_html(text: str) -> str:
    escaped = escape_text(text)
    if len(text) <= LONG_TEXT_CHARS:
        return f"<div>{escaped}</div>"
    preview = escape_text(text[:LONG_TEXT_CHARS])
    return (
        f"<details><summary>{preview}… ({len(text)} characters, click to expand)</summary>"
        f"<div>{escaped}</div></details>"
    )


def _probed_text(run: RunOnItem, text: str, instruction: str) -> str:
    """The rejected candidate as a probe run saw it: the probe is deterministic, so the store
    keeps the clean text and the edit is recomputed here (:mod:`flip_core.probes`)."""
    edited = PROBES[run.variant](text, instruction)
    return (
        f"<div class='flip-run'><b>As shown to {_run_label(run)}, edited by the "
        f"{escape_text(run.variant)} probe:</b>{_response_html(edited)}</div>"
    )


def _run_label(run: RunOnItem) -> str:
    return escape_text(f"{run.model} · {run.method} (run {run.run_id})")


def _flip_note(run: RunOnItem, position: int, instruction: str) -> str:
    call = next((c for c in run.calls if c.shown == [position]), None)
    score = run.scores.get(position)
    if call is None:
        return ""
    inferred = call.parsed_values[0] if call.parsed_values else None
    shown = inferred if inferred else call.raw_outputs[0]
    note = "" if inferred else " <em>(no instruction parsed; F1 on the raw output)</em>"
    f1 = "" if score is None else f" F1 {score:.2f}"
    return (
        f"<div class='flip-run'><b>{_run_label(run)}</b>{f1}{note}<br>"
        f"inferred: {highlight_shared_words(shown, instruction)}</div>"
    )


def _likelihood_note(run: RunOnItem, position: int) -> str:
    call = next((c for c in run.calls if c.shown == [position]), None)
    values = call.parsed_values[0] if call is not None and call.parsed_values else None
    if not isinstance(values, dict) or values.get("logprob") is None:
        return ""
    parts = [f"log p(instruction) {values['logprob']:.2f}"]
    if values.get("pmi") is not None:
        parts.append(f"PMI {values['pmi']:+.2f}")
    if values.get("logprob_per_token") is not None:
        parts.append(f"per unit {values['logprob_per_token']:.3f}")
    return f"<div class='flip-run'><b>{_run_label(run)}</b> {escape_text(' · '.join(parts))}</div>"


def _judge_note(run: RunOnItem, position: int) -> str:
    score = run.scores.get(position)
    value = "no score" if score is None else f"score {score:g}"
    reasons = []
    for call in run.calls:
        if position not in call.shown:
            continue
        raw = call.raw_outputs[0]
        if run.method == "judge_pointwise":
            parsed = parse_score(raw)
        elif run.method == "judge_pairwise":
            parsed = parse_verdict(raw)
        else:
            parsed = parse_index(raw, len(call.shown))
        if parsed.reasoning:
            reasons.append(escape_text(parsed.reasoning))
        if run.method == "judge_pointwise":
            break
    reasoning = f"<br>reasoning: {reasons[0]}" if reasons else ""
    if run.method == "judge_pairwise":
        value = f"{score:g} pairwise wins" if score is not None else "no wins"
    elif run.method == "judge_listwise":
        value = "picked" if score else "not picked"
    return f"<div class='flip-run'><b>{_run_label(run)}</b> {value}{reasoning}</div>"


def _tied_at_top(run: RunOnItem) -> set[int]:
    """Positions sharing the run's top score when more than one does (strict best-of-N counts
    that as wrong, so no candidate is shown as picked)."""
    # A candidate without a score (an unparsed rating) ranks below every scored one.
    scores = {p: -math.inf if v is None else v for p, v in run.scores.items()}
    if not scores:
        return set()
    top = max(scores.values())
    tied = {p for p, v in scores.items() if v == top}
    return tied if len(tied) > 1 else set()


def render_item(detail: ItemDetail, runs: Sequence[RunOnItem] | None = None) -> str:
    """The item as HTML: the instruction once, then every candidate with each run's view."""
    item = detail.item
    shown_runs = [
        r
        for r in (runs if runs is not None else detail.runs)
        if not r.method.startswith("baseline")
    ]
    cards = []
    for candidate in detail.candidates:
        position = candidate.position
        gold = item.gold_index == position
        badges = [
            f"<span class='flip-badge{' gold' if gold else ''}'>candidate {position}"
            f"{' · gold' if gold else ''}</span>"
        ]
        for run in shown_runs:
            tied = _tied_at_top(run)
            if position in tied:
                badges.append(
                    f"<span class='flip-badge pick'>tied top score for {_run_label(run)} "
                    "(no strict pick)</span>"
                )
            elif not tied and run.outcome is not None and run.outcome.picked_position == position:
                badges.append(f"<span class='flip-badge pick'>picked by {_run_label(run)}</span>")
        notes = [
            _flip_note(run, position, item.instruction)
            if run.method == "flip"
            else _likelihood_note(run, position)
            if run.method == "flipll"
            else _judge_note(run, position)
            for run in shown_runs
        ]
        edits = [
            _probed_text(run, candidate.text, item.instruction)
            for run in shown_runs
            if run.variant in PROBES and not gold
        ]
        cards.append(
            f"<div class='flip-card{' gold' if gold else ''}'>{''.join(badges)}"
            f"{_response_html(candidate.text)}{''.join(edits)}{''.join(notes)}</div>"
        )
    return (
        f"{STYLE}<div class='flip-item'><div><b>{escape_text(item.id)}</b></div>"
        f"<div class='flip-instruction'><b>Original instruction</b><br>"
        f"{escape_text(item.instruction)}</div>"
        f"<div class='flip-grid'>{''.join(cards)}</div></div>"
    )
