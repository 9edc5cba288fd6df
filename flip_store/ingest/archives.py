"""Uploaded archives of lm-eval output folders, unpacked safely and ingested like ``flip ingest``.

Off unless the host sets ``FLIP_UPLOAD_TOKEN``; an upload must then carry the same token
(compared with :func:`hmac.compare_digest`). An accepted archive is unpacked into a fresh
temporary folder by :func:`extract_archive`, which trusts nothing in it: the archive must be
safe to unpack (sizes, names and kinds of members: :mod:`flip_store.ingest.safe_unzip`) and
hold only the files lm-eval writes (``results_*.json``, ``samples_*.jsonl``), at least one
results file among them.

Each refusal is one :class:`UploadError` line naming the member and the reason, and leaves
nothing behind. The unpacked folder then goes through :func:`flip_store.ingest.ingest_path` on
a writable engine of its own (the app's engine stays read-only), so every score is recomputed
and a run already stored is reported unchanged. The temporary folder is always removed.
Showing the report is the leaderboard's job (``leaderboard.tabs.about``).
"""

from __future__ import annotations

import hmac
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from flip_store.ingest.safe_unzip import (
    MAX_ARCHIVE_BYTES,
    ContentRules,
    UploadError,
    unpack,
)
from harness_tasks.lm_eval_output import RESULTS_NAME, is_output_file_name

__all__ = [
    "MAX_ARCHIVE_BYTES",
    "UPLOAD_TOKEN_ENV",
    "UploadError",
    "UploadReport",
    "check_token",
    "extract_archive",
    "ingest_upload",
    "upload_enabled",
]

logger = logging.getLogger(__name__)

UPLOAD_TOKEN_ENV = "FLIP_UPLOAD_TOKEN"
_UPLOAD_LOCK = threading.Lock()  # one upload at a time: bounded disk use, one writer


@dataclass(frozen=True)
class UploadReport:
    """What one upload did: the ingest outcome, one line per run (or file) in each list.

    Paths in the lines are relative to the archive, never the server's temporary folder.
    """

    archive_name: str
    files: int
    uncompressed_bytes: int
    stored: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    rejected: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        """The count line ``flip ingest`` prints."""
        return (
            f"{len(self.stored)} stored, {len(self.unchanged)} already stored, "
            f"{len(self.skipped)} skipped, {len(self.rejected)} rejected"
        )

    def lines(self) -> list[str]:
        """Plain text lines: the summary, then ``outcome: detail`` as ``flip ingest`` prints."""
        lines = [f"{self.archive_name}: {self.files} files, {self.uncompressed_bytes} bytes"]
        lines.append(self.summary)
        for outcome in ("stored", "unchanged", "skipped", "rejected"):
            lines += [f"{outcome}: {line}" for line in getattr(self, outcome)]
        return lines


def upload_enabled() -> bool:
    """True where the host has set a non-empty ``FLIP_UPLOAD_TOKEN``."""
    return bool(os.environ.get(UPLOAD_TOKEN_ENV, "").strip())


def check_token(token: str | None) -> None:
    """Raise :class:`UploadError` unless uploads are enabled and ``token`` is the host's."""
    expected = os.environ.get(UPLOAD_TOKEN_ENV, "").strip()
    if not expected:
        raise UploadError(
            f"uploads are disabled on this leaderboard (the host has not set {UPLOAD_TOKEN_ENV})"
        )
    given = (token or "").strip()
    if not given or not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        logger.warning("upload refused: missing or wrong upload token")
        raise UploadError("the upload token is missing or wrong")


# --- extraction -----------------------------------------------------------------------------


def _not_lm_eval_output(name: str) -> str | None:
    if is_output_file_name(name):
        return None
    return "is not an lm-eval output file (results_*.json or samples_*.jsonl)"


def _no_results_file(names: Sequence[str]) -> str | None:
    if any(RESULTS_NAME.match(name) for name in names):
        return None
    return "the archive holds no lm-eval results_*.json file"


LM_EVAL_OUTPUT = ContentRules(_not_lm_eval_output, _no_results_file)
"""An upload holds lm-eval output only: results and samples files, at least one results file."""


def extract_archive(zip_path: str | Path, target_dir: str | Path) -> Path:
    """Unpack an uploaded lm-eval output archive into ``target_dir`` (new or empty); returns it.

    Raises :class:`UploadError` (one line: the member and the reason) for anything unsafe or
    foreign, after removing whatever it had written.
    """
    return unpack(Path(zip_path), Path(target_dir), LM_EVAL_OUTPUT)[0]


# --- ingest ---------------------------------------------------------------------------------


def _relative(lines: list[str], root: Path) -> tuple[str, ...]:
    prefixes = sorted({str(root), str(root.resolve())}, key=len, reverse=True)
    cleaned = []
    for line in lines:
        for prefix in prefixes:
            line = line.replace(prefix + os.sep, "").replace(prefix, ".")
        cleaned.append(line)
    return tuple(cleaned)


def ingest_upload(zip_path: str | Path, token: str | None, db_url: str | None) -> UploadReport:
    """Check the token, unpack the archive safely and ingest it like ``flip ingest``.

    Opens its own writable engine on ``db_url`` (None: ``$FLIP_DB_URL``, else the default
    SQLite file, as the app). Raises :class:`UploadError` for a refused upload and
    :class:`flip_store.database.FlipStoreError` when the database cannot be written; rejected
    runs are not errors, they are listed in the report.
    """
    from flip_store.database import open_engine
    from flip_store.ingest import ingest_path

    check_token(token)
    zip_path = Path(zip_path)
    with _UPLOAD_LOCK:
        work = Path(tempfile.mkdtemp(prefix="flip-upload-"))
        try:
            root, files, size = unpack(zip_path, work / "upload", LM_EVAL_OUTPUT)
            engine = open_engine(db_url, create=True)
            try:
                ingested = ingest_path(engine, root, progress=lambda line: logger.info(line))
            finally:
                engine.dispose()
            return UploadReport(
                archive_name=zip_path.name,
                files=files,
                uncompressed_bytes=size,
                stored=_relative(ingested.stored, root),
                unchanged=_relative(ingested.unchanged, root),
                skipped=_relative(ingested.skipped, root),
                rejected=_relative(ingested.rejected, root),
            )
        finally:
            shutil.rmtree(work, ignore_errors=True)
