"""Uploaded archives of lm-eval output folders, unpacked safely and ingested like ``flip ingest``.

Off unless the host sets ``FLIP_UPLOAD_TOKEN``; an upload must then carry the same token
(compared with :func:`hmac.compare_digest`). An accepted archive is unpacked into a fresh
temporary folder by :func:`extract_archive`, which trusts nothing in it:

- sizes: the archive, the sum of the members and each member are capped (``MAX_*`` below),
  checked on the declared sizes before anything is written and again on the bytes actually
  decompressed; a member that decompresses more than ``MAX_COMPRESSION_RATIO`` times its
  compressed size is refused as a zip bomb;
- names: no absolute paths, drive letters, backslashes, ``.``/``..`` or empty components, NUL
  or control characters, names zipfile could not decode as UTF-8, duplicates (compared after
  Unicode normalisation and case folding), or a file that is also a folder;
- kinds: regular files and folders only (no symbolic links, devices, FIFOs), no encryption,
  stored or deflated members only, and only the files lm-eval writes (``results_*.json``,
  ``samples_*.jsonl``) in any folder layout up to ``MAX_DEPTH`` levels.

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
import re
import shutil
import stat
import tempfile
import threading
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from flip_core.errors import FlipError
from harness_tasks.lm_eval_output import RESULTS_NAME, is_output_file_name

logger = logging.getLogger(__name__)

UPLOAD_TOKEN_ENV = "FLIP_UPLOAD_TOKEN"

# A full RewardBench 2 run (1,865 items) with --log_samples writes one samples file of roughly
# 10-100 MB per task (more with five samples per call); lm-eval's JSON compresses 5-10 times.
MAX_ARCHIVE_BYTES = 64 * 1024 * 1024  # the uploaded .zip itself
MAX_TOTAL_BYTES = 512 * 1024 * 1024  # all members together, uncompressed
MAX_MEMBER_BYTES = 256 * 1024 * 1024  # one member, uncompressed (ingest's own per-file cap)
MAX_MEMBERS = 1000  # entries in the archive, folders included
MAX_DEPTH = 8  # path components of one member
MAX_NAME_CHARS = 1024  # length of one member's path
MAX_COMPONENT_CHARS = 255  # length of one path component
MAX_CENTRAL_DIRECTORY_BYTES = 4 * 1024 * 1024  # read before zipfile parses it (memory guard)
MAX_COMPRESSION_RATIO = 100  # lm-eval output compresses about 10x; deflate bombs reach 1000x
RATIO_CHECK_MIN_BYTES = 1024 * 1024  # small members may compress well without harm
FREE_DISK_MARGIN_BYTES = 64 * 1024 * 1024

_NAME_PUNCTUATION = frozenset("._-+=@,()~ ")
_DRIVE = re.compile(r"[A-Za-z]:")
_ALLOWED_COMPRESSION = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
_CHUNK_BYTES = 1024 * 1024
_UPLOAD_LOCK = threading.Lock()  # one upload at a time: bounded disk use, one writer


class UploadError(FlipError):
    """An upload that is refused; the message is one line naming the member and the reason."""


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


@dataclass(frozen=True)
class _Member:
    info: zipfile.ZipInfo
    parts: tuple[str, ...]
    shown: str


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


def _shown(name: str) -> str:
    """A member name for a message: one line, non-printable characters escaped, bounded."""
    text = name.encode("unicode_escape", "backslashreplace").decode("ascii")
    return f"'{text[:200]}…'" if len(text) > 200 else f"'{text}'"


def _name_problem(name: str, is_dir: bool) -> str | None:
    """Why ``name`` cannot be extracted, or None."""
    if "\\" in name:
        return "contains a backslash"
    if name.startswith("/"):
        return "is an absolute path"
    if _DRIVE.match(name):
        return "starts with a drive letter"
    if len(name) > MAX_NAME_CHARS:
        return f"is longer than {MAX_NAME_CHARS} characters"
    parts = name[:-1].split("/") if is_dir else name.split("/")
    if ".." in parts:
        return "climbs out of the upload folder ('..')"
    if any(part in ("", ".") for part in parts):
        return "has an empty or '.' path component"
    if len(parts) > MAX_DEPTH:
        return f"is nested deeper than {MAX_DEPTH} levels"
    for part in parts:
        if len(part) > MAX_COMPONENT_CHARS:
            return f"has a component longer than {MAX_COMPONENT_CHARS} characters"
        if part != part.strip():
            return "has a component that starts or ends with a space"
        for char in part:
            if not (char.isalnum() or char in _NAME_PUNCTUATION):
                return f"contains the character {char!a}"
    return None


def _kind_problem(info: zipfile.ZipInfo, is_dir: bool) -> str | None:
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    if kind == stat.S_IFLNK:
        return "is a symbolic link"
    if kind and kind != (stat.S_IFDIR if is_dir else stat.S_IFREG):
        return "is not a regular file or folder"
    if is_dir:
        return "is a folder entry that holds data" if info.file_size else None
    if info.flag_bits & 0x1:
        return "is encrypted"
    if info.compress_type not in _ALLOWED_COMPRESSION:
        return f"uses compression method {info.compress_type} (only stored or deflate)"
    return None


def _size_problem(info: zipfile.ZipInfo) -> str | None:
    if info.file_size > MAX_MEMBER_BYTES:
        return f"is {info.file_size} bytes uncompressed, over the {MAX_MEMBER_BYTES} byte limit"
    if info.file_size > RATIO_CHECK_MIN_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(
        info.compress_size, 1
    ):
        return (
            f"expands {info.file_size // max(info.compress_size, 1)} times, over the "
            f"{MAX_COMPRESSION_RATIO}x limit (zip bomb?)"
        )
    return None


def _precheck_directory(zip_path: Path, size: int) -> None:
    """Bound the member count and central directory before zipfile builds its member list."""
    try:
        with zip_path.open("rb") as handle:
            end = zipfile._EndRecData(handle)  # the end-of-archive record, zip64 aware
    except OSError as error:
        raise UploadError(f"the upload cannot be read ({error.strerror or error})") from None
    if end is None:
        raise UploadError("the upload is not a zip archive")
    entries, directory = end[zipfile._ECD_ENTRIES_TOTAL], end[zipfile._ECD_SIZE]
    if entries > MAX_MEMBERS:
        raise UploadError(f"the archive has {entries} members, over the {MAX_MEMBERS} limit")
    if directory > min(MAX_CENTRAL_DIRECTORY_BYTES, size):
        raise UploadError(f"the archive's directory is {directory} bytes, which is not plausible")


def _open_zip(zip_path: Path) -> zipfile.ZipFile:
    try:
        size = zip_path.stat().st_size
    except OSError:
        raise UploadError("the uploaded file is missing") from None
    if size > MAX_ARCHIVE_BYTES:
        raise UploadError(f"the archive is {size} bytes, over the {MAX_ARCHIVE_BYTES} byte limit")
    _precheck_directory(zip_path, size)
    try:
        return zipfile.ZipFile(zip_path)
    except UnicodeDecodeError as error:
        raw = bytes(error.object[:200]) if isinstance(error.object, bytes) else b""
        raise UploadError(f"member {raw!r}: its name is not valid UTF-8") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError, EOFError):
        raise UploadError("the upload is not a readable zip archive") from None
    except OSError as error:
        raise UploadError(f"the upload cannot be read ({error.strerror or error})") from None


def _plan(archive: zipfile.ZipFile) -> list[_Member]:
    """Validate every member from the archive's directory; nothing is written yet."""
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise UploadError(f"the archive has {len(infos)} members, over the {MAX_MEMBERS} limit")
    seen: set[str] = set()
    files: list[_Member] = []
    total = 0
    for info in infos:
        name, is_dir = info.filename, info.filename.endswith("/")
        shown = _shown(info.orig_filename)
        if info.orig_filename != name:
            raise UploadError(f"member {shown}: its name contains a NUL character")
        problem = _name_problem(name, is_dir) or _kind_problem(info, is_dir)
        if problem is None and not is_dir:
            base = name.rsplit("/", 1)[-1]
            if not is_output_file_name(base):
                problem = "is not an lm-eval output file (results_*.json or samples_*.jsonl)"
            else:
                problem = _size_problem(info)
        if problem:
            raise UploadError(f"member {shown} {problem}")
        key = unicodedata.normalize("NFC", name.rstrip("/")).casefold()
        if key in seen:
            raise UploadError(f"member {shown} appears twice in the archive")
        seen.add(key)
        if is_dir:
            continue  # folders are created for the files inside them
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise UploadError(
                f"member {shown}: the archive holds more than {MAX_TOTAL_BYTES} bytes uncompressed"
            )
        files.append(_Member(info, tuple(name.split("/")), shown))
    file_keys = {unicodedata.normalize("NFC", m.info.filename).casefold() for m in files}
    for member in files:
        for depth in range(1, len(member.parts)):
            folder = unicodedata.normalize("NFC", "/".join(member.parts[:depth])).casefold()
            if folder in file_keys:
                raise UploadError(f"member {member.shown} lies inside a name that is also a file")
    if not any(RESULTS_NAME.match(m.parts[-1]) for m in files):
        raise UploadError("the archive holds no lm-eval results_*.json file")
    return files


def _check_free_space(target: Path, needed: int) -> None:
    try:
        free = shutil.disk_usage(target).free
    except OSError:
        return
    if free < needed + FREE_DISK_MARGIN_BYTES:
        raise UploadError("the server has too little free disk space for this upload; try later")


def _write_member(archive: zipfile.ZipFile, member: _Member, root: Path, used: int) -> int:
    """Stream one member to disk under the limits; the bytes written."""
    destination = root.joinpath(*member.parts)
    if not destination.resolve().is_relative_to(root):
        raise UploadError(f"member {member.shown} resolves outside the upload folder")
    info, written = member.info, 0
    destination.parent.mkdir(parents=True, exist_ok=True)
    try:
        with archive.open(info) as source, destination.open("xb") as target:
            while chunk := source.read(_CHUNK_BYTES):
                written += len(chunk)
                if written > info.file_size:
                    raise UploadError(f"member {member.shown} is larger than its header says")
                if written > MAX_MEMBER_BYTES or used + written > MAX_TOTAL_BYTES:
                    raise UploadError(f"member {member.shown} goes over the size limits")
                if written > RATIO_CHECK_MIN_BYTES and written > MAX_COMPRESSION_RATIO * max(
                    info.compress_size, 1
                ):
                    raise UploadError(
                        f"member {member.shown} expands over {MAX_COMPRESSION_RATIO}x (zip bomb?)"
                    )
                target.write(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise UploadError(f"member {member.shown} cannot be decompressed ({reason})") from None
    except OSError as error:
        raise UploadError(
            f"member {member.shown} cannot be written ({error.strerror or error})"
        ) from None
    if written != info.file_size:
        raise UploadError(f"member {member.shown} is shorter than its header says")
    return written


def _clear(target: Path, created: bool) -> None:
    """Remove what a refused upload wrote (nothing, when it was refused before writing)."""
    if not target.exists():
        return
    try:
        if created:
            shutil.rmtree(target)
        elif target.is_dir():
            for child in target.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
    except OSError:
        logger.exception("could not clean up %s after a refused upload", target)


def _extract(zip_path: Path, target_dir: Path) -> tuple[Path, int, int]:
    """:func:`extract_archive`, also returning the number of files and bytes written."""
    target = Path(target_dir)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UploadError(f"{target} must be an empty folder to unpack an upload into")
    created = not target.exists()
    try:
        with _open_zip(Path(zip_path)) as archive:
            members = _plan(archive)
            target.mkdir(parents=True, exist_ok=True)
            root = target.resolve()
            _check_free_space(root, sum(m.info.file_size for m in members))
            used = 0
            for member in members:
                used += _write_member(archive, member, root, used)
    except BaseException:
        _clear(target, created)
        raise
    return target, len(members), used


def extract_archive(zip_path: str | Path, target_dir: str | Path) -> Path:
    """Unpack an uploaded lm-eval output archive into ``target_dir`` (new or empty); returns it.

    Raises :class:`UploadError` (one line: the member and the reason) for anything unsafe or
    foreign, after removing whatever it had written.
    """
    return _extract(Path(zip_path), Path(target_dir))[0]


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
            root, files, size = _extract(zip_path, work / "upload")
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
