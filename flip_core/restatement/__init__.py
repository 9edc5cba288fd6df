"""Detecting and neutralising a response that restates its instruction (FLIP's weak spot).

A response that opens with (or quotes) its own instruction hands FLIP the answer: the scorer
model copies the restated instruction into its reconstruction, and FLIP-likelihood's
teacher-forced instruction becomes almost certain. Under the ``hack_restate`` probe
(:func:`flip_core.probes.restate_instruction`) FLIP falls from 49.3% to 32.8% on LLMBar
Neighbor and FLIP-likelihood from 67.9% to 0.0%. This package measures a restatement and
decides what to do about it; it is pure (no model, no store), so every method, the store and
the UI apply and record the same guard.

**Guard.** :func:`guard` applies one of :data:`POLICIES` when the coverage reaches the
policy's threshold (:data:`THRESHOLDS`) and returns a :class:`GuardDecision` to record per
call. ``strip`` and ``zero`` change the text the scorer sees (``decision.guarded_text``);
``penalise`` keeps the text and scales the reward (:func:`penalised_reward`)::

    decision = guard(instruction, response, policy="strip")
    reward = score(instruction, decision.guarded_text)           # strip / zero
    reward = penalised_reward(score(instruction, response), decision, floor=0.0)  # penalise
    store(decision.to_dict()); ui(decision.summary())

The parts: :mod:`~flip_core.restatement.detection` cuts both texts into words and finds the
restated spans (:func:`restatement`), :mod:`~flip_core.restatement.policies` names the policies
and their thresholds, :mod:`~flip_core.restatement.guarding` applies one (:func:`guard`), and
:mod:`~flip_core.restatement.decision` is the record of what it did (:class:`GuardDecision`).
"""

from flip_core.restatement.decision import GuardDecision
from flip_core.restatement.detection import DEFAULT_N, Restatement, restatement, words
from flip_core.restatement.guarding import cut_spans, guard, penalised_reward
from flip_core.restatement.policies import (
    PENALISE,
    PENALISE_THRESHOLD,
    POLICIES,
    STRIP,
    STRIP_THRESHOLD,
    THRESHOLDS,
    ZERO,
    ZERO_THRESHOLD,
)

__all__ = [
    "DEFAULT_N",
    "PENALISE",
    "PENALISE_THRESHOLD",
    "POLICIES",
    "STRIP",
    "STRIP_THRESHOLD",
    "THRESHOLDS",
    "ZERO",
    "ZERO_THRESHOLD",
    "GuardDecision",
    "Restatement",
    "cut_spans",
    "guard",
    "penalised_reward",
    "restatement",
    "words",
]
