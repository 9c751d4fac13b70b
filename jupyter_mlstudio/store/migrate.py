"""Bring a metadata database to the schema this code expects, or refuse a newer one."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from jupyter_mlstudio.errors import SchemaVersionError
from jupyter_mlstudio.store.database import Database

_SCRIPTS = Path(__file__).with_name("migrations")


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_SCRIPTS))
    return cfg


def head_revision() -> str:
    """The newest schema revision this version of the code knows."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(db: Database) -> None:
    """Upgrade ``db`` to the head revision; a no-op when it is there already."""
    scripts = ScriptDirectory.from_config(_config())
    head = scripts.get_current_head()
    with db.read() as conn:
        if current_revision(conn) == head:
            return

    def _run(conn: Connection) -> None:
        if db.dialect == "postgresql":
            # Two processes opening a new workspace at once: one migrates, the other waits.
            conn.execute(text("SELECT pg_advisory_xact_lock(727274)"))
        found = current_revision(conn)
        if found == head:
            return
        if found is not None and scripts.get_revision(found) is None:
            raise SchemaVersionError(
                f"The workspace database {db.redacted_url} has schema revision {found}, "
                "written by a newer jupyter_mlstudio than this one.",
                hint="Upgrade jupyter_mlstudio (pip install -U jupyter_mlstudio) to open it.",
                revision=found,
            )
        cfg = _config()
        cfg.attributes["connection"] = conn
        from alembic import command

        command.upgrade(cfg, "head")

    try:
        db.write(_run)
    except KeyError as exc:  # alembic's own lookup of an unknown revision
        raise SchemaVersionError(
            f"The workspace database {db.redacted_url} has an unknown schema revision ({exc}).",
            hint="Upgrade jupyter_mlstudio (pip install -U jupyter_mlstudio) to open it.",
        ) from exc
