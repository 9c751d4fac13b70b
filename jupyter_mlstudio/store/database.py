"""One place for engines, SQLite pragmas and the retrying write transaction.

SQLite runs in WAL mode so readers never block the writer; every write transaction starts
with ``BEGIN IMMEDIATE`` so two writers queue on the busy timeout instead of deadlocking on a
lock upgrade. A write that still finds the database locked is retried with backoff, and only
after ``LOCK_WAIT_SECONDS`` does the user see an error, in words, never "database is locked".
"""

from __future__ import annotations

import os
import random
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, OperationalError

from jupyter_mlstudio.errors import StoreUnavailableError, UserErrorException

T = TypeVar("T")

LOCK_WAIT_SECONDS = 120.0
_BUSY_TIMEOUT_MS = 30_000


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _set_sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    # Autocommit at the driver level: SQLAlchemy's "begin" event issues our own BEGIN.
    dbapi_connection.isolation_level = None  # type: ignore[attr-defined]
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    mode = "IMMEDIATE" if conn.get_execution_options().get("mlstudio_write") else "DEFERRED"
    conn.exec_driver_sql(f"BEGIN {mode}")


def _dispose_in_forked_children(engine: Engine) -> None:
    """A forked child must open its own connections, never use its parent's."""
    ref = weakref.ref(engine)

    def _after_fork() -> None:
        found = ref()
        if found is not None:
            found.dispose(close=False)

    os.register_at_fork(after_in_child=_after_fork)


class Database:
    """An engine plus the two ways the store touches it: ``read`` and ``write``."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = _is_sqlite(url)
        try:
            if self.is_sqlite:
                # Pooled: closing the last connection to a WAL database checkpoints and
                # deletes the WAL, which costs milliseconds on every transaction.
                self.engine: Engine = create_engine(
                    url,
                    pool_size=4,
                    max_overflow=16,
                    connect_args={"check_same_thread": False},
                )
                event.listen(self.engine, "connect", _set_sqlite_pragmas)
                event.listen(self.engine, "begin", _sqlite_begin)
            else:
                self.engine = create_engine(url, pool_pre_ping=True, pool_size=5)
            _dispose_in_forked_children(self.engine)
        except (ArgumentError, ImportError, ValueError) as exc:
            raise UserErrorException(
                f"The metadata URL {self.redacted_url!r} cannot be used: {exc}.",
                hint="Use sqlite:///path/to/mlstudio.db or postgresql+psycopg://user@host/db "
                "(pip install 'jupyter_mlstudio[postgres]').",
            ) from exc

    @property
    def redacted_url(self) -> str:
        """The URL with any password replaced, fit for error messages and logs."""
        head, sep, tail = self.url.partition("://")
        if "@" in tail:
            cred, _, host = tail.rpartition("@")
            user = cred.split(":", 1)[0]
            return f"{head}{sep}{user}:***@{host}" if ":" in cred else self.url
        return self.url

    @property
    def dialect(self) -> str:
        """The SQLAlchemy dialect's name, such as ``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reads; in SQLite WAL it sees one consistent snapshot."""
        try:
            with self.engine.connect() as conn:
                yield conn
        except OperationalError as exc:
            raise self._unavailable(exc) from exc

    def write(self, fn: Callable[[Connection], T], *, retry_conflicts: bool = False) -> T:
        """Run ``fn`` in one write transaction, retrying while the database is locked.

        With ``retry_conflicts``, a unique-key clash (another process created the same row
        first, which PostgreSQL reports at commit) runs ``fn`` again: ``fn`` must read
        before it writes, so the second try sees the other process's row.
        """
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        delay = 0.01
        conflicts = 0
        while True:
            try:
                with (
                    self.engine.connect().execution_options(mlstudio_write=True) as conn,
                    conn.begin(),
                ):
                    return fn(conn)
            except OperationalError as exc:
                if not self._is_transient(exc) or time.monotonic() > deadline:
                    raise self._unavailable(exc) from exc
            except IntegrityError:
                conflicts += 1
                if not retry_conflicts or conflicts > 5:
                    raise
            except DBAPIError as exc:
                if not self._is_transient(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 0.5)

    @staticmethod
    def _is_transient(exc: DBAPIError) -> bool:
        text = str(exc.orig).lower()
        return (
            "database is locked" in text
            or "database is busy" in text
            or "deadlock detected" in text
            or "could not serialize" in text
        )

    def _unavailable(self, exc: Exception) -> StoreUnavailableError:
        return StoreUnavailableError(
            f"The metadata database {self.redacted_url} could not be used: "
            f"{getattr(exc, 'orig', exc)}.",
            hint="Check that the database server is running and reachable, or that the "
            "workspace folder is writable.",
        )

    def dispose(self) -> None:
        """Close the engine's pooled connections; a later read or write opens new ones."""
        self.engine.dispose()
