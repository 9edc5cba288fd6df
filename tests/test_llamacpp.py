"""The llama.cpp backend: the engine's sampling and prefix logic, the lm-eval model class against
lm-eval's HF model on the same GGUF file (prompts, token boundaries, log-probabilities, stop
strings), lm-eval's response cache, the missing-extra error, and ``flip eval --backend llamacpp``
end to end."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from cli_runner import run_command
from sqlalchemy import select
from sqlalchemy.orm import Session

from flip_core.catalog.models import model_entry
from flip_core.prompts import flip_messages, pointwise_messages

llama_cpp = pytest.importorskip("llama_cpp", reason="the llamacpp extra is not installed")

from flip_core.backends.llamacpp_sampling import Sampling, common_prefix, pick_token  # noqa: E402


class Request:
    """The part of lm-eval's ``Instance`` a model reads."""

    def __init__(self, args):
        self.args = args


# --- the engine's pure parts ------------------------------------------------------------------


def test_common_prefix_of_token_lists():
    assert common_prefix([[1, 2, 3, 4], [1, 2, 5], [1, 2, 3]]) == [1, 2]
    assert common_prefix([[7, 8], [9]]) == []
    assert common_prefix([[4, 5, 6]]) == [4, 5, 6]


def test_greedy_sampling_and_truncated_seeded_sampling():
    logits = np.array([0.0, 3.0, 1.0, 2.9], dtype=np.float32)
    rng = np.random.default_rng(0)
    assert pick_token(logits, Sampling(8), rng) == 1  # temperature 0: argmax
    top1 = Sampling(8, temperature=1.0, top_k=1)
    assert {pick_token(logits, top1, rng) for _ in range(50)} == {1}
    nucleus = Sampling(8, temperature=1.0, top_p=0.6)  # 1 and 3 hold ~0.8 of the mass
    assert {pick_token(logits, nucleus, rng) for _ in range(200)} == {1, 3}
    warm = Sampling(8, temperature=5.0, seed=3)
    draws = [pick_token(logits, warm, np.random.default_rng(3)) for _ in range(2)]
    assert draws[0] == draws[1]  # seeded: the same draw again
    assert len({pick_token(logits, warm, rng) for _ in range(300)}) == 4


# --- the real bundled model: the lm-eval class against lm-eval's HF model ---------------------


@pytest.fixture(scope="module")
def both_models():
    from lm_eval.models.huggingface import HFLM

    from flip_core.models import bundled_model_dir
    from harness_tasks.llamacpp_model import LlamaCppLM

    hf = HFLM(pretrained=str(bundled_model_dir()), dtype="float32", device="cpu", batch_size=4)
    return hf, LlamaCppLM(pretrained="default", batch_size=4)


@pytest.mark.model
def test_chat_templated_prompts_and_tokens_equal_the_hf_backend(both_models):
    hf, lc = both_models
    for messages in (
        flip_messages("Paris is the capital of France."),
        pointwise_messages("Name a colour.", 'Blue <b>is</b> one {"x": 1}'),
    ):
        prompt = lc.apply_chat_template(messages)
        assert prompt == hf.apply_chat_template(messages)
        assert lc.tok_encode(prompt) == hf.tok_encode(prompt)
        assert lc.engine.tokenize(prompt) == lc.tok_encode(prompt)  # llama.cpp's own vocabulary
        open_turn = [*messages, {"role": "assistant", "content": "Name a"}]
        assert lc.apply_chat_template(open_turn, add_generation_prompt=False) == (
            hf.apply_chat_template(open_turn, add_generation_prompt=False)
        )


@pytest.mark.model
def test_loglikelihood_scores_exactly_the_continuation_like_hflm(both_models):
    hf, lc = both_models
    prompt = lc.apply_chat_template(flip_messages("Paris is the capital of France."))
    requests = [
        (prompt, "Name the capital of France.<|im_end|>"),
        ("The capital of Fr", "ance is Paris."),  # the continuation starts mid-word
        ("Trailing space ", "moves onto the continuation"),
    ]
    for context, continuation in requests:
        assert lc._encode_pair(context, continuation) == hf._encode_pair(context, continuation)
    ours = lc.loglikelihood([Request(r) for r in requests], disable_tqdm=True)
    theirs = hf.loglikelihood([Request(r) for r in requests], disable_tqdm=True)
    for (context, continuation), (mine, _), (reference, _) in zip(
        requests, ours, theirs, strict=True
    ):
        tokens = len(lc._encode_pair(context, continuation)[1])
        assert math.isfinite(mine) and mine < 0
        # Q4_1 kernels against fp32 de-quantised weights: close, not equal
        assert abs(mine - reference) / tokens < 0.35, (context, mine, reference)


@pytest.mark.model
def test_greedy_generation_is_its_own_greedy_continuation(both_models):
    """What generate_until returns greedily, loglikelihood calls greedy: one engine, one model."""
    _, lc = both_models
    prompt = lc.apply_chat_template(flip_messages("Red is a primary colour."))
    settings = {"until": ["<|im_end|>"], "max_gen_toks": 12, "do_sample": False}
    (text,) = lc.generate_until([Request((prompt, settings))], disable_tqdm=True)
    assert text and len(lc.tok_encode(text)) <= 12
    ((_, is_greedy),) = lc.loglikelihood([Request((prompt, text))], disable_tqdm=True)
    assert is_greedy


@pytest.mark.model
def test_parallel_caps_how_many_sequences_are_decoded_together(both_models, monkeypatch):
    """``--batch-size`` reaches the engine: never more sequences in one decoding step than
    asked for, and as many as asked for when there are enough prompts."""
    _, lc = both_models
    prompt = lc.tok_encode(lc.apply_chat_template(flip_messages("Red is a colour.")))
    steps: list[int] = []
    fill = lc.engine._fill_batch
    monkeypatch.setattr(
        lc.engine,
        "_fill_batch",
        lambda rows: (steps.append(len({row[2] for row in rows})), fill(rows)),
    )

    def widest_step(parallel):
        steps.clear()
        lc.engine.generate([prompt] * 3, Sampling(max_new_tokens=4), parallel=parallel)
        return max(steps)

    assert widest_step(1) == 1
    assert widest_step(2) == 2
    assert widest_step(None) == 3  # the engine's own limit (4 here) is not the constraint


@pytest.mark.model
def test_stop_strings_and_token_limits_are_honoured(both_models):
    _, lc = both_models
    prompt = lc.apply_chat_template(
        [{"role": "user", "content": "Count from one to twenty in words, separated by commas."}]
    )

    def generate(until, max_gen_toks):
        settings = {"until": until, "max_gen_toks": max_gen_toks, "do_sample": False}
        (text,) = lc.generate_until([Request((prompt, settings))], disable_tqdm=True)
        return text

    free = generate(["<|im_end|>"], 40)
    stop = free.split()[3]  # a word from the middle of what the model writes anyway
    stopped = generate([stop], 40)
    assert stopped == free.split(stop)[0] and stop not in stopped
    short = generate(["<|im_end|>"], 3)
    assert len(lc.tok_encode(short)) <= 3 and free.startswith(short)


@pytest.mark.model
def test_lm_evals_response_cache_answers_repeated_and_resumed_requests(both_models, tmp_path):
    """``--use_cache``: finished requests are cached one by one (an interrupted run resumes);
    a second pass asks the model nothing."""
    from lm_eval.api.model import CachingLM

    _, lc = both_models
    asked: list[int] = []
    generate = lc.engine.generate

    def counting(prompts, *args, **kwargs):
        asked.append(len(prompts))
        return generate(prompts, *args, **kwargs)

    lc.engine.generate = counting
    try:
        settings = {"until": ["<|im_end|>"], "max_gen_toks": 6, "do_sample": False}
        prompts = [lc.apply_chat_template(flip_messages(f"Answer {n}.")) for n in range(3)]
        requests = [Request((prompt, settings)) for prompt in prompts]
        cached = CachingLM(lc, str(tmp_path / "cache.db"))
        first = cached.generate_until(requests[:2])  # an "interrupted" run: two of three
        everything = cached.generate_until(requests)
        again = cached.generate_until(requests)
    finally:
        lc.engine.generate = generate
    assert asked == [2, 1]  # the resumed run asked only for the third
    assert everything[:2] == first and again == everything


@pytest.mark.model
def test_an_engine_left_open_until_interpreter_exit_is_freed_silently(tmp_path):
    """At exit the module's globals may already be gone when the engine is collected; its
    finaliser must not print an "Exception ignored" traceback."""
    code = (  # the module held in __main__'s globals: torn down before the engine
        "from flip_core.backends import llamacpp_context\n"
        "from flip_core.backends.llamacpp import LlamaCppBackend\n"
        "backend = LlamaCppBackend('smollm2-135m', n_parallel=1, n_ctx=512)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Exception ignored" not in done.stderr, done.stderr[-2000:]


def test_without_the_extra_the_backend_is_a_one_line_error(tmp_path):
    code = (
        "import sys; sys.modules['llama_cpp'] = None\n"
        "from flip_cli.main import main\n"
        "sys.exit(main(['score', '--backend', 'llamacpp',\n"
        "               '--instruction', 'x', '--response', 'y']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "flip: error: the llamacpp backend needs llama-cpp-python: "
        "pip install 'flip-reward-bench[llamacpp]'"
    )


@pytest.mark.model
def test_flip_eval_with_the_llamacpp_backend_end_to_end(tmp_path, model_env):
    from flip_store.database import open_engine
    from flip_store.schema import ModelRow, RunRow

    result = run_command(
        "flip", "eval", "--backend", "llamacpp", "--model", "default", "--benchmark", "demo",
        "--limit", "3", "--profile", "cpu", "--methods", "flip,flipll", env=model_env, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "flip_demo (limited)" in result.stdout and "flipll_demo (limited)" in result.stdout
    folders = list((tmp_path / "results" / "raw").iterdir())
    assert [f.name for f in folders] == ["SmolLM2-135M-Instruct_Q4_1-cpu-limit3-llamacpp"]
    engine = open_engine(f"sqlite:///{tmp_path / 'results' / 'flip.db'}", read_only=True)
    with Session(engine) as session:
        runs = session.scalars(
            select(RunRow).where(RunRow.task.in_(["flip_demo", "flipll_demo"]))
        ).all()
        assert len(runs) == 2 and all(run.limit == 3 for run in runs)
        assert {run.backend for run in runs} == {"llamacpp"}
        # The model is identified by its file's SHA-256, as the catalogue records it.
        models = {session.get(ModelRow, run.model_id).file_sha256 for run in runs}
        assert models == {model_entry("smollm2-135m").gguf_sha256}
