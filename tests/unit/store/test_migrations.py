from __future__ import annotations

import pytest
from sqlalchemy import text

from jupyter_mlstudio.errors import SchemaVersionError
from jupyter_mlstudio.store import open_store
from jupyter_mlstudio.store.migrate import head_revision


def test_a_new_database_is_brought_to_the_head_revision(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'm.db'}")
    with store.db.read() as conn:
        assert (
            conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            == head_revision()
        )
        mode = conn.execute(text("PRAGMA journal_mode")).scalar()
    assert mode == "wal"


def test_a_database_from_a_newer_version_is_refused_and_left_alone(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    store = open_store(url)
    store.tracking.create_run("e", "r1", "experiment")
    store.db.write(lambda c: c.execute(text("UPDATE alembic_version SET version_num='9999'")))
    store.close()
    with pytest.raises(SchemaVersionError, match="newer jupyter_mlstudio"):
        open_store(url)
    raw = open_store(url, migrate=False)
    assert raw.tracking.get_run("r1").run_id == "r1"  # nothing stored was lost


def test_an_unusable_url_is_explained():
    from jupyter_mlstudio.errors import UserErrorException

    with pytest.raises(UserErrorException, match="cannot be used"):
        open_store("nosuchdb://x")


def test_the_fast_path_head_matches_the_migration_scripts():
    from jupyter_mlstudio.store.migrate import HEAD

    assert head_revision() == HEAD


def test_an_older_database_is_upgraded_on_open_keeping_its_data(tmp_path):
    from alembic import command

    from jupyter_mlstudio.store.database import Database
    from jupyter_mlstudio.store.migrate import _config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    db = Database(url)

    def _to_first(conn):
        cfg = _config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")

    db.write(_to_first)
    db.write(
        lambda c: c.execute(
            text(
                "INSERT INTO experiments (name, created_at, archived, tags, run_counter) "
                "VALUES ('kept', 0, 0, '{}', 0)"
            )
        )
    )
    store = open_store(url)
    assert store.tracking.get_experiment("kept") is not None
    with store.db.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM datasets")).scalar() == 0
