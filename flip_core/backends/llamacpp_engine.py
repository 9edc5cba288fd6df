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
  computed once per call and shared by every sequence (``llama_memory_seq_cp`` in a unified
  cache copies nothing), so only the part after it is prefilled.
- **Logits only where needed.** A log-probability request asks for logits at the continuation's
  positions only; ``logits_all`` would project every position onto the whole vocabulary.

llama-cpp-python is an optional extra (``pip install 'flip-reward-bench[llamacpp]'``); importing
this module without it raises a one-line :class:`FlipModelError` naming the extra.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from flip_core.errors import FlipModelError

INSTALL_HINT = "pip install 'flip-reward-bench[llamacpp]'"

try:
    import llama_cpp as _llama
except ImportError:  # pragma: no cover - exercised by the missing-extra test in a subprocess
    raise FlipModelError(f"the llamacpp backend needs llama-cpp-python: {INSTALL_HINT}") from None

_BATCH_TOKENS = 512
"""Tokens per llama_decode call (llama.cpp's default micro-batch)."""


def default_threads() -> int:
    """All cores this process may use (one process per model, as llama.cpp prefers)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Sampling:
    """How to pick the next token: greedy when ``temperature`` is 0, else seeded sampling.

    ``top_k`` 0 and ``top_p`` 1.0 mean no truncation (pure temperature sampling, the paper's
    protocol); other values apply as in transformers.
    """

    max_new_tokens: int
    temperature: float = 0.0
    top_k: int = 0
    top_p: float = 1.0
    seed: int = 1234

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0.0


@dataclass
class Generated:
    """The tokens one prompt produced, up to and including its end-of-generation token.

    ``finished`` is False when the token limit cut it off; ``stop_hit`` names the stop string
    that ended it, if one did (the tokens then run up to the token that completed it).
    """

    tokens: list[int] = field(default_factory=list)
    finished: bool = False
    stop_hit: str | None = None


@dataclass
class _Slot:
    index: int
    position: int
    next_token: int
    reserved: int
    out: Generated
    tail: bytes = b""


class LlamaCppEngine:
    """One GGUF model and one llama.cpp context with a unified key/value cache.

    ``n_ctx`` is the cache size shared by all parallel sequences; a prompt is admitted only
    when its length plus its token budget fits beside the ones running, so nothing is evicted
    mid-generation. ``max_length`` (default: the model's training context, at most ``n_ctx``)
    is the longest single sequence.
    """

    def __init__(
        self,
        gguf_path: str | Path,
        *,
        n_threads: int | None = None,
        n_ctx: int = 16384,
        n_parallel: int = 8,
        use_extra_buffers: bool = False,
    ) -> None:
        path = Path(gguf_path)
        if not path.is_file():
            raise FlipModelError(f"{path} is not a GGUF file")
        _quiet_logs()
        _llama.llama_backend_init()
        model_params = _llama.llama_model_default_params()
        model_params.use_extra_bufts = use_extra_buffers
        self._model = _llama.llama_model_load_from_file(str(path).encode(), model_params)
        if not self._model:
            raise FlipModelError(f"llama.cpp could not load {path}")
        self.n_parallel = max(1, int(n_parallel))
        threads = n_threads or default_threads()
        context_params = _llama.llama_context_default_params()
        context_params.n_ctx = int(n_ctx)
        context_params.n_batch = _BATCH_TOKENS
        context_params.n_ubatch = _BATCH_TOKENS
        context_params.n_seq_max = self.n_parallel + 1  # the last sequence holds the prefix
        context_params.kv_unified = True
        context_params.n_threads = threads
        context_params.n_threads_batch = threads
        self._ctx = _llama.llama_init_from_model(self._model, context_params)
        if not self._ctx:
            _llama.llama_model_free(self._model)
            raise FlipModelError(f"llama.cpp could not create a context of {n_ctx} tokens")
        self.n_threads = threads
        self.n_ctx = _llama.llama_n_ctx(self._ctx)
        self._vocab = _llama.llama_model_get_vocab(self._model)
        self.n_vocab = _llama.llama_vocab_n_tokens(self._vocab)
        self.max_length = min(_llama.llama_model_n_ctx_train(self._model), self.n_ctx)
        self.n_params = int(_llama.llama_model_n_params(self._model))
        self._memory = _llama.llama_get_memory(self._ctx)
        self._batch = _llama.llama_batch_init(_BATCH_TOKENS, 0, 1)
        self._prefix_seq = self.n_parallel
        self._prefix: list[int] = []

    # --- public -------------------------------------------------------------------------

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
        self._set_prefix(_common_prefix(prompts))
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
                token = _pick(logits, sampling, rng)
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
                token = _pick(self._logits(row), sampling, rng)
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
        self._set_prefix(_common_prefix([context for context, _ in requests]))
        scored = []
        seq = 0
        for index, (context, continuation) in enumerate(requests):
            whole = list(context) + list(continuation)
            first_scored = len(context) - 1  # the position whose logits predict continuation[0]
            rows = self._evaluate(seq, whole, first_output=first_scored)
            total, greedy = 0.0, True
            for offset, target in enumerate(continuation):
                logits = rows[offset]
                total += float(logits[target] - _log_sum_exp(logits))
                greedy = greedy and int(logits.argmax()) == target
            scored.append((total, greedy))
            _llama.llama_memory_seq_rm(self._memory, seq, -1, -1)
            if on_done:
                on_done(index, scored[-1])
        return scored

    def tokenize(self, text: str, special: bool = True) -> list[int]:
        """llama.cpp's own tokenisation (the backends tokenise with the HF tokenizer; tests use
        this to check that both agree on the same file)."""
        data = text.encode()
        buffer = (_llama.llama_token * (len(data) + 16))()
        count = _llama.llama_tokenize(
            self._vocab, data, len(data), buffer, len(buffer), False, special
        )
        if count < 0:
            raise FlipModelError(f"llama.cpp could not tokenise a text of {len(data)} bytes")
        return list(buffer[:count])

    def is_end_of_generation(self, token: int) -> bool:
        return bool(_llama.llama_vocab_is_eog(self._vocab, token))

    def close(self) -> None:
        """Free the context and the model (also done when the engine is garbage-collected)."""
        if getattr(self, "_ctx", None):
            _llama.llama_batch_free(self._batch)
            _llama.llama_free(self._ctx)
            self._ctx = None
        if getattr(self, "_model", None):
            _llama.llama_model_free(self._model)
            self._model = None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at interpreter exit the bindings may be gone
            self.close()

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
        _llama.llama_memory_seq_rm(self._memory, seq, -1, -1)
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

    def _check_fits(self, length: int, what: str) -> None:
        if length > self.max_length:
            raise FlipModelError(
                f"{what} needs {length} tokens, more than this model's context of "
                f"{self.max_length} tokens"
            )

    # --- key/value cache ----------------------------------------------------------------

    def _set_prefix(self, prefix: list[int]) -> None:
        """Keep the shared prefix's cache in its own sequence; recompute it only on change."""
        prefix = prefix[: max(0, len(prefix) - 1)]  # every prompt keeps >= 1 token to prefill
        if prefix == self._prefix:
            return
        _llama.llama_memory_clear(self._memory, True)
        self._prefix = []
        if prefix:
            self._evaluate(self._prefix_seq, prefix, first_output=None, reuse_prefix=False)
            self._prefix = prefix

    def _prefill(self, seq: int, prompt: Sequence[int]) -> np.ndarray:
        """Evaluate a prompt in sequence ``seq``; the logits after its last token."""
        rows = self._evaluate(seq, list(prompt), first_output=len(prompt) - 1)
        return rows[0]

    def _evaluate(
        self,
        seq: int,
        tokens: list[int],
        first_output: int | None,
        reuse_prefix: bool = True,
    ) -> list[np.ndarray]:
        """Run ``tokens`` (positions from 0) in ``seq``, sharing the cached prefix when it
        matches; logits (copies) for every position from ``first_output`` on."""
        start = 0
        if reuse_prefix and self._prefix and tokens[: len(self._prefix)] == self._prefix:
            _llama.llama_memory_seq_cp(self._memory, self._prefix_seq, seq, 0, len(self._prefix))
            start = len(self._prefix)
        rows: list[np.ndarray] = []
        for chunk_start in range(start, len(tokens), _BATCH_TOKENS):
            chunk = tokens[chunk_start : chunk_start + _BATCH_TOKENS]
            wanted = [
                first_output is not None and chunk_start + i >= first_output
                for i in range(len(chunk))
            ]
            self._fill_batch([(t, chunk_start + i, seq, wanted[i]) for i, t in enumerate(chunk)])
            self._decode()
            rows.extend(self._logits(i).copy() for i, want in enumerate(wanted) if want)
        return rows

    def _fill_batch(self, entries: list[tuple[int, int, int, bool]]) -> None:
        batch = self._batch
        for i, (token, position, seq, logits) in enumerate(entries):
            batch.token[i] = token
            batch.pos[i] = position
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = seq
            batch.logits[i] = logits
        batch.n_tokens = len(entries)

    def _decode(self) -> None:
        status = _llama.llama_decode(self._ctx, self._batch)
        if status != 0:
            raise FlipModelError(
                f"llama.cpp could not evaluate a batch (llama_decode returned {status})"
            )

    def _logits(self, row: int) -> np.ndarray:
        pointer = _llama.llama_get_logits_ith(self._ctx, row)
        return np.ctypeslib.as_array(pointer, shape=(self.n_vocab,))

    def _piece(self, token: int) -> bytes:
        buffer = ctypes.create_string_buffer(64)
        size = _llama.llama_token_to_piece(self._vocab, token, buffer, len(buffer), 0, True)
        if size < 0:
            buffer = ctypes.create_string_buffer(-size)
            size = _llama.llama_token_to_piece(self._vocab, token, buffer, len(buffer), 0, True)
        return buffer.raw[:size]


def _pick(logits: np.ndarray, sampling: Sampling, rng: np.random.Generator) -> int:
    """The next token: argmax, or a draw from the temperature-scaled (and truncated) softmax."""
    if sampling.greedy:
        return int(logits.argmax())
    scaled = logits.astype(np.float64) / sampling.temperature
    if sampling.top_k and sampling.top_k < scaled.size:
        cutoff = np.partition(scaled, -sampling.top_k)[-sampling.top_k]
        scaled = np.where(scaled < cutoff, -np.inf, scaled)
    probabilities = np.exp(scaled - scaled.max())
    probabilities /= probabilities.sum()
    if sampling.top_p < 1.0:
        order = np.argsort(-probabilities)
        cumulative = np.cumsum(probabilities[order])
        keep = order[: int(np.searchsorted(cumulative, sampling.top_p)) + 1]
        mask = np.zeros_like(probabilities)
        mask[keep] = probabilities[keep]
        probabilities = mask / mask.sum()
    return int(rng.choice(probabilities.size, p=probabilities))


def _log_sum_exp(logits: np.ndarray) -> float:
    peak = float(logits.max())
    return peak + float(np.log(np.exp(logits - peak, dtype=np.float64).sum()))


def _common_prefix(sequences: Sequence[Sequence[int]]) -> list[int]:
    first = list(sequences[0])
    length = len(first)
    for other in sequences[1:]:
        limit = min(length, len(other))
        same = 0
        while same < limit and first[same] == other[same]:
            same += 1
        length = same
        if not length:
            break
    return first[:length]


_LOG_CALLBACK = None


def _quiet_logs() -> None:
    """Silence llama.cpp's load-time chatter (kept alive: ctypes must not free the callback)."""
    global _LOG_CALLBACK
    if _LOG_CALLBACK is None:
        _LOG_CALLBACK = _llama.llama_log_callback(lambda level, text, user_data: None)
        _llama.llama_log_set(_LOG_CALLBACK, ctypes.c_void_p())
