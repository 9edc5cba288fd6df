"""Best-of-N reranking (flip_rerank, ``flip rerank``): input shapes, picks, ties, the
context budget, resumption after a kill, and the reference statistics."""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path

import pytest
from cli_runner import run_command

from flip_core.errors import FlipConfigError, FlipInputError
from flip_core.selection import bootstrap_interval
from flip_core.similarity import token_f1
from flip_rerank import (
    DEFAULT_MAX_CANDIDATE_CHARS,
    MIN_CANDIDATE_CHARS,
    RerankPrompt,
    alpacaeval_win_rate,
    fit_to_budget,
    load_rerank_prompts,
    make_reranker,
    read_finished,
    run_rerank,
    summarize,
)

ALPACAEVAL_FILE = Path("alpacaeval_bon") / "tulu2dpo13b_bo11_dev.jsonl"


# --------------------------------------------------------------------------- helpers


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def shown_response(user_message: str) -> str:
    """The response a FLIP or pointwise prompt shows."""
    return user_message.split("[Response]\n", 1)[1].rsplit("\n\n", 1)[0]


def echo_reconstruction(user_message: str, sample: int) -> str:
    """A fake reconstructor that 'infers' the response text itself as the instruction."""
    return json.dumps({"REASONING": "r", "INFERRED INSTRUCTION": shown_response(user_message)})


def rating_from_text(user_message: str, sample: int) -> str:
    """A fake judge that reads a 'rate=N' tag in the response; no tag: an unparseable answer."""
    match = re.search(r"rate=(\d+)", shown_response(user_message))
    return json.dumps({"REASONING": "r", "SCORE": int(match[1])}) if match else "no idea"


def flip_reranker(backend, **options):
    return make_reranker("flip", generator=backend, **options)


def judge_reranker(backend, **options):
    return make_reranker("judge_pointwise", generator=backend, **options)


def rows_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


PROMPTS = [
    RerankPrompt(
        "p1",
        "write a poem about the sea",
        ("a recipe for soup", "a poem about the sea", "poem"),
        (10.0, 80.0, 30.0),
    ),
    RerankPrompt(
        "p2",
        "list three fruits",
        ("three fruits list", "a dog", "list fruits"),
        (90.0, 0.0, 50.0),
    ),
    RerankPrompt("p3", "name a colour", ("red", "a colour name", "blue sky"), (20.0, 60.0, 40.0)),
    RerankPrompt("p4", "say hi", ("hi", "hello there", "say hi"), (5.0, 15.0, 95.0)),
    RerankPrompt(
        "p5",
        "count to three",
        ("one two three", "count to three please", "four"),
        (70.0, 20.0, 0.0),
    ),
]


# --------------------------------------------------------------------------- input


def test_generic_rows_load_with_optional_id_and_reference_scores(tmp_path):
    path = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {
                "id": "a",
                "instruction": "x",
                "responses": ["r1", "r2"],
                "reference_scores": [1, 2.5],
            },
            {"instruction": "y", "responses": ["only"], "domain": "demo"},
        ],
    )
    first, second = load_rerank_prompts(path)
    assert (first.id, first.candidates, first.reference_scores) == ("a", ("r1", "r2"), (1.0, 2.5))
    assert (second.id, second.reference_scores, second.domain, second.line) == (
        "2",
        None,
        "demo",
        2,
    )


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ('{"instruction": "x", "responses": ["a"]', "in.jsonl:2:"),
        ('{"instruction": "x", "responses": []}', "at least one candidate"),
        (
            '{"instruction": "x", "responses": ["a", "b"], "reference_scores": [1]}',
            "1 values for 2",
        ),
        ('{"instruction": "x", "responses": ["a"], "reference_scores": ["high"]}', "numbers only"),
        ('{"instruction": "x", "responses": ["a", 3]}', "strings only"),
        (
            '{"id": "0", "instruction": "x", "outputs": ["a"], "dataset": "d"}',
            "preference_vs_gpt35",
        ),
        (
            '{"id": "0", "instruction": "x", "outputs": ["a"], "dataset": "d", '
            '"preference_vs_gpt35": [3.5]}',
            "must lie in [1, 2]",
        ),
        ('{"prompt": "x", "chosen": ["a"]}', "expected 'instruction' and 'responses'"),
        ('{"id": "first", "instruction": "x", "responses": ["a"]}', "repeats line 1"),
        ("[1, 2]", "must be a JSON object"),
    ],
)
def test_bad_input_is_one_error_naming_file_and_line(tmp_path, line, fragment):
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": "first", "instruction": "ok", "responses": ["fine"]}\n' + line + "\n")
    with pytest.raises(FlipInputError) as error:
        load_rerank_prompts(path)
    message = str(error.value)
    assert message.startswith(f"{path}:2: ") and "\n" not in message
    assert fragment in message


def test_alpacaeval_rows_load_from_the_real_file(real_data_dir):
    path = real_data_dir / ALPACAEVAL_FILE
    if not path.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing under CI=true")
        pytest.skip(f"{path} not present on this machine")
    raw = [json.loads(line) for line in path.read_text().splitlines()[:3]]
    prompts = load_rerank_prompts(path)[:3]
    for row, prompt in zip(raw, prompts, strict=True):
        assert prompt.id == f"alpacaeval_bon:{row['dataset']}:{row['id']}"
        assert prompt.instruction == row["instruction"] and prompt.domain == row["dataset"]
        assert prompt.candidates == tuple(row["outputs"]) and len(prompt.candidates) == 11
        assert prompt.reference_scores == pytest.approx(
            [(p - 1) * 100 for p in row["preference_vs_gpt35"]]
        )
        assert all(0.0 <= s <= 100.0 for s in prompt.reference_scores)
    assert alpacaeval_win_rate(1.25) == pytest.approx(25.0)


# --------------------------------------------------------------------------- picks and ties


def test_flip_picks_the_best_reconstruction_and_records_every_candidate(
    tmp_path, fake_backend_factory
):
    backend = fake_backend_factory(echo_reconstruction)
    result = run_rerank(PROMPTS, flip_reranker(backend), tmp_path / "out.jsonl", progress=False)
    row = result.rows[0]
    assert row["picked_index"] == 1 and row["picked_response"] == "a poem about the sea"
    assert row["picked_reference_score"] == 80.0 and row["top_indices"] == [1] and not row["tie"]
    for candidate, text in zip(row["candidates"], PROMPTS[0].candidates, strict=True):
        assert candidate["score"] == pytest.approx(token_f1(text, PROMPTS[0].instruction).f1)
        assert candidate["inferred_instruction"] == text
        assert candidate["parse_status"] == "ok"
        assert candidate["generated_tokens"] == len(
            echo_reconstruction(f"[Response]\n{text}\n\nq", 0).split()
        )
        assert candidate["chars"] == len(text) and candidate["truncated_to"] is None
    assert row["settings"]["method"] == "flip" and row["model_name"] == "fake-lm"
    assert [r["picked_index"] for r in result.rows] == [1, 0, 1, 2, 1]
    assert rows_of(tmp_path / "out.jsonl") == result.rows


def test_flip_batches_across_prompts_and_writes_each_batch_as_it_finishes(
    tmp_path, fake_backend_factory
):
    output = tmp_path / "out.jsonl"
    rows_seen_at_call = []

    def respond(user_message: str, sample: int) -> str:
        return echo_reconstruction(user_message, sample)

    backend = fake_backend_factory(respond)
    original_generate = backend.generate

    def generate(conversations, profile, progress=True):
        rows_seen_at_call.append(len(rows_of(output)) if output.exists() else 0)
        return original_generate(conversations, profile, progress)

    backend.generate = generate
    run_rerank(PROMPTS, flip_reranker(backend), output, prompts_per_batch=2, progress=False)
    assert [len(conversations) for conversations, _ in backend.calls] == [6, 6, 3]
    assert rows_seen_at_call == [0, 2, 4]


def test_pointwise_judge_picks_the_top_rating_and_breaks_ties_on_the_first(
    tmp_path, fake_backend_factory
):
    prompts = [
        RerankPrompt("a", "task", ("rate=3", "rate=9", "rate=7"), (1.0, 2.0, 3.0)),
        RerankPrompt("b", "task", ("rate=4", "rate=8", "rate=8 too"), (1.0, 2.0, 3.0)),
        RerankPrompt("c", "task", ("nothing", "nothing either"), (5.0, 6.0)),
        RerankPrompt("d", "task", ("nothing", "rate=1"), (5.0, 6.0)),
    ]
    backend = fake_backend_factory(rating_from_text)
    result = run_rerank(prompts, judge_reranker(backend), tmp_path / "out.jsonl", progress=False)
    picks = [(r["picked_index"], r["top_indices"], r["tie"]) for r in result.rows]
    assert picks == [(1, [1], False), (1, [1, 2], True), (0, [0, 1], True), (1, [1], False)]
    b = result.rows[1]["candidates"]
    assert [c["score"] for c in b] == [4.0, 8.0, 8.0]
    assert b[0]["parse_status"] == "ok" and b[0]["samples"][0]["raw_output"]
    c = result.rows[2]["candidates"]
    assert [x["score"] for x in c] == [None, None] and c[0]["parse_status"] == "failed"
    summary = summarize(result.rows)
    assert summary.ties == 2 and summary.parse_failures == 3 and summary.parsed_calls == 10


def test_length_and_random_pickers_need_no_model_and_are_deterministic(tmp_path):
    prompts = [
        RerankPrompt("x", "i", ("aa", "bbbb", "cccc", "d"), (1.0, 2.0, 3.0, 4.0)),
        *PROMPTS,
    ]
    longest = run_rerank(prompts, make_reranker("longest"), tmp_path / "l.jsonl", progress=False)
    shortest = run_rerank(prompts, make_reranker("shortest"), tmp_path / "s.jsonl", progress=False)
    assert (longest.rows[0]["picked_index"], longest.rows[0]["top_indices"]) == (1, [1, 2])
    assert longest.rows[0]["tie"] and shortest.rows[0]["picked_index"] == 3
    assert longest.rows[0]["candidates"][1]["score"] == 4.0
    draws = [
        [
            r["picked_index"]
            for r in run_rerank(
                prompts, make_reranker("random", seed=seed), tmp_path / f"r{seed}-{batch}.jsonl",
                prompts_per_batch=batch, progress=False,
            ).rows
        ]
        for seed, batch in [(7, 1), (7, 4), (8, 4)]
    ]  # fmt: skip
    assert draws[0] == draws[1]  # the seed and the prompt id decide, not the batching
    assert draws[0] != draws[2]
    expected = []
    for prompt in prompts:
        rng = random.Random(f"7:{prompt.id}")
        draw = [rng.random() for _ in prompt.candidates]
        expected.append(draw.index(max(draw)))
    assert draws[0] == expected
    assert make_reranker("random").settings == {"method": "random", "seed": 0}


def test_unknown_method_and_bad_options_fail_clearly(fake_backend_factory):
    with pytest.raises(FlipConfigError, match="choose one of"):
        make_reranker("listwise")
    backend = fake_backend_factory(echo_reconstruction)
    with pytest.raises(FlipConfigError, match="max-candidate-chars"):
        flip_reranker(backend, max_candidate_chars=10)
    with pytest.raises(FlipConfigError, match="--limit"):
        run_rerank(PROMPTS, make_reranker("longest"), "unused.jsonl", limit=0)


# --------------------------------------------------------------------------- context budget


def test_long_candidates_are_cut_to_the_budget_and_recorded(tmp_path, fake_backend_factory):
    long_text = "word " * 100  # 500 characters
    prompt = RerankPrompt("long", "write words", (long_text, "short"), (1.0, 2.0))
    backend = fake_backend_factory(echo_reconstruction)
    result = run_rerank(
        [prompt], flip_reranker(backend, max_candidate_chars=300), tmp_path / "o.jsonl",
        progress=False,
    )  # fmt: skip
    (row,) = result.rows
    assert [c["truncated_to"] for c in row["candidates"]] == [300, None]
    assert [c["chars"] for c in row["candidates"]] == [500, 5]
    assert row["truncated_candidates"] == 1
    shown = [shown_response(conv[-1]["content"]) for conv in backend.calls[0][0]]
    assert shown == [long_text[:300], "short"]
    assert row["candidates"][0]["inferred_instruction"] == long_text[:300].strip()
    assert row["picked_response"] in (long_text, "short")  # the original text, never the cut
    summary = summarize(result.rows)
    assert (summary.truncated_candidates, summary.truncated_prompts) == (1, 1)


def test_the_judge_budget_includes_the_instruction(fake_backend_factory):
    prompt = RerankPrompt("j", "i" * 100, ("x" * 400, "y" * 250, "z"))
    fitted = fit_to_budget(prompt, 350, shows_instruction=True)
    assert fitted.refusal is None
    assert fitted.truncated == {0: 250} and fitted.shown == ("x" * 250, "y" * 250, "z")
    assert fit_to_budget(prompt, 350, shows_instruction=False).truncated == {0: 350}
    assert fit_to_budget(prompt, None, shows_instruction=True).shown == prompt.candidates
    assert DEFAULT_MAX_CANDIDATE_CHARS >= 10 * MIN_CANDIDATE_CHARS


def test_an_instruction_that_does_not_fit_is_refused_with_a_reason(tmp_path, fake_backend_factory):
    huge = RerankPrompt("huge", "explain " * 100, ("rate=5", "rate=6"), (1.0, 2.0))
    fine = RerankPrompt("fine", "explain", ("rate=5", "rate=6"), (1.0, 2.0))
    backend = fake_backend_factory(rating_from_text)
    result = run_rerank(
        [huge, fine], judge_reranker(backend, max_candidate_chars=900), tmp_path / "o.jsonl",
        progress=False,
    )  # fmt: skip
    refused, scored = result.rows
    assert refused["status"] == "refused" and refused["picked_index"] is None
    assert "instruction is 800 characters" in refused["refusal"]
    assert "at least 200" in refused["refusal"]
    assert [c["score"] for c in refused["candidates"]] == [None, None]
    assert scored["status"] == "ok" and scored["picked_index"] == 1
    assert len(backend.calls) == 1 and len(backend.calls[0][0]) == 2  # nothing sent for "huge"
    summary = summarize(result.rows)
    assert (summary.scored, summary.refused) == (1, 1)
    assert summary.reference.n == 1 and summary.reference.picked.value == 2.0
    # FLIP never shows the instruction to the model, so the same prompt is not refused there
    flip = run_rerank(
        [huge], flip_reranker(fake_backend_factory(echo_reconstruction), max_candidate_chars=900),
        tmp_path / "flip.jsonl", progress=False,
    )  # fmt: skip
    assert flip.rows[0]["status"] == "ok"


# --------------------------------------------------------------------------- resumption


def test_a_killed_run_resumes_and_ends_equal_to_an_uninterrupted_one(
    tmp_path, fake_backend_factory
):
    full = tmp_path / "full.jsonl"
    run_rerank(PROMPTS, flip_reranker(fake_backend_factory(echo_reconstruction)), full,
               prompts_per_batch=2, progress=False)  # fmt: skip
    lines = full.read_text().splitlines(keepends=True)
    partial = tmp_path / "partial.jsonl"
    partial.write_text("".join(lines[:2]) + lines[2][: len(lines[2]) // 2])  # killed mid-write

    messages = []
    backend = fake_backend_factory(echo_reconstruction)
    result = run_rerank(
        PROMPTS, flip_reranker(backend), partial, prompts_per_batch=2, progress=False,
        on_message=messages.append,
    )  # fmt: skip
    assert partial.read_text() == full.read_text()
    assert (result.resumed, result.scored_now, result.dropped_line) == (2, 3, 3)
    assert any("partial.jsonl:3: dropped an incomplete last line" in m for m in messages)
    assert any("2 of 5 prompts already done" in m for m in messages)
    assert sum(len(conversations) for conversations, _ in backend.calls) == 9  # 3 prompts x 3

    again = fake_backend_factory(echo_reconstruction)
    rerun = run_rerank(PROMPTS, flip_reranker(again), partial, progress=False)
    assert again.calls == [] and rerun.scored_now == 0 and rerun.rows == rows_of(full)


def test_a_complete_last_row_without_its_newline_is_kept(tmp_path):
    output = tmp_path / "o.jsonl"
    run_rerank(PROMPTS[:2], make_reranker("longest"), output, progress=False)
    output.write_text(output.read_text().rstrip("\n"))
    result = run_rerank(PROMPTS, make_reranker("longest"), output, progress=False)
    assert (result.resumed, result.dropped_line) == (2, None)
    assert [row["id"] for row in rows_of(output)] == ["p1", "p2", "p3", "p4", "p5"]


def test_limit_continues_the_same_output(tmp_path):
    output = tmp_path / "o.jsonl"
    first = run_rerank(PROMPTS, make_reranker("shortest"), output, limit=2, progress=False)
    assert len(first.rows) == 2
    second = run_rerank(PROMPTS, make_reranker("shortest"), output, limit=4, progress=False)
    assert (second.resumed, second.scored_now, len(rows_of(output))) == (2, 2, 4)


@pytest.mark.parametrize(
    ("damage", "fragment"),
    [
        (lambda lines: ["garbage\n", *lines[1:]], "o.jsonl:1: not a rerank result row"),
        (lambda lines: [lines[0].replace('"seed": 0', '"seed": 5'), *lines[1:]], "seed: 5"),
        (lambda lines: [lines[0].replace('"p1"', '"gone"'), *lines[1:]], "'gone' is not in"),
        (
            lambda lines: [
                lines[0].replace('"input_fingerprint": "', '"input_fingerprint": "0'),
                *lines[1:],
            ],
            "differs from the input's",
        ),
    ],
)
def test_outputs_that_cannot_be_resumed_are_refused(tmp_path, damage, fragment):
    output = tmp_path / "o.jsonl"
    run_rerank(PROMPTS[:3], make_reranker("random"), output, progress=False)
    output.write_text("".join(damage(output.read_text().splitlines(keepends=True))))
    before = output.read_text()
    with pytest.raises(FlipInputError, match=re.escape(fragment)):
        run_rerank(PROMPTS, make_reranker("random"), output, progress=False)
    assert output.read_text() == before


def test_read_finished_of_a_missing_file_is_empty(tmp_path):
    assert read_finished(tmp_path / "none.jsonl", {"method": "x"}).rows == {}


# --------------------------------------------------------------------------- statistics


def test_reference_statistics_match_a_hand_computation(tmp_path, fake_backend_factory):
    result = run_rerank(
        PROMPTS, flip_reranker(fake_backend_factory(echo_reconstruction)), tmp_path / "o.jsonl",
        progress=False,
    )  # fmt: skip
    summary = summarize(result.rows)
    reference = summary.reference
    # picks [1, 0, 1, 2, 1] -> reference scores 80, 90, 60, 95, 20
    assert reference.picked.value == pytest.approx((80 + 90 + 60 + 95 + 20) / 5)
    expected_interval = bootstrap_interval([80.0, 90.0, 60.0, 95.0, 20.0])
    assert (reference.picked.low, reference.picked.high) == (
        pytest.approx(expected_interval.low),
        pytest.approx(expected_interval.high),
    )
    assert reference.picked.low <= reference.picked.value <= reference.picked.high
    assert reference.random_expected == pytest.approx((40 + 140 / 3 + 40 + 115 / 3 + 30) / 5)
    # longest: p1 "a poem about the sea" 80, p2 "three fruits list" 90, p3 "a colour name" 60,
    # p4 "hello there" 15, p5 "count to three please" 20
    assert reference.longest == pytest.approx((80 + 90 + 60 + 15 + 20) / 5)
    # shortest: p1 "poem" 30, p2 "a dog" 0, p3 "red" 20, p4 "hi" 5, p5 "four" 0
    assert reference.shortest == pytest.approx((30 + 0 + 20 + 5 + 0) / 5)
    assert reference.oracle == pytest.approx((80 + 90 + 60 + 95 + 70) / 5)
    assert (reference.n, summary.scored, summary.refused, summary.ties) == (5, 5, 0, 0)
    assert summary.generated_tokens > 0 and summary.parse_failures == 0


def test_summary_without_reference_scores_has_counts_only(tmp_path):
    prompts = [RerankPrompt("n", "i", ("a", "bb"))]
    result = run_rerank(prompts, make_reranker("longest"), tmp_path / "o.jsonl", progress=False)
    summary = summarize(result.rows)
    assert summary.reference is None and summary.scored == 1
    assert summary.parse_failures is None and summary.generated_tokens is None


# --------------------------------------------------------------------------- the CLI


def test_cli_reranks_a_file_and_prints_the_summary(tmp_path):
    source = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {"id": p.id, "instruction": p.instruction, "responses": list(p.candidates),
             "reference_scores": list(p.reference_scores)}
            for p in PROMPTS
        ],
    )  # fmt: skip
    output = tmp_path / "out.jsonl"
    args = ("rerank", "--input", str(source), "--method", "longest", "--output", str(output))
    result = run_command("flip", *args)
    assert result.returncode == 0, result.stderr
    assert len(rows_of(output)) == 5
    assert "always longest" in result.stdout and "oracle (best candidate)" in result.stdout
    assert "longest (mean reference score [95% CI])  53.00" in result.stdout
    assert "n prompts" in result.stdout and "truncated candidates" in result.stdout
    rerun = run_command("flip", *args)
    assert rerun.returncode == 0 and "5 of 5 prompts already done" in rerun.stderr
    assert "(0 scored now)" in rerun.stdout


def test_cli_bad_input_is_one_line(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"instruction": "x", "responses": ["a"], "reference_scores": [1, 2]}\n')
    result = run_command("flip", "rerank", "--input", str(source), "--method", "random")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"flip: error: {source}:1: ")
    assert "'reference_scores' has 2 values for 1 responses" in lines[0]


@pytest.mark.model
def test_rerank_end_to_end_with_the_bundled_model(tmp_path, model_env):
    source = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {
                "id": "haiku",
                "instruction": "Write a haiku about autumn rain.",
                "responses": [
                    "Cold drops on red leaves,\nthe gutter sings all night long,\n"
                    "autumn rinses clean.",
                    "Spring blossoms open in the warm sun.",
                ],
                "reference_scores": [90, 10],
            },
            {
                "id": "capital",
                "instruction": "What is the capital of France?",
                "responses": ["The capital of France is Paris.", "Berlin is Germany's capital."],
                "reference_scores": [100, 0],
            },
            {
                "id": "fruits",
                "instruction": "List three fruits.",
                "responses": ["Apple, banana, cherry.", "Carrot.", "x" * 300],
                "reference_scores": [80, 20, 0],
            },
        ],
    )
    output = tmp_path / "out.jsonl"
    result = run_command(
        "flip", "rerank", "--input", str(source), "--method", "flip", "--profile", "cpu",
        "--output", str(output), "--device", "cpu", "--max-candidate-chars", "250",
        env=model_env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = rows_of(output)
    assert [row["id"] for row in rows] == ["haiku", "capital", "fruits"]
    for row in rows:
        assert row["status"] == "ok" and row["settings"]["profile"]["name"] == "cpu"
        assert row["settings"]["profile"]["max_new_tokens"] == 40  # the test cap is recorded
        scores = [c["score"] for c in row["candidates"]]
        assert row["picked_index"] == row["top_indices"][0]
        assert scores[row["picked_index"]] == max(scores)
        for candidate in row["candidates"]:
            assert 0.0 <= candidate["score"] <= 1.0
            assert candidate["parse_status"] in {"ok", "repaired", "failed"}
            assert 0 < candidate["generated_tokens"] <= 40
            assert candidate["samples"][0]["raw_output"]
    assert [c["truncated_to"] for c in rows[2]["candidates"]] == [None, None, 250]
    assert "flip (mean reference score [95% CI])" in result.stdout
    assert "random (expected value)" in result.stdout and "oracle (best candidate)" in result.stdout
    assert re.search(r"n prompts\s+3\n", result.stdout)
    assert re.search(r"truncated candidates\s+1 in 1 prompts", result.stdout)
