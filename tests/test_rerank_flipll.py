"""FLIP-likelihood as a reranker: request construction with a fake backend, and the real
transformers scoring against lm-eval's own HF model on the same requests."""

from __future__ import annotations

import json

import pytest

from flip_core.errors import FlipConfigError
from flip_rerank import RerankPrompt, make_reranker, run_rerank

PROMPTS = [
    RerankPrompt("p0", "Name a colour.", ("Red is a colour.", "I like trains."), (90.0, 10.0)),
    RerankPrompt("p1", "Count to three.", ("Blue.", "One, two, three."), (0.0, 100.0)),
]


class ChatMLTokenizer:
    """Renders chats as ChatML, the way transformers does for SmolLM2 (no thinking flag)."""

    chat_template = "chatml"

    def apply_chat_template(
        self, messages, tokenize=False, add_generation_prompt=True, continue_final_message=False
    ):
        text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
        if continue_final_message:
            final = messages[-1]["content"]
            return text[: text.rindex(final) + len(final)]
        return text + ("<|im_start|>assistant\n" if add_generation_prompt else "")


class OverlapBackend:
    """Scores a continuation by how many of its words the shown response shares."""

    model_name = "fake-overlap"
    tokenizer = ChatMLTokenizer()

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []

    def loglikelihood(self, requests, progress=True):
        self.requests += list(requests)
        scores = []
        for context, continuation in requests:
            words = set(continuation.lower().replace(".", " ").split())
            shown = context.lower().replace(".", " ").replace(",", " ").split()
            scores.append(-10.0 + sum(word in words for word in shown))
        return scores


def test_flipll_requests_share_one_continuation_and_pick_by_likelihood(tmp_path):
    backend = OverlapBackend()
    reranker = make_reranker("flipll", generator=backend, profile="cpu")
    result = run_rerank(PROMPTS, reranker, tmp_path / "out.jsonl", progress=False)
    assert [row["picked_index"] for row in result.rows] == [0, 1]
    assert len(backend.requests) == 2 * 3  # two candidates and the empty reference, per prompt
    first = backend.requests[:3]
    assert {continuation for _, continuation in first} == {"Name a colour.<|im_end|>"}
    assert all(context.endswith("<|im_start|>assistant\n") for context, _ in first)
    assert "Red is a colour." in first[0][0] and "I like trains." in first[1][0]
    row = json.loads((tmp_path / "out.jsonl").read_text().splitlines()[0])
    assert row["settings"]["prompt_template"] == "flip_likelihood"
    (reference,) = OverlapBackend().loglikelihood([first[2]])  # the empty-response request
    assert row["candidates"][0]["pmi"] == row["candidates"][0]["logprob"] - reference
    assert "Red is a colour." not in first[2][0] and "trains" not in first[2][0]


def test_flipll_refuses_a_backend_without_teacher_forcing(tmp_path):
    class GenerateOnly:
        model_name = "gen-only"

    reranker = make_reranker("flipll", generator=GenerateOnly(), backend_name="vllm")
    with pytest.raises(FlipConfigError, match="use --backend hf"):
        run_rerank(PROMPTS, reranker, tmp_path / "out.jsonl", progress=False)


@pytest.mark.model
def test_transformers_scores_equal_lm_evals_on_the_same_requests(tmp_path):
    """The reranker's teacher forcing gives lm-eval's HF numbers, so flipll reranking and the
    flipll tasks rank alike."""
    from lm_eval.models.huggingface import HFLM

    from flip_core.backends.base import chat_template_hook
    from flip_core.backends.hf import TransformersBackend
    from flip_core.likelihood import likelihood_request
    from flip_core.prompts import flip_likelihood_messages

    backend = TransformersBackend(device="cpu")
    render = chat_template_hook(backend.tokenizer)
    requests = [
        likelihood_request(render, flip_likelihood_messages(text), "Name a colour.")
        for text in ("Red is a colour.", "")
    ]
    ours = backend.loglikelihood(requests, progress=False)

    class Request:
        def __init__(self, args):
            self.args = args

    harness = HFLM(pretrained=backend.model, tokenizer=backend.tokenizer, batch_size=1)
    theirs = [value for value, _ in harness.loglikelihood([Request(r) for r in requests])]
    assert ours == pytest.approx(theirs, abs=1e-3)
    assert ours[0] != pytest.approx(ours[1])  # the response matters
