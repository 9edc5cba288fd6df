"""Leaderboard uploads: a zipped lm-eval output folder, unpacked safely
(:mod:`flip_store.ingest.safe_unzip`) and ingested (:mod:`flip_store.ingest.archives`), and its
report shown in the Submit tab (:mod:`leaderboard.tabs.about`)."""

from __future__ import annotations

import html
import json
import logging
import re
import shutil
import stat
import tempfile
import warnings
import zipfile
from pathlib import Path

import pytest

from flip_store.database import open_engine
from flip_store.ingest import safe_unzip
from flip_store.ingest.archives import (
    UPLOAD_TOKEN_ENV,
    UploadError,
    UploadReport,
    extract_archive,
    ingest_upload,
    upload_enabled,
)
from flip_store.read.listing import list_runs
from leaderboard.tabs import about
from leaderboard.tabs.about import handle_upload, render_report

TOKEN = "s3cret-upload-token"
RESULTS = "results_2026-01-01T00-00-00.000000.json"
SAMPLES = "samples_flip_llmbar_neighbor_2026-01-01T00-00-00.000000.jsonl"


@pytest.fixture
def env(lm_eval_output, monkeypatch, tmp_path):
    """Crafted data for ingest, uploads enabled, and a private temporary folder to watch."""
    monkeypatch.setenv("FLIP_DATA_DIR", str(lm_eval_output.parent / "data"))
    monkeypatch.setenv(UPLOAD_TOKEN_ENV, TOKEN)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    return scratch


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "store" / "flip.db"
    return path, f"sqlite:///{path}"


def zip_folder(folder: Path, zip_path: Path, prefix: str = "my-run") -> Path:
    """Zip a folder as `zip -r` does: folder entries, then files, deflated."""
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            archive.write(path, f"{prefix}/{path.relative_to(folder)}")
    return zip_path


def write_zip(zip_path: Path, members: list[tuple[zipfile.ZipInfo, bytes, int]]) -> Path:
    """An archive with exactly the given members and names (zipfile does not sanitise them)."""
    with zipfile.ZipFile(zip_path, "w") as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name": wanted here
        for info, data, flags in members:
            archive.writestr(info, data)
            # zipfile resets the flags when writing; set them again in the central directory
            info.flag_bits |= flags
    return zip_path


def member(name: str, data: bytes = b"{}", mode: int = stat.S_IFREG | 0o644, flags: int = 0):
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = mode << 16
    return info, data, flags


def text_of(fragment: str) -> str:
    """What a browser shows for an HTML fragment (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]*>", " ", fragment))


def model_runs(url: str) -> list[str]:
    return sorted(run.task for run in list_runs(open_engine(url, read_only=True)))


def test_valid_upload_is_ingested_and_reupload_is_unchanged(lm_eval_output, env, db, tmp_path):
    path, url = db
    archive = zip_folder(lm_eval_output, tmp_path / "run.zip")
    assert not path.exists()
    report = ingest_upload(archive, TOKEN, url)
    assert [line.split()[0] for line in report.stored] == [
        "flip_llmbar_neighbor",
        "judge_listwise_llmbar_neighbor",
    ]
    assert not report.rejected and not report.unchanged and report.files == 3
    assert report.summary == "2 stored, 0 already stored, 0 skipped, 0 rejected"
    assert model_runs(url) == ["flip_llmbar_neighbor", "judge_listwise_llmbar_neighbor"]
    assert list(env.iterdir()) == []  # the temporary folder is gone

    shown = text_of(handle_upload(str(archive), TOKEN, url))
    assert "0 stored, 2 already stored" in shown and "Already stored" in shown
    again = ingest_upload(archive, f"  {TOKEN}\n", url)  # pasted tokens may carry blanks
    assert not again.stored and len(again.unchanged) == 2
    assert model_runs(url) == ["flip_llmbar_neighbor", "judge_listwise_llmbar_neighbor"]
    assert list(env.iterdir()) == []


@pytest.mark.parametrize("token", ["wrong", "", None, TOKEN + "x", "ŝecret"])
def test_wrong_or_missing_token_is_refused_before_anything(
    lm_eval_output, env, db, tmp_path, token
):
    path, url = db
    archive = zip_folder(lm_eval_output, tmp_path / "run.zip")
    with pytest.raises(UploadError, match="token is missing or wrong"):
        ingest_upload(archive, token, url)
    assert not path.exists() and list(env.iterdir()) == []
    assert "Upload refused: the upload token is missing or wrong" in text_of(
        handle_upload(str(archive), token, url)
    )
    assert not path.exists()


@pytest.mark.parametrize("value", [None, "", "   "])
def test_uploads_are_disabled_without_a_token_in_the_environment(monkeypatch, tmp_path, db, value):
    path, url = db
    if value is None:
        monkeypatch.delenv(UPLOAD_TOKEN_ENV, raising=False)
    else:
        monkeypatch.setenv(UPLOAD_TOKEN_ENV, value)
    assert not upload_enabled()
    with pytest.raises(UploadError, match=f"uploads are disabled.*{UPLOAD_TOKEN_ENV}"):
        ingest_upload(tmp_path / "any.zip", value or "", url)
    message = handle_upload(None, "anything", url)
    assert "uploads are disabled" in text_of(message) and "\n" not in message
    assert not path.exists()


def test_enabled_and_no_file_chosen(env, db):
    assert upload_enabled()
    assert "Choose a .zip" in text_of(handle_upload(None, TOKEN, db[1]))


def bomb() -> list:
    return [member(f"run/{RESULTS}", b"\0" * (4 * 1024 * 1024))]


HOSTILE = {
    "parent": ([member(f"../{RESULTS}")], "'../results_", "climbs out"),
    "absolute": ([member(f"/abs/{RESULTS}")], "'/abs/", "absolute path"),
    "inner-parent": ([member(f"a/../../{RESULTS}")], "'a/../../", "climbs out"),
    "backslash": ([member(f"a\\..\\..\\{RESULTS}")], "'a\\\\..", "backslash"),
    "drive": ([member(f"C:/{RESULTS}")], "'C:/", "drive letter"),
    "dot": ([member(f"./{RESULTS}")], "'./", "'.' path component"),
    "empty-part": ([member(f"a//{RESULTS}")], "'a//", "empty"),
    "control-char": ([member(f"a\x1b[31m/{RESULTS}")], "'a\\x1b[31m/", "character '\\x1b'"),
    "newline": ([member(f"a\nb/{RESULTS}")], "'a\\nb/", "character '\\n'"),
    "nul": ([member(f"run/{RESULTS}#.sh")], "\\x00.sh'", "NUL"),  # '#' patched to NUL
    "symlink": (
        [member(f"run/{RESULTS}", b"/etc/passwd", mode=stat.S_IFLNK | 0o777)],
        f"'run/{RESULTS}'",
        "symbolic link",
    ),
    "fifo": (
        [member(f"run/{RESULTS}", b"", mode=stat.S_IFIFO | 0o644)],
        "'run/",
        "not a regular file",
    ),
    "encrypted": ([member(f"run/{RESULTS}", flags=0x1)], "'run/", "encrypted"),
    "duplicate": (
        [member(f"run/{RESULTS}"), member(f"run/{RESULTS}")],
        f"'run/{RESULTS}'",
        "appears twice",
    ),
    "case-duplicate": (
        [member(f"run/{RESULTS}"), member(f"RUN/{RESULTS}")],
        "'RUN/",
        "appears twice",
    ),
    "file-is-folder": (
        [member(f"run/{RESULTS}"), member(f"run/{RESULTS}/{RESULTS}")],
        f"'run/{RESULTS}/{RESULTS}'",
        "also a file",
    ),
    "foreign-type": ([member(f"run/{RESULTS}"), member("run/evil.py")], "'run/evil.py'", "not an"),
    "dotfile": ([member(f"run/{RESULTS}"), member("run/.DS_Store")], "'run/.DS_Store'", "not an"),
    "deep": ([member("/".join("d" * 9) + f"/{RESULTS}")], "'d/d/", "deeper than"),
    "no-results": ([member(f"run/{SAMPLES}")], "", "holds no lm-eval results"),
    "zip-bomb": (bomb(), f"'run/{RESULTS}'", "expands"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_archives_are_refused_with_one_line_and_leave_nothing(
    env, db, tmp_path, case, caplog
):
    members, name, reason = HOSTILE[case]
    archive = write_zip(tmp_path / "upload.zip", members)
    if case == "nul":  # zipfile cuts names at NUL when writing: put it in the bytes
        archive.write_bytes(archive.read_bytes().replace(b"#.sh", b"\0.sh"))
    target = tmp_path / "target"
    with pytest.raises(UploadError) as caught:
        extract_archive(archive, target)
    message = str(caught.value)
    assert name in message and reason in message and "\n" not in message, message
    assert not target.exists()

    path, url = db
    with pytest.raises(UploadError):
        ingest_upload(archive, TOKEN, url)
    assert not path.exists() and list(env.iterdir()) == []
    with caplog.at_level(logging.INFO):
        shown = handle_upload(str(archive), TOKEN, url)
    assert shown.startswith('<div class="flip-upload"><p>Upload refused') and "\n" not in shown
    assert "<script" not in shown and "\x1b" not in shown
    # a refusal is the user's answer, not a server fault: no traceback, nothing at WARNING+
    # (it once logged two tracebacks about cleaning up a folder that was never created)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert "Traceback" not in caplog.text


def test_size_and_count_limits(env, tmp_path, monkeypatch):
    target = tmp_path / "target"
    big = write_zip(tmp_path / "big.zip", [member(f"run/{RESULTS}", b"x" * 5000)])
    monkeypatch.setattr(safe_unzip, "MAX_MEMBER_BYTES", 4000)
    with pytest.raises(UploadError, match=r"'run/results_.*' is 5000 bytes uncompressed, over"):
        extract_archive(big, target)
    monkeypatch.setattr(safe_unzip, "MAX_MEMBER_BYTES", 10_000)
    monkeypatch.setattr(safe_unzip, "MAX_TOTAL_BYTES", 6000)
    two = write_zip(
        tmp_path / "two.zip",
        [member(f"run/{RESULTS}", b"x" * 4000), member(f"run/{SAMPLES}", b"y" * 4000)],
    )
    with pytest.raises(UploadError, match=r"'run/samples_.*': the archive holds more than 6000"):
        extract_archive(two, target)
    monkeypatch.setattr(safe_unzip, "MAX_MEMBERS", 5)
    crowd = write_zip(tmp_path / "crowd.zip", [member(f"r{i}/{RESULTS}") for i in range(6)])
    with pytest.raises(UploadError, match="6 members, over the 5 limit"):
        extract_archive(crowd, target)
    monkeypatch.setattr(safe_unzip, "MAX_ARCHIVE_BYTES", 100)
    with pytest.raises(UploadError, match=r"the archive is \d+ bytes, over the 100 byte limit"):
        extract_archive(crowd, target)
    assert not target.exists()


def test_non_zip_empty_and_missing_files(env, tmp_path):
    target = tmp_path / "target"
    for name, data in [("text.zip", b"hello, not a zip"), ("empty.zip", b"")]:
        (tmp_path / name).write_bytes(data)
        with pytest.raises(UploadError, match=r"^the upload is not a zip archive$"):
            extract_archive(tmp_path / name, target)
    truncated = write_zip(tmp_path / "cut.zip", [member(f"run/{RESULTS}")]).read_bytes()
    (tmp_path / "cut.zip").write_bytes(truncated[: len(truncated) - 30])
    with pytest.raises(UploadError, match="not a"):
        extract_archive(tmp_path / "cut.zip", target)
    with pytest.raises(UploadError, match="missing"):
        extract_archive(tmp_path / "absent.zip", target)
    assert not target.exists()


def test_name_that_is_not_utf8(env, tmp_path):
    utf8_names = 0x800
    raw = write_zip(tmp_path / "a.zip", [member("run/results_XX.json", flags=utf8_names)])
    raw = raw.read_bytes()
    (tmp_path / "a.zip").write_bytes(raw.replace(b"results_XX", b"results_\xff\xfe"))
    with pytest.raises(UploadError, match=r"results_\\xff\\xfe.*not valid UTF-8"):
        extract_archive(tmp_path / "a.zip", tmp_path / "target")


def test_corrupt_member_mid_extraction_removes_what_was_written(env, tmp_path):
    payload = b"A" * 300
    archive = tmp_path / "crc.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as out:
        out.writestr(f"run/{RESULTS}", b"{}")
        out.writestr(f"run/{SAMPLES}", payload)
    raw = archive.read_bytes()
    archive.write_bytes(raw.replace(payload, b"B" + payload[1:]))
    existing = tmp_path / "existing"
    existing.mkdir()  # an empty folder is accepted and emptied again on failure
    with pytest.raises(UploadError, match=r"'run/samples_.*' cannot be decompressed \(Bad CRC"):
        extract_archive(archive, existing)
    assert existing.is_dir() and list(existing.iterdir()) == []
    (existing / "x").write_text("")
    with pytest.raises(UploadError, match="must be an empty folder"):
        extract_archive(archive, existing)
    assert (existing / "x").exists()


def test_extract_keeps_lm_eval_layout(lm_eval_output, tmp_path):
    archive = zip_folder(lm_eval_output, tmp_path / "run.zip")
    root = extract_archive(archive, tmp_path / "out")
    expected = sorted(p.relative_to(lm_eval_output) for p in lm_eval_output.rglob("*.json*"))
    got = sorted(p.relative_to(root / "my-run") for p in root.rglob("*.json*"))
    assert got == expected and len(got) == 3


def test_tampered_samples_are_rejected_by_ingest_and_reported(lm_eval_output, env, db, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(lm_eval_output, raw)
    (samples_file,) = raw.rglob("samples_flip_llmbar_neighbor_*.jsonl")
    records = [json.loads(line) for line in samples_file.read_text().splitlines()]
    records[0]["acc"] = 1.0 - records[0]["acc"]
    samples_file.write_text("".join(json.dumps(r) + "\n" for r in records))
    archive = zip_folder(raw, tmp_path / "tampered.zip")
    _, url = db
    report = ingest_upload(archive, TOKEN, url)
    (rejected,) = report.rejected
    assert rejected.startswith("flip_llmbar_neighbor (my-run/")
    assert "does not match its raw outputs" in rejected and "flip-upload-" not in rejected
    assert model_runs(url) == ["judge_listwise_llmbar_neighbor"]
    assert list(env.iterdir()) == []
    shown = text_of(handle_upload(str(archive), TOKEN, url))
    assert "1 rejected" in shown and "Rejected (1)" in shown and "does not match" in shown


def test_render_report_escapes_everything_from_the_archive():
    hostile = "<script>alert(1)</script> [x](javascript:alert(1)) **b** `c` <img src=x onerror=y>"
    report = UploadReport(
        archive_name="<b>a</b>.zip",
        files=2,
        uncompressed_bytes=2_000_000,
        stored=(f"flip_rb2_focus [{hostile}]",),
        rejected=(f"judge ({hostile}): bad\nsecond line",),
    )
    fragment = render_report(report)
    for raw in ("<script", "<img", "<b>a", "](", "**", "`", "javascript:", "\n"):
        assert raw not in fragment
    shown = text_of(fragment)
    assert hostile in shown and "<b>a</b>.zip" in shown and "2 files, 2.0 MB unpacked" in shown
    assert "1 stored, 0 already stored, 0 skipped, 1 rejected" in shown
    assert report.lines()[1] == report.summary and report.lines()[2].startswith("stored: ")


def test_handle_upload_never_raises(env, db, tmp_path, monkeypatch, caplog):
    def explode(*args):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(about, "ingest_upload", explode)
    with caplog.at_level(logging.ERROR, logger="leaderboard.tabs.about"):
        shown = text_of(handle_upload(str(tmp_path / "x.zip"), TOKEN, db[1]))
    assert "internal error" in shown and "secret" not in shown
    assert "secret internal detail" in caplog.text

    def store_error(*args):
        from flip_store.database import FlipStoreError

        raise FlipStoreError("cannot open sqlite:///x: the database is read-only\nmore")

    monkeypatch.setattr(about, "ingest_upload", store_error)
    shown = text_of(handle_upload(str(tmp_path / "x.zip"), TOKEN, db[1]))
    assert "Upload refused" in shown and "read-only" in shown and "more" not in shown
