"""One lm-evaluation-harness task class for every method, benchmark and domain.

A task YAML names this class and sets ``metadata`` (``method``, ``benchmark``, ``domain``,
``variant``); the class loads the items with :mod:`flip_core.benchmarks`, asks the method of
:mod:`flip_core.methods` which model calls to make, renders one chat prompt per call, and turns
the outputs back into per-candidate scores and best-of-N metrics. Everything that decides a
score lives in flip_core, so the results store recomputes the same numbers from the logged raw
outputs.

lm-eval 0.4.13 mechanics this relies on (see the toolchain notes):
- the YAML's ``class: !function ...`` hands the whole config, ``class`` included, to the
  constructor; it is removed before ``ConfigurableTask.__init__``;
- documents come from :meth:`download` as a ``datasets.Dataset`` built in memory, so every
  field added there (shown order, seed, template hash, data revision) is logged with the sample;
- :meth:`fewshot_context` returns one prompt per model call, because only it receives the
  ``--system_instruction`` and the model's chat template; :meth:`construct_requests` turns them
  into Instances with ``idx`` in call order, which is the order ``process_results`` gets back;
- generation settings are read from ``self.config.generation_kwargs`` when requests are built,
  after lm-eval has merged ``--gen_kwargs`` into them.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

import datasets
from lm_eval.api.instance import Instance
from lm_eval.api.metrics import mean
from lm_eval.api.task import ConfigurableTask

from flip_core.benchmarks import load_benchmark
from flip_core.errors import FlipConfigError
from flip_core.logged_samples import document_item, item_document
from flip_core.methods import Method, get_method
from flip_core.profiles import get_profile
from flip_core.selection import is_strictly_correct, tie_aware_credit

SHUFFLE_SEED = 1234
HARNESS_PROFILES = ("default", "cpu")
"""Profiles the harness tasks support; ``paper`` (five samples) needs the ``_s5`` variants."""

COMMON_METRICS = ("acc", "acc_ci_low", "acc_ci_high", "acc_tie_aware", "parse_fail_rate")
FLIP_METRICS = ("mean_reward_chosen", "mean_reward_rejected")


class BestOfNTask(ConfigurableTask):
    """Best-of-N accuracy of one scoring method on one benchmark domain."""

    def __init__(self, config: dict[str, Any] | None = None, **kwargs: Any) -> None:
        config = dict(config or {})
        config.pop("class", None)
        # A named process_results keeps lm-eval from looking our metric names up in the
        # Hugging Face `evaluate` registry (a network call).
        config.setdefault("process_results", "process_results")
        metadata = config.get("metadata") or {}
        self.method_name = str(metadata.get("method", ""))
        self.benchmark = str(metadata.get("benchmark", ""))
        self.domain = str(metadata.get("domain", ""))
        self.shuffle_seed = SHUFFLE_SEED if self.method_name == "judge_listwise" else None
        self.method: Method = get_method(self.method_name, shuffle_seed=self.shuffle_seed)
        config["generation_kwargs"] = _profile_generation_kwargs(
            config.get("generation_kwargs") or {}, str(metadata.get("profile", "default"))
        )
        super().__init__(config=config, **kwargs)

    # --- documents ---------------------------------------------------------------------

    def download(self, dataset_kwargs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        loaded = load_benchmark(self.benchmark, self.domain)
        docs = [
            item_document(item, self.method, loaded.source, loaded.revision, self.shuffle_seed)
            for item in loaded.items
        ]
        self.dataset = {"test": datasets.Dataset.from_list(docs)}

    def has_training_docs(self) -> bool:
        return False

    def has_validation_docs(self) -> bool:
        return False

    def has_test_docs(self) -> bool:
        return True

    def test_docs(self) -> datasets.Dataset:
        return self.dataset["test"]

    def doc_to_text(self, doc: dict[str, Any], doc_to_text: Any = None) -> str:
        return doc["instruction"]

    def doc_to_target(self, doc: dict[str, Any], doc_to_target: Any = None) -> int:
        return doc["gold_index"]

    # --- requests ----------------------------------------------------------------------

    def fewshot_context(
        self,
        doc: dict[str, Any],
        num_fewshot: int,
        system_instruction: str | None = None,
        apply_chat_template: bool = False,
        fewshot_as_multiturn: bool = False,
        chat_template: Any = None,
        gen_prefix: str | None = None,
    ) -> list[str]:
        """One prompt per model call, chat-templated when ``--apply_chat_template`` is on."""
        if num_fewshot:
            raise FlipConfigError(f"{self.config.task}: few-shot examples are not supported")
        prompts = []
        for call in self.method.calls(document_item(doc)):
            messages = [dict(message) for message in call.conversation]
            if system_instruction:
                messages[0]["content"] = f"{system_instruction}\n\n{messages[0]['content']}"
            if apply_chat_template and chat_template is not None:
                prompts.append(chat_template(messages, add_generation_prompt=True))
            else:
                prompts.append("\n\n".join(m["content"] for m in messages) + "\n")
        return prompts

    def construct_requests(
        self, doc: dict[str, Any], ctx: list[str] | str, **kwargs: Any
    ) -> list[Instance]:
        kwargs.pop("apply_chat_template", None)
        kwargs.pop("chat_template", None)
        contexts = ctx if isinstance(ctx, list) else [ctx]
        return [
            Instance(
                request_type="generate_until",
                doc=doc,
                arguments=(context, deepcopy(self.config.generation_kwargs)),
                idx=index,
                **kwargs,
            )
            for index, context in enumerate(contexts)
        ]

    # --- metrics -----------------------------------------------------------------------

    def process_results(self, doc: dict[str, Any], results: list[str]) -> dict[str, float]:
        item = document_item(doc)
        scored = self.method.score(item, [[output] for output in results])
        strict = float(is_strictly_correct(scored.scores, item.gold_index))
        metrics = {
            "acc": strict,
            "acc_ci_low": strict,
            "acc_ci_high": strict,
            "acc_tie_aware": tie_aware_credit(scored.scores, item.gold_index),
            "parse_fail_rate": scored.parse_fail_rate,
        }
        if self.method_name == "flip":
            rejected = [s for i, s in enumerate(scored.scores) if i != item.gold_index]
            metrics["mean_reward_chosen"] = float(scored.scores[item.gold_index])
            metrics["mean_reward_rejected"] = float(sum(rejected) / len(rejected))
        return metrics

    def aggregation(self) -> dict[str, Any]:
        from harness_tasks.aggregations import ci95_high, ci95_low

        aggregations: dict[str, Any] = {name: mean for name in self._metric_names()}
        aggregations.update(acc_ci_low=ci95_low, acc_ci_high=ci95_high)
        return aggregations

    def higher_is_better(self) -> dict[str, bool]:
        return {name: name != "parse_fail_rate" for name in self._metric_names()}

    def _metric_names(self) -> tuple[str, ...]:
        return COMMON_METRICS + (FLIP_METRICS if self.method_name == "flip" else ())


def _profile_generation_kwargs(configured: dict[str, Any], profile_name: str) -> dict[str, Any]:
    """The YAML's generation settings with the decoding profile's applied on top.

    The profile comes from ``--metadata '{"profile": "cpu"}'`` (lm-eval merges it into every
    task's metadata, so results record it); ``--gen_kwargs`` still overrides afterwards.
    """
    if profile_name not in HARNESS_PROFILES:
        raise FlipConfigError(
            f"profile {profile_name!r} is not available in the harness tasks; choose one of "
            f"{', '.join(HARNESS_PROFILES)} (five sampled runs are the _s5 task variants)"
        )
    profile = get_profile(profile_name)
    settings = dict(configured)
    settings.update(max_gen_toks=profile.max_new_tokens, do_sample=False, temperature=0.0)
    return settings
