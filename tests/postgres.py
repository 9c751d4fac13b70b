"""A real PostgreSQL server for the tests: initdb in a temporary folder, a free loopback
port, stopped at the end of the session. As root it runs as the ``postgres`` user."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _bin_dir() -> Path | None:
    for pattern in ("/usr/lib/postgresql/*/bin",):
        found = sorted(glob.glob(pattern), key=lambda p: int(p.split("/")[-2]))
        if found:
            return Path(found[-1])
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.dir = Path(tempfile.mkdtemp(prefix="mlstudio-pg-"))
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.dir, "postgres")
            os.chmod(self.dir, 0o700)

    def _run(self, *args: str) -> None:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        data = self.dir / "data"
        self._run("initdb", "-D", str(data), "-A", "trust", "-U", "mlstudio", "--no-sync")
        self._run(
            "pg_ctl",
            "-D",
            str(data),
            "-o",
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=200",
            "-l",
            str(self.dir / "log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://mlstudio@127.0.0.1:{self.port}/postgres"

    def new_database(self) -> str:
        import psycopg

        name = f"ws_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(
            f"postgresql://mlstudio@127.0.0.1:{self.port}/postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://mlstudio@127.0.0.1:{self.port}/{name}"


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    bin_dir = _bin_dir()
    if bin_dir is None:
        raise RuntimeError(
            "PostgreSQL server binaries were not found (/usr/lib/postgresql/*/bin). "
            "Install them with 'apt-get install -y postgresql' (make test does this), or set "
            "MLSTUDIO_SKIP_POSTGRES=1 to skip the PostgreSQL half of the store tests."
        )
    server = PostgresServer(bin_dir)
    started = time.monotonic()
    server.start()
    print(f"PostgreSQL on 127.0.0.1:{server.port} started in {time.monotonic() - started:.1f} s")
    try:
        yield server
    finally:
        server.stop()
