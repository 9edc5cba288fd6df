"""The prompts: FLIP's reconstruction prompt and the three LLM-as-a-judge baselines.

FLIP-likelihood (``flipll``, this project's extension) asks FLIP's reconstruction question
word for word, under a template name and version of its own.

Each template carries the elements that docs/method.md lists for the paper's prompts, in this
project's own words. Templates are versioned and hashed: every stored result records the hash,
and the store only compares runs whose hashes agree, so editing a prompt's wording must bump its
version (a test pins the hashes to make an unversioned edit fail loudly).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from string import Template

from flip_core.errors import FlipConfigError

Message = dict[str, str]
Conversation = list[Message]


@dataclass(frozen=True)
class PromptTemplate:
    """A system message plus a user message with ``$placeholders`` (``string.Template`` syntax).

    ``string.Template`` rather than ``str.format`` so that the literal JSON braces in the
    instructions need no escaping, and so that braces inside responses are never interpreted.
    """

    name: str
    version: int
    system: str
    user: str

    @property
    def hash(self) -> str:
        """A stable 16-hex-digit fingerprint of the template's name, version and wording."""
        canonical = json.dumps(
            {"name": self.name, "version": self.version, "system": self.system, "user": self.user},
            sort_keys=True,
            ensure_ascii=True,
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]

    def render(self, **fields: str) -> Conversation:
        """Fill the placeholders and return the chat messages (system first, then user)."""
        try:
            user = Template(self.user).substitute(fields)
        except KeyError as missing:
            raise FlipConfigError(
                f"prompt {self.name!r} needs the field {missing.args[0]!r}"
            ) from None
        return [{"role": "system", "content": self.system}, {"role": "user", "content": user}]


FLIP_RECONSTRUCTION = PromptTemplate(
    name="flip_reconstruction",
    version=1,
    system=(
        "You are an instruction reconstructor. You are shown a response written by an AI "
        "assistant, but not the instruction it was answering. Infer the single instruction "
        "that would most plausibly have produced exactly this response.\n"
        "- State what the user wanted, the output format the response follows, and any "
        "constraints it visibly satisfies (length, structure, style, language).\n"
        "- Be concise and concrete: write the instruction as a user would.\n"
        "- Add nothing that the response does not show.\n"
        "- Do not copy the response's own wording or examples into the instruction.\n"
        "Reason briefly first, then answer with only a JSON object with two keys: "
        '"REASONING" (one or two sentences) and "INFERRED INSTRUCTION" (the instruction).'
    ),
    user=(
        "[Response]\n$response\n\n"
        "Which instruction most plausibly produced the response above? Answer with only a "
        'JSON object: {"REASONING": "...", "INFERRED INSTRUCTION": "..."}'
    ),
)

JUDGE_POINTWISE = PromptTemplate(
    name="judge_pointwise",
    version=1,
    system=(
        "You are an impartial judge of AI assistant responses. Given a user's instruction and "
        "one response, rate how well the response does what the instruction asks: whether it "
        "follows every requirement, is correct, and is helpful. Do not reward length or "
        "style for its own sake. Explain briefly, then give an integer score from 1 (worst) "
        "to 10 (best). Answer with only a JSON object with two keys: "
        '"REASONING" and "SCORE".'
    ),
    user=(
        "[Instruction]\n$instruction\n\n[Response]\n$response\n\n"
        'Rate the response. Answer with only a JSON object: {"REASONING": "...", "SCORE": 1-10}'
    ),
)

JUDGE_PAIRWISE = PromptTemplate(
    name="judge_pairwise",
    version=1,
    system=(
        "You are an impartial judge of AI assistant responses. Given a user's instruction and "
        "two responses, A and B, decide which one better does what the instruction asks: "
        "follows every requirement, is correct, and is helpful. The order in which the "
        "responses are shown, their length and their style must not influence you. Explain "
        "briefly, then name the better response. Answer with only a JSON object with two "
        'keys: "REASONING" and "BETTER_RESPONSE" (either "A" or "B").'
    ),
    user=(
        "[Instruction]\n$instruction\n\n[Response A]\n$response_a\n\n[Response B]\n$response_b"
        "\n\nWhich response is better? Answer with only a JSON object: "
        '{"REASONING": "...", "BETTER_RESPONSE": "A" or "B"}'
    ),
)

JUDGE_LISTWISE = PromptTemplate(
    name="judge_listwise",
    version=1,
    system=(
        "You are an impartial judge of AI assistant responses. Given a user's instruction and "
        "several responses numbered from 0, decide which one best does what the instruction "
        "asks: follows every requirement, is correct, and is helpful. The order in which the "
        "responses are shown, their length and their style must not influence you. Explain "
        "briefly, then give the number of the best response. Answer with only a JSON object "
        'with two keys: "REASONING" and "BEST_RESPONSE_INDEX" (an integer).'
    ),
    user=(
        "[Instruction]\n$instruction\n\n$numbered_responses\n\n"
        "Which response is best (0 to $last_index)? Answer with only a JSON object: "
        '{"REASONING": "...", "BEST_RESPONSE_INDEX": 0-$last_index}'
    ),
)

FLIP_LIKELIHOOD = PromptTemplate(
    name="flip_likelihood",
    version=1,
    system=FLIP_RECONSTRUCTION.system,
    user=FLIP_RECONSTRUCTION.user,
)
"""FLIP-likelihood (this project's extension) asks FLIP's own reconstruction question, word for
word, and scores the original instruction as the answer. It is a template of its own so that
its protocol (what exactly is scored: see flip_core.likelihood and the harness task) is
versioned apart from FLIP's: a change to the scored continuation bumps this version only."""

TEMPLATES: dict[str, PromptTemplate] = {
    t.name: t
    for t in (FLIP_RECONSTRUCTION, JUDGE_POINTWISE, JUDGE_PAIRWISE, JUDGE_LISTWISE, FLIP_LIKELIHOOD)
}


def flip_messages(response: str) -> Conversation:
    """The reconstruction prompt for one response (the instruction is never shown)."""
    return FLIP_RECONSTRUCTION.render(response=response)


def flip_likelihood_messages(response: str) -> Conversation:
    """FLIP-likelihood's prompt for one response (FLIP's wording; the instruction is never
    shown in the prompt, only scored as the answer)."""
    return FLIP_LIKELIHOOD.render(response=response)


def pointwise_messages(instruction: str, response: str) -> Conversation:
    """The 1-10 rating prompt for one (instruction, response) pair."""
    return JUDGE_POINTWISE.render(instruction=instruction, response=response)


def pairwise_messages(instruction: str, response_a: str, response_b: str) -> Conversation:
    """The A/B comparison prompt; callers ask both orders to cancel position bias."""
    return JUDGE_PAIRWISE.render(
        instruction=instruction, response_a=response_a, response_b=response_b
    )


def listwise_messages(instruction: str, responses: list[str]) -> Conversation:
    """The pick-the-best prompt over responses numbered from 0 in the order given.

    Callers shuffle the candidates (seeded) first so that the gold one is not always in the
    same slot, and map the chosen number back.
    """
    if len(responses) < 2:
        raise FlipConfigError("a listwise prompt needs at least two responses")
    numbered = "\n\n".join(f"[Response {i}]\n{text}" for i, text in enumerate(responses))
    return JUDGE_LISTWISE.render(
        instruction=instruction,
        numbered_responses=numbered,
        last_index=str(len(responses) - 1),
    )


# Stop strings: lm-eval's default would cut every output at its first blank line, and JSON
# answers contain blank lines. The backends also stop at the model's end-of-sequence token;
# these add the end-of-turn markers of common chat templates whose tokenizer's EOS differs.
STOP_STRINGS = ("<|im_end|>", "<|eot_id|>", "<end_of_turn>", "<|end|>", "</s>")
