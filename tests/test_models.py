"""Model resolution: bundled aliases, local folders and GGUF files, Hub ids, clear errors."""

from __future__ import annotations

import pytest

from flip_core.catalog.models import BUNDLED
from flip_core.errors import FlipModelError
from flip_core.models import bundled_gguf_path, resolve_model


def test_hub_ids_pass_through_unchanged():
    resolved = resolve_model("Qwen/Qwen3-1.7B")
    assert (resolved.name, resolved.path, resolved.gguf_file) == (
        "Qwen/Qwen3-1.7B",
        "Qwen/Qwen3-1.7B",
        None,
    )


def test_local_gguf_file_and_model_folder(tmp_path):
    gguf = tmp_path / "tiny.Q4_0.gguf"
    gguf.write_bytes(b"GGUF")
    resolved = resolve_model(str(gguf))
    assert (resolved.path, resolved.gguf_file) == (str(tmp_path), "tiny.Q4_0.gguf")
    (tmp_path / "config.json").write_text("{}")
    assert resolve_model(str(tmp_path)).path == str(tmp_path)


def test_bad_local_paths_fail_clearly(tmp_path):
    with pytest.raises(FlipModelError, match=r"holds no config\.json"):
        resolve_model(str(tmp_path))
    with pytest.raises(FlipModelError, match=r"neither a model folder nor a \.gguf file"):
        resolve_model(str(tmp_path / "nowhere"))


@pytest.mark.model
def test_bundled_model_converts_once_into_a_plain_hf_folder():
    resolved = resolve_model("default")
    assert resolved.is_bundled and resolved.name == BUNDLED.display_name
    assert bundled_gguf_path().is_file()
    from pathlib import Path

    folder = Path(resolved.path)
    assert (folder / "config.json").is_file() and (folder / "model.safetensors").is_file()
    assert (folder / "tokenizer.json").is_file()
    assert resolve_model("bundled").path == resolved.path  # cached, not converted again
