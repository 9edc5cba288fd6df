"""Who a run's model is, from an lm-eval results file, and how many tokens it generated.

lm-eval hands tasks only strings, so generated tokens are counted at ingest by re-tokenising
the raw outputs with the model's own tokenizer when it can be loaded offline (a local folder,
or the Hugging Face cache), else by characters; every run records which. The same counting
gives FLIP-likelihood's scored continuations their length (for the per-token mean).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from flip_core.catalog.models import MODELS, entry_by_sha256

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
    tokenizer_source: str | None

    def row(self) -> dict[str, Any]:
        fields = asdict(self)
        fields.pop("tokenizer_source")
        return {**fields, "is_baseline": False}

    def count_tokens(self, outputs: list[list[list[str]]]) -> tuple[list[list[list[int]]], str]:
        """Generated tokens per item, call and sample (sampled runs price k samples from the
        first k), and the counting method."""
        tokenizer = self._tokenizer()
        if tokenizer is None:
            return [[[len(s) for s in call] for call in item] for item in outputs], "characters"
        return [
            [
                [len(tokenizer(s, add_special_tokens=False)["input_ids"]) for s in call]
                for call in item
            ]
            for item in outputs
        ], "tokenizer"

    def count_text_units(self, texts: list[str]) -> tuple[list[int], str]:
        """Tokens of each text with the model's tokenizer (special-token markers such as an
        end-of-turn count as one), else characters; and which of the two was counted."""
        tokenizer = self._tokenizer()
        if tokenizer is None:
            return [len(text) for text in texts], "characters"
        return [
            len(tokenizer(text, add_special_tokens=False)["input_ids"]) for text in texts
        ], "tokenizer"

    def _tokenizer(self) -> Any:
        return _load_tokenizer(self.tokenizer_source) if self.tokenizer_source else None


@lru_cache(maxsize=8)
def _load_tokenizer(source: str) -> Any:
    try:
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(source, local_files_only=True)
    except Exception:  # not available offline: fall back to characters, and say so
        return None


def model_arguments(config: dict[str, Any]) -> dict[str, Any]:
    """lm-eval's ``model_args``: a dict, or a ``k=v,k=v`` string in older files."""
    value = config.get("model_args") or {}
    if isinstance(value, dict):
        return value
    pairs = (part.split("=", 1) for part in str(value).split(",") if "=" in part)
    return {key.strip(): raw.strip() for key, raw in pairs}


def identify_model(results: dict[str, Any]) -> ModelIdentity:
    config = results.get("config") or {}
    arguments = model_arguments(config)
    pretrained = str(arguments.get("pretrained") or results.get("model_name") or "unknown")
    local = Path(pretrained)
    entry = entry_by_sha256(str(config.get("model_sha") or "")) or next(
        (e for e in MODELS if local.name == e.converted_name or pretrained == e.alias), None
    )
    if entry is not None:
        name = entry.display_name
    elif pretrained.startswith(("/", ".", "~")):
        name = local.name
    else:
        name = pretrained
    quantization = None
    if entry is not None:
        converted = local.name == entry.converted_name
        quantization = f"{entry.quantization} GGUF"
        quantization += ", de-quantised to fp32" if converted else ""
    elif arguments.get("gguf_file"):
        quantization = f"GGUF ({arguments['gguf_file']})"
    elif arguments.get("quantization"):
        quantization = str(arguments["quantization"])
    family = next((label for key, label in _FAMILIES if key in name.lower()), None)
    parameters = config.get("model_num_parameters")
    return ModelIdentity(
        name=name,
        family=family,
        parameters=int(parameters) if parameters else None,
        revision=config.get("model_revision") or arguments.get("revision"),
        backend=config.get("model"),
        dtype=str(config.get("model_dtype") or arguments.get("dtype") or "") or None,
        quantization=quantization,
        tokenizer_source=(
            str(arguments.get("tokenizer") or pretrained) if pretrained != "unknown" else None
        ),
    )
