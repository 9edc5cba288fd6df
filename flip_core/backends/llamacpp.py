"""``--backend llamacpp``: GGUF models on llama.cpp's quantised CPU kernels (``flip score``,
``flip rerank``).

On a CPU this is 3-20x faster than transformers, which de-quantises GGUF weights to fp32.
Prompts are chat-formatted and tokenised by the same Hugging Face tokenizer (converted once
from the GGUF file) as the transformers backend, so both send a model the same token ids;
:mod:`flip_core.backends.llamacpp_engine` does the rest, and is also what the lm-eval model
class calls (one implementation of generation and scoring).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tqdm.auto import tqdm

from flip_core.backends.base import ChatTemplateBackend, Generation, encode_pair
from flip_core.backends.llamacpp_sampling import Sampling
from flip_core.errors import FlipModelError
from flip_core.profiles import DecodingProfile


class LlamaCppBackend(ChatTemplateBackend):
    """A GGUF model (a zoo alias or a ``.gguf`` path) on llama.cpp; ``n_threads`` defaults to
    every core; up to ``n_parallel`` sequences are decoded together (fewer when the decoding
    profile's batch size is smaller, so ``--batch-size`` means the same as on transformers)."""

    def __init__(
        self,
        model: str | None = None,
        n_threads: int | None = None,
        n_ctx: int = 16384,
        n_parallel: int = 8,
    ) -> None:
        from transformers import AutoTokenizer

        from flip_core.backends.llamacpp_engine import LlamaCppEngine
        from flip_core.models import gguf_tokenizer_dir, resolve_model

        resolved = resolve_model(model, convert=False)
        if resolved.gguf_path is None:
            raise FlipModelError(
                f"the llamacpp backend needs a GGUF model (a zoo alias or a .gguf file), "
                f"not {model!r}"
            )
        self.model_name = resolved.name
        self.gguf_path: Path = resolved.gguf_path
        self.tokenizer = AutoTokenizer.from_pretrained(str(gguf_tokenizer_dir(self.gguf_path)))
        self.engine = LlamaCppEngine(
            self.gguf_path, n_threads=n_threads, n_ctx=n_ctx, n_parallel=n_parallel
        )

    def generate_from_prompts(
        self, prompts: Sequence[str], profile: DecodingProfile, progress: bool = True
    ) -> list[list[Generation]]:
        """Every prompt ``profile.num_samples`` times; generation ends at the model's
        end-of-generation token, as with transformers."""
        samples = profile.num_samples
        encoded = [self._token_ids(prompt) for prompt in prompts for _ in range(samples)]
        sampling = Sampling(
            max_new_tokens=profile.max_new_tokens,
            temperature=profile.temperature if profile.do_sample else 0.0,
            seed=profile.seed,
        )
        with tqdm(
            total=len(encoded), desc="generating", unit="sample", disable=not progress
        ) as bar:
            done = self.engine.generate(
                encoded,
                sampling,
                on_done=lambda *_: bar.update(1),
                parallel=profile.batch_size,
            )
        generations = [self._generation(out.tokens, out.finished) for out in done]
        return [generations[i * samples : (i + 1) * samples] for i in range(len(prompts))]

    def loglikelihood(
        self, requests: Sequence[tuple[str, str]], progress: bool = True
    ) -> list[float]:
        """Summed log-probability of each continuation (lm-eval's token boundary)."""
        encoded = [encode_pair(self._token_ids, context, cont) for context, cont in requests]
        with tqdm(total=len(encoded), desc="scoring", unit="request", disable=not progress) as bar:
            scored = self.engine.loglikelihood(encoded, on_done=lambda *_: bar.update(1))
        return [logprob for logprob, _ in scored]

    def close(self) -> None:
        """Free llama.cpp's model and cache now rather than at garbage collection (a process
        that scores with several models in turn would otherwise hold each one's memory)."""
        self.engine.close()

    def _token_ids(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def _generation(self, tokens: list[int], finished: bool) -> Generation:
        kept = tokens[:-1] if finished else tokens  # the end-of-generation token is not text
        return Generation(
            text=self.tokenizer.decode(kept, skip_special_tokens=True),
            num_tokens=len(tokens),
            finished=finished,
        )
