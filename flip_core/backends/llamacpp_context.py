"""One GGUF model in one llama.cpp context: loading it, and evaluating tokens into its cache.

The layer under :class:`flip_core.backends.llamacpp_engine.LlamaCppEngine`, which adds the
decoding algorithms (continuous batching, log-likelihoods) on top. Here are the model's
lifecycle, its tokeniser, and the key/value cache driven through llama.cpp's low-level batch
API:

- **Shared prefix.** All prompts of one method share the system message; its key/value cache is
  computed once per call in a sequence of its own and shared by every other sequence
  (``llama_memory_seq_cp`` in a unified cache copies nothing), so only the part after it is
  prefilled.
- **Logits only where needed.** Evaluating tokens asks for logits from a given position on
  only; ``logits_all`` would project every position onto the whole vocabulary.

llama-cpp-python is an optional extra (``pip install 'flip-reward-bench[llamacpp]'``); this is
the one module that imports it, and importing it without the extra raises a one-line
:class:`FlipModelError` naming the extra.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Sequence
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


class LlamaCppContext:
    """One GGUF model and one llama.cpp context with a unified key/value cache.

    ``n_ctx`` is the cache size shared by all parallel sequences (``n_parallel`` of them, plus
    one that holds the shared prefix). ``max_length`` (default: the model's training context,
    at most ``n_ctx``) is the longest single sequence.
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
        # Not contextlib.suppress: at interpreter exit this module's globals (contextlib, the
        # bindings) may already be None, and the error would be printed instead of suppressed.
        try:
            self.close()
        except Exception:
            pass

    # --- key/value cache ----------------------------------------------------------------

    def _check_fits(self, length: int, what: str) -> None:
        if length > self.max_length:
            raise FlipModelError(
                f"{what} needs {length} tokens, more than this model's context of "
                f"{self.max_length} tokens"
            )

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

    def _forget(self, seq: int) -> None:
        """Drop sequence ``seq`` from the cache, so the next prompt can use it."""
        _llama.llama_memory_seq_rm(self._memory, seq, -1, -1)

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


_LOG_CALLBACK = None


def _quiet_logs() -> None:
    """Silence llama.cpp's load-time chatter (kept alive: ctypes must not free the callback)."""
    global _LOG_CALLBACK
    if _LOG_CALLBACK is None:
        _LOG_CALLBACK = _llama.llama_log_callback(lambda level, text, user_data: None)
        _llama.llama_log_set(_LOG_CALLBACK, ctypes.c_void_p())
