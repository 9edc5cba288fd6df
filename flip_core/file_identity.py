"""A file's identity is its SHA-256; hashing a gigabyte takes seconds, so results are remembered.

A model's identity in results is the SHA-256 of its GGUF file (the zoo's assembled copy and the
Hub's file are then one model). The digest of a file is recorded in the cache beside its size
and modification time, and reused while both are unchanged.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flip_core.paths import cache_dir

_CHUNK = 8 * 1024 * 1024


def file_sha256(path: Path) -> str:
    """The file's SHA-256, from the record when the file is unchanged, else hashed now."""
    if (known := known_sha256(path)) is not None:
        return known
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    remember_sha256(path, digest.hexdigest())
    return digest.hexdigest()


def known_sha256(path: Path) -> str | None:
    """The recorded SHA-256 of an unchanged file, without hashing; None when unknown."""
    try:
        recorded = json.loads(_record_path(path).read_text())
        stat = path.stat()
    except (OSError, ValueError):
        return None
    if not isinstance(recorded, dict):
        return None
    if recorded.get("bytes") != stat.st_size or recorded.get("mtime_ns") != stat.st_mtime_ns:
        return None
    digest = recorded.get("sha256")
    return digest if isinstance(digest, str) else None


def remember_sha256(path: Path, digest: str) -> None:
    """Record a digest computed elsewhere (e.g. while the file was being written)."""
    stat = path.stat()
    record = _record_path(path)
    record.parent.mkdir(parents=True, exist_ok=True)
    temporary = record.with_suffix(".tmp")
    temporary.write_text(
        json.dumps({"sha256": digest, "bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns})
    )
    temporary.replace(record)


def _record_path(path: Path) -> Path:
    """Records live in the cache, never beside the file (it may sit in site-packages)."""
    key = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    return cache_dir() / "file-hashes" / f"{path.name}-{key}.json"
