"""llama.cpp's quantised CPU kernels, driven token by token through its low-level batch API.

The one implementation of generation and teacher-forced scoring on llama.cpp: the flip_core
backend (``flip score``, ``flip rerank``) and the lm-eval model class (``--model llamacpp``)
both call it. It takes token ids and returns token ids, so tokenisation and chat templates stay
with the Hugging Face tokenizer, exactly as the transformers backend and lm-eval's HFLM use them.

Why the low-level API rather than ``llama_cpp.Llama``:

- **Batched decoding.** On a CPU one sequence at a time is bound by memory bandwidth (every
  token reads all weights); decoding up to ``n_parallel`` sequences per step reads them once
  for all. Sequences join and leave the batch as they start and finish (continuous batching).
- **Shared prefix.** All prompts of one method share the system message; its key/value cache is
  computed once per call and shared by every sequence, so only the part after it is prefilled
  (:mod:`flip_core.backends.llamacpp_context`).
- **Logits only where needed.** A log-probability request asks for logits at the continuation's
  positions only; ``logits_all`` would project every position onto the whole vocabulary.

This module holds the decoding algorithms; the model, its context and key/value cache are
:class:`~flip_core.backends.llamacpp_context.LlamaCppContext`, and the pure-Python sampling
and logit arithmetic is :mod:`flip_core.backends.llamacpp_sampling` (importable without
llama.cpp). llama-cpp-python is an optional extra (``pip install
'flip-reward-bench[llamacpp]'``); importing this module without it raises a one-line
:class:`FlipModelError` naming the extra.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from flip_core.backends.llamacpp_context import LlamaCppContext
from flip_core.backends.llamacpp_sampling import (
    Generated,
    Sampling,
    common_prefix,
    log_sum_exp,
    pick_token,
)
from flip_core.errors import FlipModelError


@dataclass
class _Slot:
    """A prompt being generated: its place in the cache, the token to feed next, the cache it
    has reserved (prompt plus token budget) and the tail of its text that stop strings are
    looked for in."""

    index: int
    position: int
    next_token: int
    reserved: int
    out: Generated
    tail: bytes = b""


class LlamaCppEngine(LlamaCppContext):
    """Generation and log-likelihoods on one GGUF model (:class:`LlamaCppContext`).

    ``n_ctx`` is the cache size shared by all parallel sequences; a prompt is admitted only
    when its length plus its token budget fits beside the ones running, so nothing is evicted
    mid-generation. ``max_length`` (default: the model's training context, at most ``n_ctx``)
    is the longest single sequence.
    """

    def generate(
        self,
        prompts: Sequence[Sequence[int]],
        sampling: Sampling,
        stop_strings: Sequence[str] = (),
        on_done: Callable[[int, Generated], None] | None = None,
        parallel: int | None = None,
    ) -> list[Generated]:
        """Continue every prompt, ``parallel`` (at most and by default ``n_parallel``) at a
        time; results in input order.

        Generation of a prompt ends at an end-of-generation token (kept, as transformers
        counts it), when its decoded text contains one of ``stop_strings``, or after
        ``sampling.max_new_tokens`` tokens (``finished`` False). ``on_done(index, result)`` is
        called as each prompt finishes (progress bars; caches that keep finished work when a
        long run is interrupted).
        """
        results: list[Generated] = [Generated() for _ in prompts]
        if not prompts:
            return results
        for index, prompt in enumerate(prompts):
            self._check_fits(len(prompt) + sampling.max_new_tokens, f"prompt {index}")
        self._set_prefix(common_prefix(prompts))
        rng = np.random.default_rng(sampling.seed)
        stops = [s.encode() for s in stop_strings if s]
        pending = list(range(len(prompts)))
        running: dict[int, _Slot] = {}
        free = list(range(min(parallel or self.n_parallel, self.n_parallel)))
        while pending or running:
            while pending and free and self._fits_beside(running, prompts[pending[0]], sampling):
                index = pending.pop(0)
                seq = free.pop()
                logits = self._prefill(seq, prompts[index])
                token = pick_token(logits, sampling, rng)
                slot = _Slot(
                    index,
                    len(prompts[index]),
                    token,
                    self._need(prompts[index], sampling),
                    results[index],
                )
                if self._accept(slot, token, sampling, stops):
                    running[seq] = slot
                else:
                    self._release(seq, free, on_done, slot)
            if not running:
                continue
            seqs = list(running)
            self._fill_batch([(running[s].next_token, running[s].position, s, True) for s in seqs])
            self._decode()
            for row, seq in enumerate(seqs):
                slot = running[seq]
                slot.position += 1
                token = pick_token(self._logits(row), sampling, rng)
                slot.next_token = token
                if not self._accept(slot, token, sampling, stops):
                    del running[seq]
                    self._release(seq, free, on_done, slot)
        return results

    def loglikelihood(
        self,
        requests: Sequence[tuple[Sequence[int], Sequence[int]]],
        on_done: Callable[[int, tuple[float, bool]], None] | None = None,
    ) -> list[tuple[float, bool]]:
        """Summed log-probability of each continuation after its context, and whether greedy
        decoding would have produced exactly it (lm-eval's ``(logprob, is_greedy)``).

        Logits are computed only at the positions that predict continuation tokens; the
        prefix shared by all contexts is evaluated once.
        """
        if not requests:
            return []
        for index, (context, continuation) in enumerate(requests):
            if not context or not continuation:
                raise FlipModelError("a likelihood request needs a context and a continuation")
            self._check_fits(len(context) + len(continuation), f"request {index}")
        self._set_prefix(common_prefix([context for context, _ in requests]))
        scored = []
        seq = 0
        for index, (context, continuation) in enumerate(requests):
            whole = list(context) + list(continuation)
            first_scored = len(context) - 1  # the position whose logits predict continuation[0]
            rows = self._evaluate(seq, whole, first_output=first_scored)
            total, greedy = 0.0, True
            for offset, target in enumerate(continuation):
                logits = rows[offset]
                total += float(logits[target] - log_sum_exp(logits))
                greedy = greedy and int(logits.argmax()) == target
            scored.append((total, greedy))
            self._forget(seq)
            if on_done:
                on_done(index, scored[-1])
        return scored

    # --- generation steps ---------------------------------------------------------------

    def _accept(self, slot: _Slot, token: int, sampling: Sampling, stops: list[bytes]) -> bool:
        """Record a generated token; False when the sequence is done."""
        out = slot.out
        out.tokens.append(token)
        if self.is_end_of_generation(token):
            out.finished = True
            return False
        if stops:
            piece = self._piece(token)
            slot.tail = (slot.tail + piece)[-(max(map(len, stops)) + len(piece)) :]
            hit = next((stop for stop in stops if stop in slot.tail), None)
            if hit is not None:
                out.finished, out.stop_hit = True, hit.decode()
                return False
        if len(out.tokens) >= sampling.max_new_tokens:
            return False
        return True

    def _release(
        self,
        seq: int,
        free: list[int],
        on_done: Callable[[int, Generated], None] | None,
        slot: _Slot,
    ) -> None:
        self._forget(seq)
        free.append(seq)
        if on_done:
            on_done(slot.index, slot.out)

    def _need(self, prompt: Sequence[int], sampling: Sampling) -> int:
        return len(prompt) + sampling.max_new_tokens

    def _fits_beside(
        self, running: dict[int, _Slot], prompt: Sequence[int], sampling: Sampling
    ) -> bool:
        """Whether a prompt's whole budget fits in the cache beside the running ones (a
        lone prompt always fits: :meth:`_check_fits` bounds it by the context size)."""
        if not running:
            return True
        reserved = len(self._prefix) + sum(slot.reserved for slot in running.values())
        return reserved + self._need(prompt, sampling) <= self.n_ctx
