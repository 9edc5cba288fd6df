"""Who a run's model is, from an lm-eval results file, and where its tokenizer is.

A zoo model (:mod:`flip_core.catalog.models`) is recognised by its GGUF file's SHA-256 (the
llama.cpp backend records it), by its alias, or by the name of its converted folder (the hf
backend's ``pretrained``), and carries the catalogue's name, family and parameter count: a run
of the assembled file and a run of the Hub's file are one model. Other models are named by
their Hub id or folder name.

The tokenizer counts generated tokens (:mod:`flip_store.ingest.tokens`): a zoo model's comes
from its GGUF file where the model is installed here, any other model's from its folder or the
Hugging Face cache, offline. None when neither is available.

What a results file says about its model is submitted text: a revision or dtype in
``model_args`` may be of any JSON type and any length. Scalars are read as text, anything
else is refused, and the model's row is checked against the model table's columns
(:mod:`flip_store.storable`) before any database sees it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from flip_core.catalog.models import MODELS, ModelEntry, entry_by_sha256
from flip_core.errors import FlipInputError
from flip_store.schema import ModelRow
from flip_store.storable import check_storable, column_length
from harness_tasks.lm_eval_output import ResultsFile

_FAMILIES = (
    ("qwen", "Qwen"),
    ("llama", "Llama"),
    ("gemma", "Gemma"),
    ("olmo", "OLMo"),
    ("mistral", "Mistral"),
    ("smollm", "SmolLM"),
    ("phi", "Phi"),
)


@dataclass(frozen=True)
class ModelIdentity:
    name: str
    family: str | None
    parameters: int | None
    revision: str | None
    backend: str | None
    dtype: str | None
    quantization: str | None
    file_sha256: str | None
    tokenizer_source: str | None
    entry: ModelEntry | None = None

    def row(self) -> dict[str, Any]:
        """The model table's columns (the backend belongs to the run, not the model)."""
        return {
            "name": self.name,
            "family": self.family,
            "parameters": self.parameters,
            "revision": self.revision,
            "dtype": self.dtype,
            "quantization": self.quantization,
            "file_sha256": self.file_sha256,
            "is_baseline": False,
        }

    def tokenizer(self) -> Any:
        """The model's tokenizer where it loads offline on this machine, else None."""
        if self.entry is not None:
            return _zoo_tokenizer(self.entry)
        return _load_tokenizer(self.tokenizer_source) if self.tokenizer_source else None


@lru_cache(maxsize=8)
def _zoo_tokenizer(entry: ModelEntry) -> Any:
    from flip_core import model_zoo
    from flip_core.models import gguf_tokenizer_dir

    if model_zoo.state(entry) is not model_zoo.ModelState.READY:
        return None  # never install or assemble a model to ingest a run
    return _load_tokenizer(str(gguf_tokenizer_dir(model_zoo.gguf_path(entry))))


@lru_cache(maxsize=8)
def _load_tokenizer(source: str) -> Any:
    try:
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(source, local_files_only=True)
    except Exception:  # not available offline: the counts are unknown, and say so
        return None


def model_arguments(model_args: str | dict[str, Any] | None) -> dict[str, Any]:
    """lm-eval's ``model_args``: a dict, or a ``k=v,k=v`` string in older files."""
    if isinstance(model_args, dict):
        return model_args
    pairs = (part.split("=", 1) for part in str(model_args or "").split(",") if "=" in part)
    return {key.strip(): raw.strip() for key, raw in pairs}


def identify_model(results: ResultsFile) -> ModelIdentity:
    """The model of a validated results file, its row checked before any database sees it
    (each column's length, no control characters; a one-line :class:`FlipInputError`)."""
    config = results.config
    arguments = model_arguments(config.model_args)
    pretrained = str(arguments.get("pretrained") or results.model_name or "unknown")
    local = Path(pretrained)
    entry = entry_by_sha256(config.model_sha or "") or next(
        (e for e in MODELS if local.name == e.converted_name or pretrained == e.alias), None
    )
    if entry is not None:
        name = entry.display_name
        converted = local.name == entry.converted_name
        quantization = f"{entry.quantization} GGUF" + (
            ", de-quantised to fp32" if converted else ""
        )
    else:
        name = local.name if pretrained.startswith(("/", ".", "~")) else pretrained
        gguf_file = arguments.get("gguf_file")
        quantization = f"GGUF ({gguf_file})" if gguf_file else arguments.get("quantization")
    family = (
        entry.family
        if entry
        else next((label for key, label in _FAMILIES if key in name.lower()), None)
    )
    identity = ModelIdentity(
        name=name,
        family=family,
        parameters=entry.parameters if entry else config.model_num_parameters or None,
        revision=config.model_revision or _text_argument(arguments, "revision"),
        backend=config.model,
        dtype=config.model_dtype or _text_argument(arguments, "dtype"),
        quantization=(
            str(quantization)[: column_length(ModelRow.quantization)] if quantization else None
        ),
        file_sha256=entry.gguf_sha256 if entry else None,
        tokenizer_source=(
            str(arguments.get("tokenizer") or pretrained) if pretrained != "unknown" else None
        ),
        entry=entry,
    )
    check_storable(ModelRow, identity.row(), "the model")
    return identity


def _text_argument(arguments: dict[str, Any], key: str) -> str | None:
    """A ``model_args`` value that names something (revision, dtype) as text: lm-eval turns
    ``revision=1234`` into a number, so scalars are read as text; a list or an object is not a
    name."""
    value = arguments.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FlipInputError(f"model_args.{key} is not text ({type(value).__name__})")
    return str(value)
