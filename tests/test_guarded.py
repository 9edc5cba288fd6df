"""The restatement guard inside every path that scores with FLIP: the guarded methods, the
harness tasks (and the store's record of each decision), FlipScorer, the TRL reward function and
both FLIP rerankers; each path goes through the same method objects (one implementation), so
each must show the model the same guarded text for the same response."""

from __future__ import annotations

import json

import pytest
from harness_fakes import ContentJudgeLM, crafted_environment
from sqlalchemy import select
from sqlalchemy.orm import Session

from flip_core.items import Item
from flip_core.methods import GUARD_POLICY, get_method
from flip_core.probes import restate_instruction
from flip_core.prompts import flip_likelihood_messages, flip_messages
from flip_core.restatement import guard
from flip_core.scorer import FlipScorer
from flip_rerank import RerankPrompt, make_reranker, run_rerank

INSTRUCTION = "Write a short poem about autumn rain in the city."
CLEAN = "Autumn rain: grey drops tap the window, and the city street shines."
RESTATED = restate_instruction(CLEAN, INSTRUCTION)


def response_of(user_message: str) -> str:
    return user_message.split("[Response]\n", 1)[1].split("\n\nWhich instruction", 1)[0]


def copy_reconstructor(user_message: str, sample: int) -> str:
    """A fake scorer that copies the response into its reconstruction (the 135M model's habit,
    which is what makes restating pay)."""
    return json.dumps({"INFERRED INSTRUCTION": response_of(user_message)})


@pytest.mark.parametrize("policy", ["strip", "penalise", "zero"])
def test_a_restating_candidate_gains_nothing_under_any_policy(policy, fake_backend_factory):
    plain = FlipScorer(generator=fake_backend_factory(copy_reconstructor))
    guarded = FlipScorer(generator=fake_backend_factory(copy_reconstructor), guard=policy)
    before = [r.reward for r in plain.score(INSTRUCTION, [CLEAN, RESTATED])]
    after = [r.reward for r in guarded.score(INSTRUCTION, [CLEAN, RESTATED])]
    assert before[1] > before[0]  # unguarded, restating wins
    assert after[1] <= after[0] + 1e-12  # guarded, it does not
    if policy != "strip":  # strip makes them equal; the others rank the restatement below
        assert after[1] < after[0]


def test_the_guarded_methods_show_the_guarded_text_and_record_the_decision():
    item = Item("t:x:0", INSTRUCTION, (CLEAN, RESTATED), gold_index=0)
    decision = guard(INSTRUCTION, RESTATED, GUARD_POLICY)
    shown = decision.guarded_text if GUARD_POLICY != "penalise" else RESTATED
    flip = get_method("flip_guarded")
    assert [c.conversation for c in flip.calls(item)] == [
        flip_messages(CLEAN),
        flip_messages(shown),
    ]
    flipll = get_method("flipll_guarded")
    assert [c.conversation for c in flipll.calls(item)] == [
        flip_likelihood_messages(CLEAN),
        flip_likelihood_messages(shown),
        flip_likelihood_messages(""),  # the reference call shows no response
    ]
    annotations = flip.call_annotations(item)
    assert annotations[0]["applied"] is False and annotations[1]["applied"] is True
    assert annotations[1]["coverage"] == 1.0 and flipll.call_annotations(item)[2] is None
    assert flip.settings["policy"] == GUARD_POLICY


def test_scorer_reward_function_and_rerankers_send_the_same_guarded_prompt(fake_backend_factory):
    from flip_core.reward import FlipRewardFunction

    expected = flip_messages(guard(INSTRUCTION, RESTATED, "strip").guarded_text)
    scorer_backend = fake_backend_factory(copy_reconstructor)
    FlipScorer(generator=scorer_backend, guard="strip").score(INSTRUCTION, [RESTATED])
    reward_backend = fake_backend_factory(copy_reconstructor)
    reward = FlipRewardFunction(scorer=FlipScorer(generator=reward_backend, guard="strip"))
    reward(prompts=[INSTRUCTION], completions=[RESTATED])
    rerank_backend = fake_backend_factory(copy_reconstructor)
    picker = make_reranker("flip", generator=rerank_backend, profile="cpu", guard="strip")
    picker.score([_fitted(RESTATED)])
    for backend in (scorer_backend, reward_backend, rerank_backend):
        (conversations, _), *_ = backend.calls
        assert conversations == [expected]
    assert picker.settings["guard"] == "strip"


def test_the_flipll_reranker_scores_the_guarded_response(tmp_path):
    from test_rerank_flipll import OverlapBackend

    backend = OverlapBackend()
    prompts = [RerankPrompt("p0", INSTRUCTION, (CLEAN, RESTATED), (90.0, 10.0))]
    picker = make_reranker("flipll", generator=backend, profile="cpu", guard="strip")
    result = run_rerank(prompts, picker, tmp_path / "out.jsonl", progress=False)
    contexts = [context for context, _ in backend.requests]
    assert INSTRUCTION not in contexts[1]  # the restated span never reaches the model
    assert result.rows[0]["candidates"][1]["guard"]["applied"] is True


def test_a_guarded_probe_run_is_stored_with_each_decision(tmp_path):
    from flip_cli.harness_run import run_tasks
    from flip_store.database import open_engine
    from flip_store.ingest import ingest_path
    from flip_store.schema import CallRow, RunRow

    with crafted_environment(tmp_path):
        task = "flip_guarded_llmbar_neighbor_hack_restate"
        results = run_tasks(ContentJudgeLM(), [task], tmp_path / "raw")
        engine = open_engine(f"sqlite:///{tmp_path / 'flip.db'}", create=True)
        report = ingest_path(engine, results, progress=lambda line: None)
    assert len(report.stored) == 1 and not report.rejected, report.rejected
    with Session(engine) as session:
        run = session.scalar(select(RunRow).where(RunRow.task == task))
        calls = session.scalars(select(CallRow).where(CallRow.run_id == run.id)).all()
        assert run.seeds["method"]["policy"] == GUARD_POLICY
    applied = {(c.item_id, c.call_index): c.guard["applied"] for c in calls}
    # every rejected candidate restates its instruction; no gold candidate is touched
    assert sorted(applied.values()) == [False, False, True, True]


def _fitted(text: str):  # type: ignore[no-untyped-def]
    from flip_rerank.inputs import fit_to_budget

    return fit_to_budget(RerankPrompt("p0", INSTRUCTION, (text,), None), 3500, False)
