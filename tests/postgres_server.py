"""A throwaway PostgreSQL server on loopback for the store's tests (Debian's server package).

Started from the installed binaries in a temporary data folder, as the ``postgres`` user when
the tests run as root (initdb refuses root). Where no server can be started the PostgreSQL
tests skip, and say why.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class PostgresUnavailable(Exception):
    pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@contextmanager
def postgres_server() -> Iterator[tuple[str, int]]:
    """Yield (bin folder, port) of a running server; stop and delete it afterwards."""
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not binaries:
        raise PostgresUnavailable("no PostgreSQL server installed (Debian package postgresql)")
    bin_dir = str(Path(binaries[-1]).parent)
    root = Path(tempfile.mkdtemp(prefix="flip-pg-", dir="/tmp"))
    root.chmod(0o777)
    data, port = root / "data", _free_port()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")

    def run(command: list[str]) -> None:
        result = subprocess.run(
            _as_postgres(command), capture_output=True, text=True, timeout=120, check=False
        )
        if result.returncode != 0:
            raise PostgresUnavailable(f"{command[0]} failed: {result.stderr.strip()[-300:]}")

    try:
        run([f"{bin_dir}/initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8"])
        run(
            [
                f"{bin_dir}/pg_ctl",
                "-D",
                str(data),
                "-w",
                "-l",
                str(root / "log"),
                "-o",
                f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off",
                "start",
            ]
        )
        try:
            yield bin_dir, port
        finally:
            subprocess.run(
                _as_postgres([f"{bin_dir}/pg_ctl", "-D", str(data), "-m", "immediate", "stop"]),
                capture_output=True,
                timeout=60,
                check=False,
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


def create_database(bin_dir: str, port: int, name: str) -> str:
    subprocess.run(
        _as_postgres(
            [f"{bin_dir}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", name]
        ),
        check=True,
        capture_output=True,
        timeout=60,
    )
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/{name}"
