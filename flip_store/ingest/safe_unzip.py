"""Unpacking an untrusted zip archive: every member checked before anything is written.

The generic half of uploads (:mod:`flip_store.ingest.archives` is the submission half): what a
safe archive is, whatever it holds. :func:`unpack` trusts nothing in it:

- sizes: the archive, the sum of the members and each member are capped (``MAX_*`` below),
  checked on the declared sizes before anything is written and again on the bytes actually
  decompressed; a member that decompresses more than ``MAX_COMPRESSION_RATIO`` times its
  compressed size is refused as a zip bomb;
- names: no absolute paths, drive letters, backslashes, ``.``/``..`` or empty components, NUL
  or control characters, names zipfile could not decode as UTF-8, duplicates (compared after
  Unicode normalisation and case folding), or a file that is also a folder;
- kinds: regular files and folders only (no symbolic links, devices, FIFOs), no encryption,
  stored or deflated members only, in any folder layout up to ``MAX_DEPTH`` levels.

What the archive must hold (which file names, which files at least) is the caller's
:class:`ContentRules`. Each refusal is one :class:`UploadError` line naming the member and the
reason, and leaves nothing behind.
"""

from __future__ import annotations

import logging
import re
import shutil
import stat
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from flip_core.errors import FlipError

logger = logging.getLogger(__name__)

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


class UploadError(FlipError):
    """An upload that is refused; the message is one line naming the member and the reason."""


@dataclass(frozen=True)
class ContentRules:
    """What an archive must hold, beyond being safe to unpack."""

    file_problem: Callable[[str], str | None]
    """Why a file of this base name is refused (None: it is kept)."""
    contents_problem: Callable[[Sequence[str]], str | None]
    """Why the archive's files (their base names) are refused as a whole (None: accepted)."""


@dataclass(frozen=True)
class _Member:
    info: zipfile.ZipInfo
    parts: tuple[str, ...]
    shown: str


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


def _plan(archive: zipfile.ZipFile, rules: ContentRules) -> list[_Member]:
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
            problem = rules.file_problem(name.rsplit("/", 1)[-1]) or _size_problem(info)
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
    problem = rules.contents_problem([m.parts[-1] for m in files])
    if problem:
        raise UploadError(problem)
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


def unpack(zip_path: Path, target_dir: Path, rules: ContentRules) -> tuple[Path, int, int]:
    """Unpack ``zip_path`` into ``target_dir`` (new or empty) under the limits and ``rules``;
    returns the folder, the number of files and the bytes written.

    Raises :class:`UploadError` (one line: the member and the reason) for anything unsafe or
    refused by ``rules``, after removing whatever it had written.
    """
    target = Path(target_dir)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UploadError(f"{target} must be an empty folder to unpack an upload into")
    created = not target.exists()
    try:
        with _open_zip(Path(zip_path)) as archive:
            members = _plan(archive, rules)
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
