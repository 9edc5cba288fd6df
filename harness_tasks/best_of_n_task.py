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

FLIP-likelihood (``flipll``, this project's extension) makes ``loglikelihood`` requests
instead (its YAMLs say ``output_type: loglikelihood``): ``arguments = (context, continuation)``
where the context is the chat-templated reconstruction prompt up to and including the
generation prompt (the point where the assistant's turn starts), and the continuation is the
whole assistant turn holding exactly the original instruction, as the model's own chat
template renders it, followed by the template's end-of-turn marker (see
:func:`flip_core.likelihood.likelihood_request`). lm-eval's HF and vLLM back ends move trailing
whitespace of a context onto its continuation before tokenising (``TemplateLM._encode_pair``),
so with templates whose generation prompt ends in a newline (ChatML's
``<|im_start|>assistant\n``) the summed log-probability also covers that newline: the
template's own, nearly certain token, the same in every request of an item.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

import datasets
from lm_eval.api.instance import Instance
from lm_eval.api.metrics import mean
from lm_eval.api.task import ConfigurableTask

from flip_core.benchmarks import load_benchmark
from flip_core.catalog.variants import CLEAN, SAMPLED, SAMPLED_PROFILE, variant
from flip_core.errors import FlipConfigError
from flip_core.likelihood import likelihood_request
from flip_core.logged_samples import document_item, item_document
from flip_core.methods import Method, get_method
from flip_core.probes import apply_probe
from flip_core.profiles import HARNESS_PROFILES, get_profile

CI_METRICS = ("acc_ci_low", "acc_ci_high")
"""Bounds of the percentile-bootstrap interval of ``acc``, aggregated by harness_tasks."""


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
        self.variant = variant(str(metadata.get("variant") or CLEAN)).name
        self.sampled = self.variant == SAMPLED
        self.method: Method = get_method(self.method_name)
        declared = config.get("output_type", "generate_until")
        if declared != self.method.request_type:
            raise FlipConfigError(
                f"{config.get('task')}: method {self.method_name} needs output_type "
                f"{self.method.request_type}, the task file says {declared}"
            )
        profile_name = str(metadata.get("profile", "default"))
        if self.sampled:
            _configure_sampling(config, self.method, profile_name)
        elif self.method.request_type == "generate_until":
            config["generation_kwargs"] = _profile_generation_kwargs(
                config.get("generation_kwargs") or {}, profile_name
            )
        else:  # teacher forcing: nothing is generated, the profile only names the run
            _check_profile(profile_name)
            config.pop("generation_kwargs", None)
        super().__init__(config=config, **kwargs)

    # --- documents ---------------------------------------------------------------------

    def download(self, dataset_kwargs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        loaded = load_benchmark(self.benchmark, self.domain)
        items = loaded.items
        if variant(self.variant).kind == "probe":
            items = [apply_probe(item, self.variant) for item in items]
        docs = [
            item_document(item, self.method, loaded.source, loaded.revision, self.variant)
            for item in items
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
    ) -> list[str] | list[tuple[str, str]]:
        """One prompt per model call, chat-templated when ``--apply_chat_template`` is on;
        for likelihood methods one ``(context, continuation)`` pair per call."""
        if num_fewshot:
            raise FlipConfigError(f"{self.config.task}: few-shot examples are not supported")
        templated = apply_chat_template and chat_template is not None
        prompts: list[Any] = []
        for call in self.method.calls(document_item(doc)):
            messages = [dict(message) for message in call.conversation]
            if system_instruction:
                messages[0]["content"] = f"{system_instruction}\n\n{messages[0]['content']}"
            if call.continuation is not None:
                if templated:
                    prompts.append(likelihood_request(chat_template, messages, call.continuation))
                else:
                    context = "\n\n".join(m["content"] for m in messages) + "\n"
                    prompts.append((context, call.continuation))
            elif templated:
                prompts.append(chat_template(messages, add_generation_prompt=True))
            else:
                prompts.append("\n\n".join(m["content"] for m in messages) + "\n")
        if self.method.request_type == "loglikelihood":
            continuations = {continuation for _, continuation in prompts}
            if len(continuations) != 1:
                raise FlipConfigError(
                    f"{self.config.task}: item {doc['item_id']}: the scored continuation "
                    "differs between calls (the chat template renders the same answer "
                    "differently after different responses)"
                )
        return prompts

    def construct_requests(
        self, doc: dict[str, Any], ctx: list[Any] | str, **kwargs: Any
    ) -> list[Instance]:
        kwargs.pop("apply_chat_template", None)
        kwargs.pop("chat_template", None)
        prompts = ctx if isinstance(ctx, list) else [ctx]
        if self.method.request_type == "loglikelihood":
            return [
                Instance(
                    request_type="loglikelihood",
                    doc=doc,
                    arguments=(context, continuation),
                    idx=index,
                    **kwargs,
                )
                for index, (context, continuation) in enumerate(prompts)
            ]
        return [
            Instance(
                request_type="generate_until",
                doc=doc,
                arguments=(context, deepcopy(self.config.generation_kwargs)),
                idx=index,
                **kwargs,
            )
            for index, context in enumerate(prompts)
        ]

    # --- metrics -----------------------------------------------------------------------

    def process_results(self, doc: dict[str, Any], results: list[Any]) -> dict[str, float]:
        """Best-of-N metrics of one item; ``results`` are the calls' outputs in call order:
        texts, (log-probability, is_greedy) pairs for likelihood methods, or for the sampled
        variant each call's list of samples."""
        item = document_item(doc)
        outputs = [list(output) if self.sampled else [output] for output in results]
        scored = self.method.score(item, outputs)
        metrics = self.method.item_metrics(item, scored, outputs, sampled=self.sampled)
        return metrics | {name: metrics["acc"] for name in CI_METRICS}

    def aggregation(self) -> dict[str, Any]:
        from harness_tasks.aggregations import ci95_high, ci95_low

        aggregations: dict[str, Any] = {name: mean for name in self._metric_names()}
        aggregations.update(acc_ci_low=ci95_low, acc_ci_high=ci95_high)
        return aggregations

    def higher_is_better(self) -> dict[str, bool]:
        return {name: name != "parse_fail_rate" for name in self._metric_names()}

    def _metric_names(self) -> tuple[str, ...]:
        return self.method.metric_names(sampled=self.sampled) + CI_METRICS


def _profile_generation_kwargs(configured: dict[str, Any], profile_name: str) -> dict[str, Any]:
    """The YAML's generation settings with the decoding profile's applied on top.

    The profile comes from ``--metadata '{"profile": "cpu"}'`` (lm-eval merges it into every
    task's metadata, so results record it); ``--gen_kwargs`` still overrides afterwards.
    """
    _check_profile(profile_name)
    profile = get_profile(profile_name)
    settings = dict(configured)
    settings.update(max_gen_toks=profile.max_new_tokens, do_sample=False, temperature=0.0)
    return settings


def _configure_sampling(config: dict[str, Any], method: Method, profile_name: str) -> None:
    """The ``s5`` variant: lm-eval repeats every request as many times as the paper's
    protocol samples (``SAMPLED_PROFILE``), at its temperature, and a ``take_first_k`` filter
    hands all samples (not lm-eval's default first one) to
    :meth:`BestOfNTask.process_results`. The profile still sets the token limit. Sampled
    requests bypass lm-eval's response cache (``--use_cache``)."""
    if not method.supports_sampling:
        raise FlipConfigError(f"the {SAMPLED} variant samples FLIP reconstructions only")
    settings = _profile_generation_kwargs(config.get("generation_kwargs") or {}, profile_name)
    temperature, count = SAMPLED_PROFILE.temperature, SAMPLED_PROFILE.num_samples
    config["generation_kwargs"] = settings | {"do_sample": True, "temperature": temperature}
    config["repeats"] = count
    config["filter_list"] = [{"name": "none", "filter": [{"function": "take_first_k", "k": count}]}]


def _check_profile(profile_name: str) -> None:
    if profile_name not in HARNESS_PROFILES:
        raise FlipConfigError(
            f"profile {profile_name!r} is not available in the harness tasks; choose one of "
            f"{', '.join(HARNESS_PROFILES)} (five sampled runs are the _s5 task variants)"
        )
