"""FLIP-likelihood (``flipll``), this project's extension of the paper: the numbers behind it.

FLIP-likelihood does not generate an instruction. It asks the scorer model the same
reconstruction question as FLIP, for each candidate response, and reads the teacher-forced
log-probability of the *original* instruction as the model's whole answer. Within one item the
scored continuation is identical for every candidate, so the summed log-probability ranks them
(the score ``acc`` uses). One extra request per item scores the instruction after an empty
response, the reference from which the pointwise mutual information is derived:

- ``pmi = logp(instruction | response) - logp(instruction | empty response)``: how much the
  response raises the instruction's likelihood. It ranks candidates exactly as the summed
  log-probability does (the subtracted term is shared within an item) but is comparable across
  items;
- ``per-token mean = logp(instruction | response) / scored units``: the units are the scored
  continuation's tokens under the model's tokenizer where it is available (else its
  characters; results record which), for rewards compared across items.

These functions are pure (no model, no lm-eval): the harness tasks, the results store and any
reward wrapper compute the derived values the same way.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flip_core.errors import FlipConfigError, FlipInputError
from flip_core.prompts import STOP_STRINGS

LogLikelihood = tuple[float, bool]
"""What a loglikelihood request returns: (summed log-probability, whether greedy decoding
would have produced exactly the continuation)."""


def pmi(logprob: float, reference_logprob: float) -> float:
    """Pointwise mutual information of instruction and response, in nats."""
    return logprob - reference_logprob


def per_token_mean(logprob: float, units: int) -> float:
    """The summed log-probability divided by the number of scored units (tokens or chars)."""
    if units <= 0:
        raise ValueError(f"a per-token mean needs at least one scored unit, got {units}")
    return logprob / units


@dataclass(frozen=True)
class LikelihoodValues:
    """One scored call: its log-probability and what is derived from it.

    ``pmi`` is None for the reference call (it is the reference); ``per_token`` is None where
    the number of scored units is unknown.
    """

    logprob: float
    is_greedy: bool
    pmi: float | None
    per_token: float | None
    units: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "logprob": self.logprob,
            "is_greedy": self.is_greedy,
            "pmi": self.pmi,
            "logprob_per_token": self.per_token,
            "scored_units": self.units,
        }


def derive(outputs: Sequence[LogLikelihood], units: int | None = None) -> list[LikelihoodValues]:
    """Derived values of one item's calls: candidates in order, then the reference (last)."""
    if len(outputs) < 2:
        raise ValueError("FLIP-likelihood needs at least one candidate call and the reference")
    reference = outputs[-1][0]
    values = []
    for index, (logprob, is_greedy) in enumerate(outputs):
        is_reference = index == len(outputs) - 1
        values.append(
            LikelihoodValues(
                logprob=logprob,
                is_greedy=is_greedy,
                pmi=None if is_reference else pmi(logprob, reference),
                per_token=None if units is None else per_token_mean(logprob, units),
                units=units,
            )
        )
    return values


def item_metrics(
    scores: Sequence[float | None], reference: float, gold_index: int
) -> dict[str, float]:
    """Per-item values the harness logs and the store re-checks: the chosen candidate's
    log-probability and PMI, and the mean over the rejected ones."""
    chosen = float(scores[gold_index])  # type: ignore[arg-type]
    rejected = [float(s) for i, s in enumerate(scores) if i != gold_index]  # type: ignore[arg-type]
    mean_rejected = sum(rejected) / len(rejected)
    return {
        "mean_logprob_chosen": chosen,
        "mean_logprob_rejected": mean_rejected,
        "mean_pmi_chosen": pmi(chosen, reference),
        "mean_pmi_rejected": pmi(mean_rejected, reference),
    }


LIKELIHOOD_METRICS = (
    "mean_logprob_chosen",
    "mean_logprob_rejected",
    "mean_pmi_chosen",
    "mean_pmi_rejected",
)


def read_loglikelihood(value: Any) -> LogLikelihood:
    """One logged (log-probability, is_greedy) pair, checked: a finite number and a boolean.

    lm-eval's samples files hold them as strings (``["-12.5", "False"]``); numbers and JSON
    booleans are accepted too. Anything else (NaN, infinities, text) is an input error.
    """
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise FlipInputError(f"expected a (log-probability, is_greedy) pair, got {value!r}")
    raw_logprob, raw_greedy = value
    if isinstance(raw_logprob, bool) or not isinstance(raw_logprob, str | int | float):
        raise FlipInputError(f"log-probability {raw_logprob!r} is not a number")
    try:
        logprob = float(raw_logprob)
    except ValueError:
        raise FlipInputError(f"log-probability {raw_logprob!r} is not a number") from None
    if not math.isfinite(logprob):
        raise FlipInputError(f"log-probability {raw_logprob!r} is not a finite number")
    if isinstance(raw_greedy, bool):
        return logprob, raw_greedy
    if raw_greedy in ("True", "False"):
        return logprob, raw_greedy == "True"
    raise FlipInputError(f"is_greedy {raw_greedy!r} is not a boolean")


# --- the teacher-forced request ---------------------------------------------------------

END_OF_TURN_MARKERS = (*STOP_STRINGS, "<|endoftext|>")
"""Markers that end an assistant turn in common chat templates: the generation tasks' stop
strings, plus the end-of-sequence token some templates (OLMo 2) close an assistant turn with."""
_NEXT_TURN_PROBE = "FLIP-LIKELIHOOD-NEXT-TURN-PROBE"

_logger = logging.getLogger(__name__)
ChatTemplate = Callable[..., str]


def likelihood_request(
    chat_template: ChatTemplate, messages: list[dict[str, str]], answer: str
) -> tuple[str, str]:
    """``(context, continuation)`` that score ``answer`` as the model's whole assistant turn.

    ``chat_template`` is lm-eval's hook (``lm.apply_chat_template``): with
    ``add_generation_prompt=False`` it renders the last message *open*, cut right after its
    content (transformers' ``continue_final_message``), so it cannot show how a turn ends. So:

    1. context = the conversation with the generation prompt: it ends exactly where the
       assistant's turn starts;
    2. the conversation plus an assistant message holding ``answer``, rendered open, must
       start with the context; what follows the context is the turn's text (the answer as the
       template writes it, e.g. after a template's own empty thinking block);
    3. the same plus a probe user turn shows what comes after the answer: when that starts
       with a known end-of-turn marker (``END_OF_TURN_MARKERS``), the marker is part of the
       continuation, so the score is the probability that the answer is the *whole* turn,
       not just its beginning. Otherwise the continuation ends with the answer (logged).
    """
    assistant = {"role": "assistant", "content": answer}
    context = chat_template(messages, add_generation_prompt=True)
    answered = chat_template([*messages, assistant], add_generation_prompt=False)
    if not answered.startswith(context):
        raise FlipConfigError(
            "flipll: this chat template does not render an assistant answer as its generation "
            "prompt followed by the answer, so the instruction cannot be scored as the "
            "assistant's whole turn"
        )
    probe = chat_template(
        [*messages, assistant, {"role": "user", "content": _NEXT_TURN_PROBE}],
        add_generation_prompt=False,
    )
    marker = ""
    if probe.startswith(answered):
        after = probe[len(answered) :]
        marker = next((m for m in END_OF_TURN_MARKERS if after.startswith(m)), "")
    if not marker:
        _warn_no_end_of_turn_marker()
    return context, answered[len(context) :] + marker


@lru_cache(maxsize=1)
def _warn_no_end_of_turn_marker() -> None:
    """Once per process, not once per request."""
    _logger.warning(
        "flipll: no known end-of-turn marker after an assistant turn in this chat template; "
        "the continuation is the instruction without one"
    )
