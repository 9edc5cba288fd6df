"""The vLLM adapter, against a stand-in ``vllm`` module (vLLM needs a GPU; CI has none).

What is checked is our side of the contract: token-id prompts rendered with the chat template
(no second BOS), sampling parameters per profile, and outputs mapped back in order.
"""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass, field

import pytest

from flip_core.profiles import get_profile


@dataclass
class SampleOut:
    text: str
    token_ids: list[int]
    finish_reason: str


@dataclass
class RequestOut:
    outputs: list[SampleOut]


class StandInTokenizer:
    chat_template = "{% if enable_thinking %}{% endif %}"

    def __init__(self):
        self.rendered: list[dict] = []

    def apply_chat_template(self, conversation, tokenize, add_generation_prompt, **kwargs):
        self.rendered.append({"add_generation_prompt": add_generation_prompt, **kwargs})
        return "<s>" + conversation[-1]["content"]

    def __call__(self, text, add_special_tokens):
        assert add_special_tokens is False
        return {"input_ids": [ord(ch) for ch in text]}


@dataclass
class StandInLLM:
    options: dict
    tokenizer: StandInTokenizer = field(default_factory=StandInTokenizer)
    requests: list = field(default_factory=list)

    def get_tokenizer(self):
        return self.tokenizer

    def generate(self, prompts, params, use_tqdm):
        self.requests.append((prompts, params))
        return [
            RequestOut(
                [
                    SampleOut(f"out{i}-{s}", [1, 2, 3], "stop" if s == 0 else "length")
                    for s in range(params.n)
                ]
            )
            for i, _ in enumerate(prompts)
        ]


@pytest.fixture
def vllm_module(monkeypatch):
    module = types.ModuleType("vllm")
    module.LLM = lambda **options: StandInLLM(options)
    module.SamplingParams = lambda **kwargs: types.SimpleNamespace(**kwargs)
    monkeypatch.setitem(sys.modules, "vllm", module)
    return module


def test_greedy_generation_through_vllm(vllm_module):
    from flip_core.backends import make_backend

    backend = make_backend("vllm", "Qwen/Qwen3-1.7B", tensor_parallel_size=2)
    assert backend.llm.options["model"] == "Qwen/Qwen3-1.7B"
    assert backend.llm.options["tensor_parallel_size"] == 2
    conversations = [[{"role": "user", "content": "a"}], [{"role": "user", "content": "bc"}]]
    outputs = backend.generate(conversations, get_profile("default"), progress=False)
    prompts, params = backend.llm.requests[0]
    assert prompts == [
        {"prompt_token_ids": [ord(c) for c in "<s>a"]},
        {"prompt_token_ids": [ord(c) for c in "<s>bc"]},
    ]
    assert (params.n, params.temperature, params.max_tokens) == (1, 0.0, 512)
    assert backend.tokenizer.rendered[0] == {
        "add_generation_prompt": True,
        "enable_thinking": False,
    }
    assert [[g.text for g in o] for o in outputs] == [["out0-0"], ["out1-0"]]
    assert outputs[0][0].num_tokens == 3 and outputs[0][0].finished


def test_sampled_profile_maps_to_vllm_sampling(vllm_module):
    from flip_core.backends import make_backend

    backend = make_backend("vllm", "some/model")
    outputs = backend.generate([[{"role": "user", "content": "a"}]], get_profile("paper"), False)
    _, params = backend.llm.requests[0]
    assert (params.n, params.temperature, params.top_p) == (5, 0.7, 1.0)
    assert not hasattr(params, "top_k")  # vLLM's default: no top-k truncation
    assert len(outputs[0]) == 5 and not outputs[0][1].finished


def test_missing_vllm_is_a_clear_error(monkeypatch):
    from flip_core.backends import make_backend
    from flip_core.errors import FlipConfigError

    monkeypatch.setitem(sys.modules, "vllm", None)
    with pytest.raises(FlipConfigError, match=r"pip install 'flip-reward-bench\[vllm\]'"):
        make_backend("vllm", "some/model")
