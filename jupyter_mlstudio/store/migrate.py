"""Bring a metadata database to the schema this code expects, or refuse a newer one.

Opening a workspace at the current schema costs one query: Alembic is only imported when
there is something to upgrade.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text

from jupyter_mlstudio.errors import SchemaVersionError
from jupyter_mlstudio.store.database import Database

if TYPE_CHECKING:
    from alembic.config import Config

# The newest revision in migrations/versions (a unit test keeps the two in step).
HEAD = "0004"
_SCRIPTS = Path(__file__).with_name("migrations")


def _config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_SCRIPTS))
    return cfg


def head_revision() -> str:
    """The newest schema revision of the migration scripts."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(conn: Connection) -> str | None:
    """The schema revision recorded in ``alembic_version``, or None for a database without one."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _newer_error(db: Database, found: str) -> SchemaVersionError:
    return SchemaVersionError(
        f"The workspace database {db.redacted_url} has schema revision {found}, written by a "
        "newer jupyter_mlstudio than this one.",
        hint="Upgrade jupyter_mlstudio (pip install -U jupyter_mlstudio) to open it.",
        revision=found,
    )


def upgrade(db: Database) -> None:
    """Upgrade ``db`` to the head revision; a no-op when it is there already."""
    with db.read() as conn:
        if current_revision(conn) == HEAD:
            return

    from alembic import command
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(_config())
    known = {rev.revision for rev in scripts.walk_revisions()}

    def _run(conn: Connection) -> None:
        if db.dialect == "postgresql":
            # Two processes opening a new workspace at once: one migrates, the other waits.
            conn.execute(text("SELECT pg_advisory_xact_lock(727274)"))
        found = current_revision(conn)
        if found == HEAD:
            return
        if found is not None and found not in known:
            raise _newer_error(db, found)
        cfg = _config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")

    db.write(_run)
