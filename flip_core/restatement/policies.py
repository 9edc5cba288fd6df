"""The restatement guard's policies and the coverage at which each one acts.

The thresholds are measured choices (their docstrings give the measurements on LLMBar);
:func:`flip_core.restatement.guarding.guard` applies them.
"""

from __future__ import annotations

STRIP = "strip"
PENALISE = "penalise"
ZERO = "zero"
POLICIES = (STRIP, PENALISE, ZERO)
"""The guard's policies, for integrators to compare on real data:

- ``strip``: cut restated spans out of the response; the scorer sees what is left.
- ``penalise``: score the response as it is, then scale the reward toward the scale's floor by
  how far the coverage exceeds the threshold
  (:func:`~flip_core.restatement.guarding.penalised_reward`).
- ``zero``: a response that restates at least the threshold of its instruction is scored as if
  it were empty (``guarded_text == ""``).
"""

STRIP_THRESHOLD = 0.5
"""``strip`` fires when at least half the instruction's words are restated, and then cuts only
as much as brings the coverage under half. A false positive costs little: the answer loses its
echo of the instruction ("Three ways to extend the battery life of a laptop: ...", 24% of its
characters on average) and keeps its content, and echoes are what FLIP feeds on anyway. Clean
LLMBar responses reach half their instruction 11% of the time (35 of 319 chosen, 34 of 319
rejected), but not evenly: more often the chosen ones on Neighbor (8.2% against 3.7%) and
GPTInst (18.5% / 5.4%), the rejected ones on GPTOut (6.4% / 25.5%) and Manual (8.7% / 26.1%),
so check clean accuracy with the guard on. The ``hack_restate`` probe always reaches all of
the instruction; lower thresholds fire on many more clean responses (20% at 0.3) and catch no
probed one more."""

PENALISE_THRESHOLD = 0.5
"""``penalise`` fires on the same responses as ``strip`` (so the two policies differ only in
what they do, and compare on the same responses) and ramps the penalty linearly from none at
half the instruction to the full penalty at all of it: continuous, with no cliff for a trained
policy to learn to stop just under."""

ZERO_THRESHOLD = 0.9
"""``zero`` discards the whole response, the harshest policy, so it waits for a near-complete
restatement: 90% of the instruction, which a verbatim restatement with one word in ten changed
still reaches, and which clean LLMBar responses reach 0.8% of the time (2 of 319 chosen, 3 of
319 rejected; 3% at 0.8)."""

THRESHOLDS: dict[str, float] = {
    STRIP: STRIP_THRESHOLD,
    PENALISE: PENALISE_THRESHOLD,
    ZERO: ZERO_THRESHOLD,
}
"""Each policy's default coverage threshold (the guard fires at ``coverage >= threshold``)."""
