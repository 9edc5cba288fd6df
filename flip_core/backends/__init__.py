"""Generation backends: transformers (any device, batched), llama.cpp (GGUF on CPU, optional)
and vLLM (GPU, optional)."""

from __future__ import annotations

from typing import Any

from flip_core.backends.base import Generation, GenerationBackend
from flip_core.errors import FlipConfigError

BACKENDS = ("hf", "llamacpp", "vllm")


def make_backend(name: str, model: str | None = None, **options: Any) -> GenerationBackend:
    """Build a backend by name; llama.cpp and vLLM are imported only when asked for."""
    if name == "hf":
        from flip_core.backends.hf import TransformersBackend

        return TransformersBackend(model, **options)
    if name == "llamacpp":
        from flip_core.backends.llamacpp import LlamaCppBackend

        return LlamaCppBackend(model, **options)
    if name == "vllm":
        from flip_core.backends.vllm_backend import VLLMBackend

        return VLLMBackend(model, **options)
    raise FlipConfigError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")


__all__ = ["BACKENDS", "Generation", "GenerationBackend", "make_backend"]
