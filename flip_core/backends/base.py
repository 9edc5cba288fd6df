"""The generation interface that scorers are written against, and prompt rendering.

A backend turns chat conversations into text. Scorers (FLIP, judges) only build conversations
and parse outputs, so the same scorer runs on transformers (CPU or GPU) or vLLM unchanged.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from flip_core.errors import FlipModelError
from flip_core.profiles import DecodingProfile
from flip_core.prompts import Conversation


@dataclass(frozen=True)
class Generation:
    """One generated continuation.

    ``num_tokens`` counts generated tokens up to and including the end-of-sequence token (what
    the model actually produced); ``finished`` is False when the token limit cut it off.
    """

    text: str
    num_tokens: int
    finished: bool


class GenerationBackend(Protocol):
    """Generates ``profile.num_samples`` continuations for each conversation, in input order."""

    model_name: str

    def generate(
        self,
        conversations: Sequence[Conversation],
        profile: DecodingProfile,
        progress: bool = True,
    ) -> list[list[Generation]]: ...


def chat_template_kwargs(tokenizer: Any) -> dict[str, Any]:
    """Extra variables for the chat template: ``enable_thinking=False`` where it is understood.

    Thinking models (Qwen3 and others) would otherwise spend the token budget on a hidden
    monologue; the variable is only passed to templates that mention it, so other templates
    render exactly as their authors intended.
    """
    template = getattr(tokenizer, "chat_template", None) or ""
    if isinstance(template, dict):
        template = " ".join(template.values())
    return {"enable_thinking": False} if "enable_thinking" in template else {}


def render_prompt(tokenizer: Any, conversation: Conversation) -> str:
    """The conversation as the model's own chat-formatted prompt, ready for the assistant turn."""
    return tokenizer.apply_chat_template(
        conversation,
        tokenize=False,
        add_generation_prompt=True,
        **chat_template_kwargs(tokenizer),
    )


def chat_template_hook(tokenizer: Any) -> Callable[..., str]:
    """``(messages, add_generation_prompt) -> text`` as lm-eval's HF model renders chats: with
    the generation prompt, or with the last (assistant) message left open, cut right after its
    content (transformers' ``continue_final_message``). FLIP-likelihood's request builder
    (:func:`flip_core.likelihood.likelihood_request`) relies on exactly this, so a reranker
    scores the same (context, continuation) text as the ``flipll`` harness tasks."""

    def render(messages: list[dict[str, str]], add_generation_prompt: bool = True) -> str:
        return tokenizer.apply_chat_template(
            messages,
            tokenize=False,
            add_generation_prompt=add_generation_prompt,
            continue_final_message=not add_generation_prompt,
            **chat_template_kwargs(tokenizer),
        )

    return render


def encode_pair(
    tokenize: Callable[[str], list[int]], context: str, continuation: str
) -> tuple[list[int], list[int]]:
    """Context and continuation token ids split the way lm-eval's ``TemplateLM._encode_pair``
    splits them: trailing whitespace of the context moves onto the continuation, and the
    continuation's tokens are those of ``context + continuation`` after the context's. Every
    backend's ``loglikelihood`` uses it, so FLIP-likelihood scores equal the ``flipll`` tasks'.
    """
    spaces = len(context) - len(context.rstrip())
    if spaces:
        context, continuation = context[:-spaces], context[-spaces:] + continuation
    context_ids = tokenize(context)
    whole = tokenize(context + continuation)
    if not context_ids or len(whole) <= len(context_ids):
        raise FlipModelError("a likelihood request needs a context and a continuation")
    return context_ids, whole[len(context_ids) :]


@runtime_checkable
class LikelihoodBackend(Protocol):
    """Teacher-forced scoring: the summed log-probability of each continuation after its
    context (FLIP-likelihood's only model call; no token is generated)."""

    model_name: str
    tokenizer: Any

    def loglikelihood(
        self, requests: Sequence[tuple[str, str]], progress: bool = True
    ) -> list[float]: ...


class ChatTemplateBackend(ABC):
    """A backend that renders conversations with the model's own chat template, then generates.

    Rendering in one place means the transformers and vLLM backends send a model identical text.
    """

    model_name: str
    tokenizer: Any

    def generate(
        self,
        conversations: Sequence[Conversation],
        profile: DecodingProfile,
        progress: bool = True,
    ) -> list[list[Generation]]:
        prompts = [render_prompt(self.tokenizer, conversation) for conversation in conversations]
        return self.generate_from_prompts(prompts, profile, progress)

    @abstractmethod
    def generate_from_prompts(
        self, prompts: Sequence[str], profile: DecodingProfile, progress: bool = True
    ) -> list[list[Generation]]:
        """Generate for prompts that are already chat-formatted, in input order."""
