"""Generation with vLLM, for GPU users (``pip install 'flip-reward-bench[vllm]'``).

Prompts are rendered with the model's own chat template through the same function as the
transformers backend, so both backends send the model identical text; vLLM then schedules the
whole list itself (continuous batching), so there is no batch size to choose.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flip_core.backends.base import ChatTemplateBackend, Generation
from flip_core.errors import FlipConfigError
from flip_core.models import resolve_model
from flip_core.profiles import DecodingProfile


class VLLMBackend(ChatTemplateBackend):
    """A ``vllm.LLM`` engine; extra keyword options go to ``vllm.LLM`` unchanged."""

    def __init__(
        self,
        model: str | None = None,
        tensor_parallel_size: int = 1,
        gpu_memory_utilization: float = 0.9,
        dtype: str = "auto",
        max_model_len: int | None = None,
        **llm_options: Any,
    ) -> None:
        try:
            import vllm
        except ImportError as error:
            raise FlipConfigError(
                "the vllm backend needs vLLM: pip install 'flip-reward-bench[vllm]'"
            ) from error
        resolved = resolve_model(model)
        self.model_name = resolved.name
        options: dict[str, Any] = {
            "model": resolved.path,
            "tensor_parallel_size": tensor_parallel_size,
            "gpu_memory_utilization": gpu_memory_utilization,
            "dtype": dtype,
            **llm_options,
        }
        if resolved.gguf_file:
            options["model"] = f"{resolved.path}/{resolved.gguf_file}"
        if max_model_len is not None:
            options["max_model_len"] = max_model_len
        self._vllm = vllm
        self.llm = vllm.LLM(**options)
        self.tokenizer = self.llm.get_tokenizer()

    def generate_from_prompts(
        self, prompts: Sequence[str], profile: DecodingProfile, progress: bool = True
    ) -> list[list[Generation]]:
        # Token ids rather than text: vLLM would add a second BOS token to templates that
        # already start with one (Llama 3), which the transformers path avoids the same way.
        token_prompts = [
            {"prompt_token_ids": self.tokenizer(prompt, add_special_tokens=False)["input_ids"]}
            for prompt in prompts
        ]
        # Explicit parameters replace the model's generation-config defaults (top-k/top-p), so
        # sampling is pure temperature sampling as in the paper, and temperature 0 is greedy.
        params = self._vllm.SamplingParams(
            n=profile.num_samples,
            temperature=profile.temperature if profile.do_sample else 0.0,
            top_p=1.0,
            max_tokens=profile.max_new_tokens,
            seed=profile.seed,
        )
        outputs = self.llm.generate(token_prompts, params, use_tqdm=progress)
        return [
            [
                Generation(
                    text=sample.text,
                    num_tokens=len(sample.token_ids),
                    finished=sample.finish_reason == "stop",
                )
                for sample in request.outputs
            ]
            for request in outputs
        ]
