"""``--model llamacpp``: an lm-evaluation-harness model for GGUF files on llama.cpp's CPU kernels.

lm-eval's own ``gguf`` model talks to a llama.cpp server over HTTP, one request at a time, and
applies no chat template. This class runs llama.cpp in-process through
:class:`flip_core.backends.llamacpp_engine.LlamaCppEngine` (the same engine ``flip score`` and
``flip rerank`` use) and behaves like lm-eval's HF model wherever the results depend on it:

- the Hugging Face tokenizer of the GGUF file tokenises, and renders chat templates with the
  same call as ``HFLM.apply_chat_template`` (``enable_thinking`` and ``chat_template_args``
  understood the same way), so prompts are identical to the hf backend's;
- ``loglikelihood`` inherits lm-eval's ``TemplateLM`` context/continuation split and scores
  exactly the continuation tokens, with the context left-truncated as HFLM does;
- ``generate_until`` applies the request's stop strings (plus the end-of-text token, as HFLM),
  ``max_gen_toks``, greedy decoding, or sampling at the request's temperature (``top_k`` and
  ``top_p`` when given; otherwise pure temperature sampling) with a seeded generator;
- results pass through lm-eval's ``cache_hook``, so ``--use_cache`` and resumption work.

``batch_size`` is the number of sequences decoded together (continuous batching); threads
default to every core (one process per model). lm-eval has no plugin mechanism for models:
``python -m harness_tasks.lm_eval_cli`` registers this class and then runs lm-eval's own CLI.
"""

from __future__ import annotations

import logging
from typing import Any

from lm_eval import utils as lm_utils
from lm_eval.api.model import TemplateLM
from lm_eval.api.registry import register_model
from lm_eval.models.utils import (
    Collator,
    _add_special_kwargs,
    handle_stop_sequences,
    has_bos_prefix,
    normalize_gen_kwargs,
    postprocess_generated_text,
)
from tqdm.auto import tqdm

from flip_core.backends.llamacpp_sampling import Generated, Sampling
from flip_core.errors import FlipModelError
from flip_core.profiles import DEFAULT_DECODING_SEED

_logger = logging.getLogger(__name__)
DEFAULT_PARALLEL = 8


@register_model("llamacpp")
class LlamaCppLM(TemplateLM):
    """A GGUF model (zoo alias or ``.gguf`` path) evaluated in-process on llama.cpp."""

    def __init__(
        self,
        pretrained: str,
        tokenizer: str | None = None,
        batch_size: int | str = DEFAULT_PARALLEL,
        max_batch_size: int | None = None,
        device: str | None = None,
        n_threads: int | None = None,
        n_ctx: int = 16384,
        max_length: int | None = None,
        max_gen_toks: int = 256,
        seed: int = DEFAULT_DECODING_SEED,
        enable_thinking: bool | None = None,
        chat_template_args: dict[str, Any] | None = None,
        add_bos_token: bool | None = None,
        **unused: Any,
    ) -> None:
        super().__init__()
        from transformers import AutoTokenizer

        from flip_core.backends.llamacpp_engine import LlamaCppEngine
        from flip_core.file_identity import file_sha256
        from flip_core.models import gguf_tokenizer_dir, resolve_model

        if unused:
            _logger.warning("llamacpp: ignoring model arguments %s", ", ".join(sorted(unused)))
        if device not in (None, "cpu"):
            _logger.warning("llamacpp: this backend runs on the CPU; ignoring device=%s", device)
        resolved = resolve_model(str(pretrained), convert=False)
        if resolved.gguf_path is None:
            raise FlipModelError(
                f"--model llamacpp needs a GGUF model (a zoo alias or a .gguf file), "
                f"not {pretrained!r}"
            )
        self.pretrained = str(pretrained)
        self.gguf_path = resolved.gguf_path
        self.entry = resolved.entry
        self.sha256 = file_sha256(self.gguf_path)
        self.tokenizer = AutoTokenizer.from_pretrained(
            tokenizer or str(gguf_tokenizer_dir(self.gguf_path))
        )
        parallel = DEFAULT_PARALLEL if batch_size in (None, "auto") else int(batch_size)
        self.batch_size = parallel
        self.engine = LlamaCppEngine(
            self.gguf_path, n_threads=n_threads, n_ctx=int(n_ctx), n_parallel=parallel
        )
        self._max_length = int(max_length) if max_length else self.engine.max_length
        self._max_gen_toks = int(max_gen_toks)
        self.seed = int(seed)
        self.add_bos_token = add_bos_token
        self.think_end_token = None
        self.chat_template_args = (chat_template_args or {}) | (
            {"enable_thinking": enable_thinking} if enable_thinking is not None else {}
        )

    # --- what lm-eval asks of every model ---------------------------------------------

    @property
    def eot_token_id(self) -> int:
        return self.tokenizer.eos_token_id

    @property
    def prefix_token_id(self) -> int:
        bos = self.tokenizer.bos_token_id
        return bos if bos is not None else self.eot_token_id

    @property
    def max_length(self) -> int:
        return self._max_length

    @property
    def max_gen_toks(self) -> int:
        return self._max_gen_toks

    @property
    def tokenizer_name(self) -> str:
        return self.tokenizer.name_or_path.replace("/", "__")

    def tok_encode(
        self,
        string: str,
        add_special_tokens: bool | None = None,
        left_truncate_len: int | None = None,
        **kwargs: Any,
    ) -> list[int]:
        """As ``HFLM.tok_encode``: the tokenizer's own special-token default unless told."""
        special = _add_special_kwargs(add_special_tokens, self.add_bos_token)
        if add_special_tokens is None and has_bos_prefix(
            string, self.tokenizer.decode(self.prefix_token_id)
        ):
            special["add_special_tokens"] = False
        encoding = self.tokenizer.encode(string, **special)
        return encoding[-left_truncate_len:] if left_truncate_len else encoding

    def tok_decode(self, tokens: list[int], skip_special_tokens: bool = True) -> str:
        return self.tokenizer.decode(tokens, skip_special_tokens=skip_special_tokens)

    def apply_chat_template(
        self, chat_history: list[dict[str, str]], add_generation_prompt: bool = True
    ) -> str:
        """Exactly ``HFLM.apply_chat_template``'s call, so prompts match the hf backend's."""
        return self.tokenizer.apply_chat_template(
            chat_history,
            tokenize=False,
            add_generation_prompt=add_generation_prompt,
            continue_final_message=not add_generation_prompt,
            **self.chat_template_args,
        )

    def get_model_info(self) -> dict[str, Any]:
        """Recorded in the results' ``config``: the file's SHA-256 is the model's identity."""
        from importlib.metadata import version

        return {
            "model_num_parameters": self.engine.n_params,
            "model_dtype": self.entry.quantization if self.entry else "gguf",
            "model_revision": None,
            "model_sha": self.sha256,
            "gguf_file": self.gguf_path.name,
            "llama_cpp_python_version": version("llama-cpp-python"),
            "n_threads": self.engine.n_threads,
            "n_parallel": self.engine.n_parallel,
        }

    # --- requests -----------------------------------------------------------------------

    def _loglikelihood_tokens(
        self,
        requests: list[tuple[tuple[str, str], list[int], list[int]]],
        disable_tqdm: bool = False,
        override_bs: int | None = None,
    ) -> list[tuple[float, bool]]:
        pairs = [self._truncated(context, continuation) for _, context, continuation in requests]

        def finished(index: int, answer: tuple[float, bool]) -> None:
            strings = requests[index][0]
            if strings is not None:  # rolling windows have no request of their own to cache
                self.cache_hook.add_partial("loglikelihood", strings, answer)
            bar.update(1)

        with tqdm(
            total=len(pairs), desc="Running loglikelihood requests", disable=disable_tqdm
        ) as bar:
            return self.engine.loglikelihood(pairs, on_done=finished)

    def _truncated(
        self, context: list[int], continuation: list[int]
    ) -> tuple[list[int], list[int]]:
        """HFLM's truncation: keep the last ``max_length + 1`` tokens of the whole sequence
        (the continuation whole; at least one context token to condition on)."""
        whole = (context + continuation)[-(self.max_length + 1) :]
        kept_context = whole[: len(whole) - len(continuation)]
        if not kept_context:
            raise FlipModelError(
                f"a continuation of {len(continuation)} tokens does not fit this model's "
                f"context of {self.max_length} tokens"
            )
        return kept_context, continuation

    def loglikelihood_rolling(self, requests: list[Any], disable_tqdm: bool = False) -> list[float]:
        """Perplexity-style scoring over disjoint windows, as HFLM does it."""
        results = []
        for (string,) in tqdm([req.args for req in requests], disable=disable_tqdm):
            windows = [
                lm_utils.make_disjoint_window(window)
                for window in lm_utils.get_rolling_token_windows(
                    token_list=self.tok_encode(string),
                    prefix_token=self.prefix_token_id,
                    max_seq_len=self.max_length,
                    context_len=1,
                )
            ]
            total = sum(logprob for logprob, _ in self.engine.loglikelihood(windows))
            results.append(total)
            self.cache_hook.add_partial("loglikelihood_rolling", (string,), total)
        return results

    def generate_until(self, requests: list[Any], disable_tqdm: bool = False) -> list[str]:
        """Requests grouped by generation settings (as HFLM does), each group decoded with
        continuous batching; results in request order."""
        collator = Collator(
            [request.args for request in requests],
            sort_fn=lambda args: (-len(self.tok_encode(args[0])), args[0]),
            group_by="gen_kwargs",
            group_fn=lambda args: args[1],
        )
        results: list[str] = []
        with tqdm(
            total=len(requests), desc="Running generate_until requests", disable=disable_tqdm
        ) as bar:
            for group in collator.get_batched(n=0):
                contexts, all_kwargs = zip(*group, strict=True)
                results.extend(self._generate_group(list(contexts), all_kwargs[0], bar))
        return collator.get_original(results)

    def _generate_group(
        self, contexts: list[str], gen_kwargs: dict[str, Any], bar: tqdm
    ) -> list[str]:
        kwargs = normalize_gen_kwargs(dict(gen_kwargs), self.max_gen_toks)
        eos = self.tok_decode([self.eot_token_id], skip_special_tokens=False)
        until = handle_stop_sequences(kwargs.pop("until", None), eos=eos)
        max_new = int(kwargs.pop("max_gen_toks"))
        sampling = Sampling(
            max_new_tokens=max_new,
            temperature=float(kwargs.get("temperature") or 0.0) if kwargs.get("do_sample") else 0.0,
            top_k=int(kwargs.get("top_k") or 0),
            top_p=float(kwargs.get("top_p") or 1.0),
            seed=self.seed,
        )
        prompts = [
            self.tok_encode(context, left_truncate_len=self.max_length - max_new)
            for context in contexts
        ]
        texts: list[str] = [""] * len(prompts)

        def finished(index: int, out: Generated) -> None:
            # cached as each prompt finishes, so an interrupted run resumes from here
            texts[index] = postprocess_generated_text(
                self.tok_decode(out.tokens), stop=until, think_end_token=None
            )
            self.cache_hook.add_partial(
                "generate_until", (contexts[index], gen_kwargs), texts[index]
            )
            bar.update(1)

        self.engine.generate(prompts, sampling, stop_strings=until, on_done=finished)
        return texts
