"""The Inspect page: one item in full, every candidate side by side with what each run made of it.

Each run's calls are rendered by the method's :class:`~flip_core.methods.OutputKind`, never by
its name, so a newly registered method shows with no change here:

- reconstruction: the instruction the model inferred from the candidate, the words it shares
  with the original highlighted, and its F1; what a guarded method's restatement guard did;
- rating, verdict, pick: the judge's score, pairwise wins or pick, with its reasoning
  (re-parsed from the stored raw output);
- logprob: the log-probability of the original instruction given the candidate, its PMI
  against the empty response and its per-token mean.

Whether each call finished by itself (or was cut at the token limit) is shown where known;
ties at the top score are marked (strict accuracy counts them wrong, so nothing is "picked");
a probe run's edited candidate text is shown under the candidate it changed. Each candidate
also shows how much of the instruction's wording it repeats (its instruction coverage): FLIP
favours candidates that echo the instruction, right or wrong (docs/method.md, section 10). All
text is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from flip_core.methods import OutputKind
from flip_core.parsing import Parsed, parse_index, parse_score, parse_verdict
from flip_core.probes import PROBES
from flip_core.restatement import GuardDecision
from flip_core.similarity import instruction_coverage
from flip_store.read.items import CallView, ItemDetail, RunOnItem
from leaderboard.catalog import method_label, output_kind
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
.flip-status { color: #555; font-size: 0.9em; }
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


def _run_label(run: RunOnItem) -> str:
    return escape_text(f"{run.model} · {method_label(run.method)} (run {run.run_id})")


def _probed_text(run: RunOnItem, text: str, instruction: str) -> str:
    """The rejected candidate as a probe run saw it: the probe is deterministic, so the store
    keeps the clean text and the edit is recomputed here (:mod:`flip_core.probes`)."""
    edited = PROBES[run.variant](text, instruction)
    return (
        f"<div class='flip-run'><b>As shown to {_run_label(run)}, edited by the "
        f"{escape_text(run.variant)} probe:</b>{_response_html(edited)}</div>"
    )


def _calls_showing(run: RunOnItem, position: int) -> list[CallView]:
    return [call for call in run.calls if position in call.shown]


def guard_text(guard: dict) -> str:
    """What a restatement guard did, in the guard's own words
    (:meth:`flip_core.restatement.GuardDecision.summary`: ``guard applied: response scored as
    empty (100% of the instruction restated)``); a record it cannot read says so."""
    try:
        return GuardDecision.from_dict(guard).summary()
    except (KeyError, TypeError, ValueError):
        return "guard record unreadable"


def _status(calls: Sequence[CallView]) -> str:
    """Whether the calls finished by themselves, and what a guard did (escaped)."""
    parts = [guard_text(call.guard) for call in calls if call.guard]
    known = [call.finished for call in calls if call.finished is not None]
    if known and all(known):
        parts.append("finished" if len(known) == 1 else f"all {len(known)} calls finished")
    elif known:
        cut = known.count(False)
        parts.append(f"{cut} of {len(known)} call(s) cut at the token limit (did not finish)")
    if not parts:
        return ""
    return f"<br><span class='flip-status'>{escape_text('; '.join(parts))}</span>"


def _reconstruction(run: RunOnItem, position: int, instruction: str) -> str:
    call = next((c for c in run.calls if c.shown == [position]), None)
    if call is None:
        return ""
    score = run.scores.get(position)
    inferred = call.parsed_values[0] if call.parsed_values else None
    shown = inferred if isinstance(inferred, str) and inferred else call.raw_outputs[0]
    note = "" if inferred else " <em>(no instruction parsed; F1 on the raw output)</em>"
    samples = len(call.raw_outputs)
    of = f" (sample 1 of {samples})" if samples > 1 else ""
    f1 = "" if score is None else f" F1 {score:.2f}"
    return (
        f"<b>{_run_label(run)}</b>{f1}{note}<br>"
        f"inferred{of}: {highlight_shared_words(shown, instruction)}{_status([call])}"
    )


def _logprob(run: RunOnItem, position: int, instruction: str) -> str:
    call = next((c for c in run.calls if c.shown == [position]), None)
    values = call.parsed_values[0] if call is not None and call.parsed_values else None
    if not isinstance(values, dict) or values.get("logprob") is None:
        return ""
    parts = [f"log p(instruction) {values['logprob']:.2f}"]
    if values.get("pmi") is not None:
        parts.append(f"PMI {values['pmi']:+.2f}")
    if values.get("logprob_per_token") is not None:
        parts.append(f"per unit {values['logprob_per_token']:.3f}")
    return f"<b>{_run_label(run)}</b> {escape_text(' · '.join(parts))}{_status([call])}"


def _judged(value: Callable[[float | None], str], parse: Callable[[str, CallView], Parsed]):  # type: ignore[no-untyped-def]
    """A judge's note: its value for the candidate and the reasoning of the first call that
    showed it (re-parsed from the raw output, which the store keeps)."""

    def note(run: RunOnItem, position: int, instruction: str) -> str:
        calls = _calls_showing(run, position)
        reasons = [
            r
            for call in calls[:1]
            if call.raw_outputs and (r := parse(call.raw_outputs[0], call).reasoning)
        ]
        reasoning = f"<br>reasoning: {escape_text(reasons[0])}" if reasons else ""
        score = run.scores.get(position)
        return f"<b>{_run_label(run)}</b> {value(score)}{reasoning}{_status(calls)}"

    return note


RENDERERS: dict[OutputKind, Callable[[RunOnItem, int, str], str]] = {
    OutputKind.RECONSTRUCTION: _reconstruction,
    OutputKind.LOGPROB: _logprob,
    OutputKind.RATING: _judged(
        lambda s: "no rating parsed" if s is None else f"rating {s:g}",
        lambda raw, call: parse_score(raw),
    ),
    OutputKind.VERDICT: _judged(
        lambda s: "no wins" if s is None else f"{s:g} pairwise wins",
        lambda raw, call: parse_verdict(raw),
    ),
    OutputKind.PICK: _judged(
        lambda s: "picked" if s else "not picked",
        lambda raw, call: parse_index(raw, len(call.shown)),
    ),
}
"""How a call's output is shown, per output kind."""


def _unknown(run: RunOnItem, position: int, instruction: str) -> str:
    """A method the registry does not know: its score and first raw output, as text."""
    calls = _calls_showing(run, position)
    score = run.scores.get(position)
    raw = calls[0].raw_outputs[0] if calls and calls[0].raw_outputs else ""
    value = "no score" if score is None else f"score {score:g}"
    return f"<b>{_run_label(run)}</b> {value}<br>output: {escape_text(raw)}{_status(calls)}"


def _run_note(run: RunOnItem, position: int, instruction: str) -> str:
    kind = output_kind(run.method)
    render = RENDERERS.get(kind, _unknown) if kind is not None else _unknown
    body = render(run, position, instruction)
    return f"<div class='flip-run'>{body}</div>" if body else ""


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


def _badges(runs: Sequence[RunOnItem], position: int, gold: bool) -> str:
    badges = [
        f"<span class='flip-badge{' gold' if gold else ''}'>candidate {position}"
        f"{' · gold' if gold else ''}</span>"
    ]
    for run in runs:
        tied = _tied_at_top(run)
        if position in tied:
            badges.append(
                f"<span class='flip-badge pick'>tied top score for {_run_label(run)} "
                "(no strict pick)</span>"
            )
        elif not tied and run.outcome.picked_position == position:
            badges.append(f"<span class='flip-badge pick'>picked by {_run_label(run)}</span>")
    return "".join(badges)


def _coverage(text: str, instruction: str) -> str:
    share = instruction_coverage(text, instruction)
    return f"<div class='flip-status'>repeats {share:.0%} of the instruction's words</div>"


def render_item(detail: ItemDetail, runs: Sequence[RunOnItem] | None = None) -> str:
    """The item as HTML: the instruction once, then every candidate with each run's view
    (``runs``: those runs only; default every run in ``detail``)."""
    item = detail.item
    shown_runs = list(detail.runs if runs is None else runs)
    cards = []
    for candidate in detail.candidates:
        position = candidate.position
        gold = item.gold_index == position
        notes = [_run_note(run, position, item.instruction) for run in shown_runs]
        edits = [
            _probed_text(run, candidate.text, item.instruction)
            for run in shown_runs
            if run.variant in PROBES and not gold
        ]
        cards.append(
            f"<div class='flip-card{' gold' if gold else ''}'>"
            f"{_badges(shown_runs, position, gold)}{_coverage(candidate.text, item.instruction)}"
            f"{_response_html(candidate.text)}{''.join(edits)}{''.join(notes)}</div>"
        )
    return (
        f"{STYLE}<div class='flip-item'><div><b>{escape_text(item.id)}</b></div>"
        f"<div class='flip-instruction'><b>Original instruction</b><br>"
        f"{escape_text(item.instruction)}</div>"
        f"<div class='flip-grid'>{''.join(cards)}</div></div>"
    )
