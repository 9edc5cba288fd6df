"""A deterministic fake lm-eval model and crafted benchmark files for harness task tests."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from lm_eval.api.model import LM

QUALITY = {"GOOD": 9, "fine": 6, "weak": 4, "bad": 1}


def quality_of(text: str) -> int:
    return next((value for word, value in QUALITY.items() if word in text), 0)


def shown_responses(prompt: str) -> list[str]:
    """Candidate texts in a rendered prompt, in the order shown."""
    return re.findall(r"\[Response(?: [A-Z0-9]+)?\]\n(.*?)(?:\n\n|<\|im_end\|>|$)", prompt, re.S)


class ContentJudgeLM(LM):
    """Answers every method by the content it is shown (quality words), never by position.

    ``mode="garbage"`` answers nonsense, to exercise parse failures (and scores every
    continuation alike). Records every request: generation requests in ``requests``,
    loglikelihood ones in ``likelihood_requests``.
    """

    def __init__(self, mode: str = "content") -> None:
        super().__init__()
        self.mode = mode
        self.requests: list[tuple[str, dict]] = []
        self.likelihood_requests: list[tuple[str, str]] = []

    @property
    def tokenizer_name(self) -> str:
        return "fake-chatml"

    def chat_template(self, chat_template: bool | str = False) -> str | None:
        return "fake-chatml" if chat_template else None

    def apply_chat_template(self, chat_history, add_generation_prompt: bool = True) -> str:
        text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in chat_history)
        if add_generation_prompt:
            return text + "<|im_start|>assistant\n"
        # As lm-eval's HF model does (transformers' continue_final_message): the last message
        # is left open, cut right after its content.
        final = chat_history[-1]["content"]
        return text[: text.rindex(final) + len(final)]

    def generate_until(self, requests) -> list[str]:
        outputs = []
        for request in requests:
            prompt, gen_kwargs = request.args
            self.requests.append((prompt, gen_kwargs))
            outputs.append(self.answer(prompt))
        return outputs

    def answer(self, prompt: str) -> str:
        if self.mode == "garbage":
            return "I am not sure what you mean."
        texts = shown_responses(prompt)
        if "instruction reconstructor" in prompt:
            guess = "answer the question well" if "GOOD" in texts[0] else "something else"
            return json.dumps({"REASONING": "r", "INFERRED INSTRUCTION": guess})
        if '"SCORE"' in prompt:
            return json.dumps({"REASONING": "r", "SCORE": quality_of(texts[0])})
        if '"BETTER_RESPONSE"' in prompt:
            better = "A" if quality_of(texts[0]) > quality_of(texts[1]) else "B"
            return json.dumps({"REASONING": "r", "BETTER_RESPONSE": better})
        best = max(range(len(texts)), key=lambda i: quality_of(texts[i]))
        return json.dumps({"REASONING": "r", "BEST_RESPONSE_INDEX": best})

    def loglikelihood(self, requests):
        """By content: the better the response shown, the likelier the continuation; the
        empty-response reference scores below every response. ``mode="garbage"``: all equal."""
        outputs = []
        for request in requests:
            context, continuation = request.args
            self.likelihood_requests.append((context, continuation))
            (response,) = shown_responses(context)
            if self.mode == "garbage":
                outputs.append((-5.0, False))
            elif not response:
                outputs.append((-25.0, False))
            else:
                outputs.append((-20.0 + 2.0 * quality_of(response), quality_of(response) == 9))
        return outputs

    def loglikelihood_rolling(self, requests):
        return [-1.0 for _ in requests]


PLANTED_MARKUP = (
    'GOOD two <script>window.flipPwned = 1</script> <img src=x onerror="window.flipPwned=2"> '
    "[click](javascript:alert(1))"
)
"""An untrusted response that must always show as text (LLMBar manual, item 1, candidate 1)."""


def build_small_store(root: Path):
    """A SQLite store with FLIP, a pairwise and a limited pointwise run on crafted LLMBar data."""
    from flip_cli.harness_run import run_tasks
    from flip_store.database import open_engine
    from flip_store.ingest import ingest_path

    run_tasks(
        ContentJudgeLM(),
        [
            "flip_llmbar_neighbor",
            "flip_llmbar_manual",
            "judge_pairwise_llmbar_neighbor",
            "judge_pairwise_llmbar_manual",
        ],
        root / "full",
    )
    run_tasks(
        ContentJudgeLM(mode="garbage"), ["judge_pointwise_llmbar_neighbor"], root / "lim", limit=1
    )
    engine = open_engine(f"sqlite:///{root / 'flip.db'}", create=True)
    for folder in ("full", "lim"):
        report = ingest_path(engine, root / folder, progress=lambda line: None)
        assert not report.rejected, report.rejected
    return engine


def write_crafted_data(root: Path) -> Path:
    """RewardBench 2 and LLMBar files whose gold candidate says GOOD, in varying positions."""
    (root / "reward-bench-2").mkdir(parents=True)
    rows = []
    for subset in ("Focus", "Factuality", "Precise IF", "Math"):
        for k in range(3):
            rows.append(
                {
                    "id": f"{subset[:3]}{k}",
                    "prompt": "answer the question well",
                    "chosen": [f"a GOOD reply {k}"],
                    "rejected": [f"a fine reply {k}", f"a weak reply {k}", f"a bad reply {k}"],
                    "subset": subset,
                }
            )
    (root / "reward-bench-2" / "test.jsonl").write_text(
        "".join(json.dumps(row) + "\n" for row in rows)
    )
    (root / "llmbar").mkdir()
    for name in (
        "Adversarial_Neighbor",
        "Adversarial_GPTInst",
        "Adversarial_GPTOut",
        "Adversarial_Manual",
        "Natural",
    ):
        second = PLANTED_MARKUP if name == "Adversarial_Manual" else "GOOD two"
        pairs = [
            {
                "input": "answer the question well",
                "output_1": "GOOD one",
                "output_2": "bad one",
                "label": 1,
            },
            {
                "input": "answer the question well",
                "output_1": "weak one",
                "output_2": second,
                "label": 2,
            },
        ]
        (root / "llmbar" / f"{name}.json").write_text(json.dumps(pairs))
    return root


@contextmanager
def crafted_environment(root: Path) -> Iterator[Path]:
    """Crafted data under ``root/data`` with FLIP_DATA_DIR pointing at it for the block."""
    data = write_crafted_data(root / "data")
    patch = pytest.MonkeyPatch()
    patch.setenv("FLIP_DATA_DIR", str(data))
    try:
        yield data
    finally:
        patch.undo()


# ---- leaderboard rows, built by hand (figure, table and gain tests) -------------------------

_RUN_IDS = iter(range(100, 1_000_000))


def fake_cell(
    value: float,
    low: float | None = None,
    high: float | None = None,
    *,
    run_id: int | None = None,
    n: int = 100,
    limited: bool = False,
    **metrics: float | None,
):
    """A leaderboard cell; ``metrics`` are its cell metrics (the others None)."""
    from flip_store.read.leaderboard import CELL_METRICS, Cell

    unknown = set(metrics) - set(CELL_METRICS)
    assert not unknown, f"not cell metrics: {unknown}"
    return Cell(
        run_id=next(_RUN_IDS) if run_id is None else run_id,
        value=value,
        ci_low=low,
        ci_high=high,
        n=n,
        limited=limited,
        metrics={name: metrics.get(name) for name in CELL_METRICS},
    )


def fake_row(
    model: str,
    method: str,
    values: dict,
    parameters: int | None = 1_000_000_000,
    profile: str = "default",
    backend: str = "hf",
    family: str | None = None,
    prompt_hash: str | None = None,
    **metrics: float | None,
):
    """A store row; ``values`` maps domains to accuracies (or cells), ``metrics`` go into
    every cell made from a plain accuracy."""
    from flip_store.read.leaderboard import Cell, LeaderboardRow

    return LeaderboardRow(
        model=model,
        family=family,
        parameters=parameters,
        method=method,
        profile=profile,
        backend=backend,
        prompt_hash=prompt_hash or f"hash-{method}",
        domains={
            d: v if isinstance(v, Cell) else fake_cell(v, **metrics) for d, v in values.items()
        },
    )


def fake_reference(key: str, label: str, kind: str, values: dict, method: str | None = None):
    """A rule (``kind="rule"``) or reported row; ``values`` maps domains to accuracies."""
    from flip_store.read.references import Estimate, ReferenceRow

    return ReferenceRow(key, label, kind, method, {d: Estimate(v) for d, v in values.items()})


def fake_board(rows, domains, references=(), counts_of=None):
    """Board rows as the app builds them: model rows with their gains, then references."""
    from leaderboard.board import model_row, reference_row
    from leaderboard.gains import with_gains

    models = with_gains([model_row(row, domains) for row in rows], counts_of)
    return models + [reference_row(row, domains) for row in references]


ORDERING_DOMAINS = ("neighbor", "manual")
"""The domains the ordering store is shown over (:func:`build_ordering_store`)."""


def build_ordering_store(root: Path):
    """A store whose rows rank differently by the mean over *all* their domains and by the
    Average over :data:`ORDERING_DOMAINS` (crafted LLMBar data; FLIP runs only):

    =============  ========  ======  =======  ======  =================  ==========
    model          neighbor  manual  gptinst  gptout  mean, all domains  shown Avg.
    =============  ========  ======  =======  ======  =================  ==========
    steady-model   100       100     0        -       66.7               100
    uneven-model   0         100     100      100     75                 50
    partial-model  100       -       -        -       100                none
    =============  ========  ======  =======  ======  =================  ==========
    """
    from flip_cli.harness_run import run_tasks
    from flip_store.database import open_engine
    from flip_store.ingest import ingest_path

    plan = {
        "steady-model": {"content": ["neighbor", "manual"], "garbage": ["gptinst"]},
        "uneven-model": {"content": ["manual", "gptinst", "gptout"], "garbage": ["neighbor"]},
        "partial-model": {"content": ["neighbor"]},
    }
    engine = open_engine(f"sqlite:///{root / 'flip.db'}", create=True)
    for model, modes in plan.items():
        for mode, domains in modes.items():
            folder = root / f"{model}-{mode}"
            run_tasks(
                ContentJudgeLM(mode=mode),
                [f"flip_llmbar_{domain}" for domain in domains],
                folder,
                model_args=f"pretrained={model}",
            )
            report = ingest_path(engine, folder, progress=lambda line: None)
            assert not report.rejected, report.rejected
    return engine


def build_one_model_store(root: Path, model: str):
    """A store holding one real model named ``model`` (FLIP and the pairwise judge on crafted
    LLMBar Neighbor data): the board's single-model notice names it."""
    from flip_cli.harness_run import run_tasks
    from flip_store.database import open_engine
    from flip_store.ingest import ingest_path

    engine = open_engine(f"sqlite:///{root / 'flip.db'}", create=True)
    tasks = ["flip_llmbar_neighbor", "judge_pairwise_llmbar_neighbor"]
    run_tasks(ContentJudgeLM(), tasks, root / "raw", model_args=f"pretrained={model}")
    report = ingest_path(engine, root / "raw", progress=lambda line: None)
    assert not report.rejected, report.rejected
    return engine
