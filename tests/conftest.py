"""Shared test set-up: offline Hub, a token cap for real-model tests, and a fake backend."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

# Nothing in the tests may reach the Hugging Face Hub (CI has no route to it).
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")

from postgres_server import PostgresUnavailable, create_database, postgres_server

from flip_core.backends.base import Generation
from flip_core.profiles import DecodingProfile
from flip_core.prompts import Conversation

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("FLIP_DATA_DIR") or REPO_ROOT.parent / "shared" / "data")
"""The real benchmark data (LLMBar, AlpacaEval best-of-11): ``FLIP_DATA_DIR`` as the loaders
read it (a user's own copy, docs/conventions.md "Data"), else this workplace's folder beside
the checkout (the Makefile points ``FLIP_DATA_DIR`` there too)."""

# Real-model tests cap generation so that CI stays fast; they assert behaviour, not quality.
TEST_MAX_NEW_TOKENS = "40"


class FakeBackend:
    """A deterministic backend: ``respond(user_message, sample_index) -> text``.

    Records every conversation and profile it was given, so tests can check what a scorer
    asked for without loading a model.
    """

    model_name = "fake-lm"

    def __init__(self, respond: Callable[[str, int], str]) -> None:
        self.respond = respond
        self.calls: list[tuple[list[Conversation], DecodingProfile]] = []

    def generate(
        self, conversations: Sequence[Conversation], profile: DecodingProfile, progress: bool = True
    ) -> list[list[Generation]]:
        self.calls.append((list(conversations), profile))
        outputs = []
        for conversation in conversations:
            user = conversation[-1]["content"]
            texts = [self.respond(user, s) for s in range(profile.num_samples)]
            outputs.append([Generation(t, num_tokens=len(t.split()), finished=True) for t in texts])
        return outputs


def require_shared_data() -> Path:
    """The real data folder; under CI it must be there (fail, never skip)."""
    if not (SHARED_DATA / "llmbar").is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"real data folder {SHARED_DATA} is missing under CI=true")
        pytest.skip(f"{SHARED_DATA} not present on this machine")
    return SHARED_DATA


@pytest.fixture
def real_data_dir(monkeypatch) -> Path:
    """The real data folder, with FLIP_DATA_DIR pointing at it for this test."""
    monkeypatch.setenv("FLIP_DATA_DIR", str(require_shared_data()))
    return SHARED_DATA


@pytest.fixture
def fake_backend_factory() -> Callable[[Callable[[str, int], str]], FakeBackend]:
    return FakeBackend


@pytest.fixture
def model_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for subprocesses that run the real bundled model."""
    env = dict(os.environ)
    env["FLIP_MAX_NEW_TOKENS"] = TEST_MAX_NEW_TOKENS
    return env


class WordTokenizer:
    """A stand-in tokenizer (one token per whitespace-separated word) for runs of fake models,
    which have no tokenizer of their own: ingest then counts tokens as with a real one."""

    def __call__(self, text: str, add_special_tokens: bool = False) -> dict[str, list[str]]:
        return {"input_ids": text.split()}


@pytest.fixture
def word_tokenizer(monkeypatch) -> WordTokenizer:
    """Every model's tokenizer at ingest is a :class:`WordTokenizer` for this test."""
    from flip_store.model_identity import ModelIdentity

    tokenizer = WordTokenizer()
    monkeypatch.setattr(ModelIdentity, "tokenizer", lambda self: tokenizer)
    return tokenizer


@pytest.fixture(scope="session")
def postgres_instance():
    """A PostgreSQL server on loopback for the whole session, or a visible skip."""
    manager = postgres_server()
    try:
        server = manager.__enter__()
    except PostgresUnavailable as error:
        pytest.skip(f"PostgreSQL tests skipped: {error}")
    yield server
    manager.__exit__(None, None, None)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """A fresh, empty database of each supported kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'flip.db'}"
    bin_dir, port = request.getfixturevalue("postgres_instance")
    return create_database(bin_dir, port, f"flip_{uuid.uuid4().hex[:12]}")


@pytest.fixture(scope="session")
def lm_eval_output(tmp_path_factory):
    """One real lm-eval output folder (fake model): FLIP and listwise on crafted LLMBar data.

    Its crafted data lies beside it (``.parent / "data"``): point FLIP_DATA_DIR there to ingest.
    """
    from harness_fakes import ContentJudgeLM, crafted_environment

    from flip_cli.harness_run import run_tasks

    root = tmp_path_factory.mktemp("eval")
    with crafted_environment(root):
        tasks = ["flip_llmbar_neighbor", "judge_listwise_llmbar_neighbor"]
        run_tasks(ContentJudgeLM(), tasks, root / "raw")
    return root / "raw"


@pytest.fixture(scope="session")
def small_store(tmp_path_factory):
    """A small real store (fake model, crafted LLMBar data) shared by query and view tests."""
    from harness_fakes import build_small_store, crafted_environment

    root = tmp_path_factory.mktemp("small-store")
    with crafted_environment(root):
        return build_small_store(root)
