"""Workspace-level assets: the workspace row, environments, compute targets, datastores."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from jupyter_mlstudio.errors import (
    ComputeTargetException,
    ConflictError,
    DatastoreNotFoundError,
    EnvironmentNotFoundError,
)
from jupyter_mlstudio.store import schema as t
from jupyter_mlstudio.store._json import dumps, loads
from jupyter_mlstudio.store.database import Database
from jupyter_mlstudio.store.entities import ComputeTargetRecord, DatastoreRecord, EnvironmentRecord


class AssetStore:
    """Typed access to the workspace row, environments, compute targets and datastores.

    Rows live in the metadata database's ``workspace``, ``environments``,
    ``compute_targets`` and ``datastores`` tables. The SDK keeps datastore secrets out of
    them: a datastore's options say only where its credentials are. Each change is one
    write transaction; creations read before they insert and are retried on a unique-key
    clash, so two processes registering the same name end with one row.
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    # ---- workspace -----------------------------------------------------------------------
    def workspace_info(self) -> dict[str, Any] | None:
        """The workspace's record (``workspace`` table, row 1), or None before it is initialised.

        Returns
        -------
        dict or None
            ``name`` and ``created_at`` (epoch seconds) merged with the properties stored by
            :meth:`init_workspace`.
        """
        with self._db.read() as conn:
            row = conn.execute(select(t.workspace).where(t.workspace.c.id == 1)).first()
        if row is None:
            return None
        return {"name": row.name, "created_at": row.created_at, **(loads(row.properties) or {})}

    def init_workspace(self, name: str, properties: Mapping[str, Any]) -> dict[str, Any]:
        """Record the workspace's name once; later calls keep the first record."""

        def _init(conn: Connection) -> None:
            if conn.execute(select(t.workspace.c.id).where(t.workspace.c.id == 1)).first() is None:
                conn.execute(
                    insert(t.workspace).values(
                        id=1, name=name, created_at=time.time(), properties=dumps(dict(properties))
                    )
                )

        self._db.write(_init, retry_conflicts=True)
        info = self.workspace_info()
        assert info is not None
        return info

    # ---- environments --------------------------------------------------------------------
    def register_environment(
        self, name: str, definition: Mapping[str, Any], fingerprint: str
    ) -> EnvironmentRecord:
        """Store a definition; a new version only when the fingerprint differs from the latest."""

        def _register(conn: Connection) -> int:
            e = t.environments.c
            latest = conn.execute(
                select(e.version, e.fingerprint).where(e.name == name).order_by(e.version.desc())
            ).first()
            if latest is not None and latest.fingerprint == fingerprint:
                return int(latest.version)
            version = 1 if latest is None else int(latest.version) + 1
            conn.execute(
                insert(t.environments).values(
                    name=name,
                    version=version,
                    definition=dumps(dict(definition)),
                    fingerprint=fingerprint,
                    created_at=time.time(),
                )
            )
            return version

        return self.get_environment(name, self._db.write(_register, retry_conflicts=True))

    def get_environment(self, name: str, version: int | None = None) -> EnvironmentRecord:
        """One registered environment: the given version, or the latest when ``version`` is None.

        Parameters
        ----------
        name : str
            The environment's name.
        version : int, optional
            The version to fetch; the highest version when left out.

        Returns
        -------
        EnvironmentRecord

        Raises
        ------
        EnvironmentNotFoundError
            If no such environment (or version) is registered.
        """
        e = t.environments.c
        query = select(t.environments).where(e.name == name).order_by(e.version.desc()).limit(1)
        if version is not None:
            query = select(t.environments).where(e.name == name, e.version == int(version))
        with self._db.read() as conn:
            row = conn.execute(query).first()
        if row is None:
            which = f"{name!r} version {version}" if version is not None else repr(name)
            raise EnvironmentNotFoundError(
                f"There is no registered environment {which} in this workspace.",
                hint="Register it first with env.register(workspace=ws); "
                "Environment.list(ws) shows the registered ones.",
                name=name,
                version=version,
            )
        return _environment(row)

    def list_environments(self) -> list[EnvironmentRecord]:
        """The latest version of every registered environment."""
        e = t.environments.c
        newest = select(e.name, func.max(e.version).label("v")).group_by(e.name).subquery()
        query = (
            select(t.environments)
            .join(newest, (newest.c.name == e.name) & (newest.c.v == e.version))
            .order_by(e.name)
        )
        with self._db.read() as conn:
            return [_environment(row) for row in conn.execute(query)]

    # ---- compute targets -----------------------------------------------------------------
    def upsert_compute_target(
        self,
        name: str,
        type_: str,
        config: Mapping[str, Any],
        max_concurrency: int,
        provisioning_state: str = "Succeeded",
    ) -> ComputeTargetRecord:
        """Create the compute target ``name``, or replace the settings of an existing one.

        The read and the insert or update happen in one write transaction; if another process
        creates the same name first, the write is retried and becomes an update.

        Parameters
        ----------
        name : str
            The target's name (the table's primary key).
        type_ : str
            The kind of target, as the execution layer names it.
        config : Mapping
            The target's settings, stored as JSON.
        max_concurrency : int
            How many runs the target may run at once.
        provisioning_state : str
            The state shown to users (``"Succeeded"`` by default).

        Returns
        -------
        ComputeTargetRecord
            The target as stored.
        """

        def _upsert(conn: Connection) -> None:
            c = t.compute_targets.c
            values = {
                "type": type_,
                "config": dumps(dict(config)),
                "max_concurrency": max_concurrency,
                "provisioning_state": provisioning_state,
            }
            if conn.execute(select(c.name).where(c.name == name)).first() is None:
                conn.execute(
                    insert(t.compute_targets).values(name=name, created_at=time.time(), **values)
                )
            else:
                conn.execute(update(t.compute_targets).where(c.name == name).values(**values))

        self._db.write(_upsert, retry_conflicts=True)
        return self.get_compute_target(name)

    def get_compute_target(self, name: str) -> ComputeTargetRecord:
        """The compute target named ``name``.

        Raises
        ------
        ComputeTargetException
            If there is no compute target of that name.
        """
        with self._db.read() as conn:
            row = conn.execute(
                select(t.compute_targets).where(t.compute_targets.c.name == name)
            ).first()
        if row is None:
            raise ComputeTargetException(
                f"There is no compute target named {name!r} in this workspace.",
                hint="Create it with ComputeTarget.create(ws, name, config), or use 'local'.",
                name=name,
            )
        return _compute(row)

    def list_compute_targets(self) -> list[ComputeTargetRecord]:
        """Every compute target of the workspace, sorted by name."""
        with self._db.read() as conn:
            rows = conn.execute(select(t.compute_targets).order_by(t.compute_targets.c.name))
            return [_compute(row) for row in rows]

    def delete_compute_target(self, name: str) -> None:
        """Remove the compute target ``name``; removing a name that does not exist does nothing.

        Raises
        ------
        ConflictError
            If ``name`` is ``"local"``, which every workspace keeps.
        """
        if name == "local":
            raise ConflictError("The 'local' compute target cannot be deleted.", name=name)

        def _delete(conn: Connection) -> None:
            conn.execute(delete(t.compute_targets).where(t.compute_targets.c.name == name))

        self._db.write(_delete)

    # ---- datastores ----------------------------------------------------------------------
    def register_datastore(
        self,
        name: str,
        type_: str,
        root: str,
        options: Mapping[str, Any],
        *,
        make_default: bool = False,
        overwrite: bool = False,
    ) -> DatastoreRecord:
        """Register a datastore, or update the options of the one with this name.

        The first datastore registered becomes the default. The checks and writes run in one
        write transaction, retried if another process inserts the same name first.

        Parameters
        ----------
        name : str
            The datastore's name (the table's primary key).
        type_ : str
            The datastore type with Azure ML's names (such as ``"AzureBlob"``).
        root : str
            The root path or URL the datastore points at.
        options : Mapping
            Backend options, stored as JSON.
        make_default : bool
            Make this the workspace's default datastore (and no other).
        overwrite : bool
            Allow repointing an existing name at another root or type.

        Returns
        -------
        DatastoreRecord
            The datastore as stored.

        Raises
        ------
        ConflictError
            If ``name`` exists with another root or type and ``overwrite`` is False.
        """

        def _register(conn: Connection) -> None:
            d = t.datastores.c
            existing = conn.execute(select(t.datastores).where(d.name == name)).first()
            values = {"type": type_, "root": root, "options": dumps(dict(options))}
            if existing is not None:
                same = existing.root == root and existing.type == type_
                if not same and not overwrite:
                    raise ConflictError(
                        f"A datastore named {name!r} exists already, pointing at {existing.root}.",
                        hint="Pass overwrite=True to repoint it, or choose another name.",
                        name=name,
                    )
                conn.execute(update(t.datastores).where(d.name == name).values(**values))
            else:
                has_default = conn.execute(select(d.name).where(d.is_default.is_(True))).first()
                conn.execute(
                    insert(t.datastores).values(
                        name=name,
                        created_at=time.time(),
                        is_default=bool(make_default or has_default is None),
                        **values,
                    )
                )
            if make_default:
                conn.execute(update(t.datastores).values(is_default=(d.name == name)))

        self._db.write(_register, retry_conflicts=True)
        return self.get_datastore(name)

    def get_datastore(self, name: str | None = None) -> DatastoreRecord:
        """The named datastore, or the default one when ``name`` is None."""
        d = t.datastores.c
        query = select(t.datastores).where(d.name == name if name else d.is_default.is_(True))
        with self._db.read() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise DatastoreNotFoundError(
                f"There is no datastore named {name!r} in this workspace."
                if name
                else "This workspace has no default datastore.",
                hint="ws.datastores lists the registered datastores.",
                name=name,
            )
        return _datastore(row)

    def delete_datastore(self, name: str) -> None:
        """Remove the datastore record ``name`` (the files it points at are not touched).

        Raises
        ------
        DatastoreNotFoundError
            If there is no datastore of that name.
        ConflictError
            If it is the default datastore.
        """
        record = self.get_datastore(name)
        if record.is_default:
            raise ConflictError(
                f"{name!r} is the default datastore and cannot be removed.",
                hint="Make another datastore the default first (ws.set_default_datastore).",
                name=name,
            )

        def _delete(conn: Connection) -> None:
            conn.execute(delete(t.datastores).where(t.datastores.c.name == name))

        self._db.write(_delete)

    def list_datastores(self) -> list[DatastoreRecord]:
        """Every registered datastore, sorted by name."""
        with self._db.read() as conn:
            return [
                _datastore(row)
                for row in conn.execute(select(t.datastores).order_by(t.datastores.c.name))
            ]


def _environment(row: Any) -> EnvironmentRecord:
    return EnvironmentRecord(
        name=row.name,
        version=row.version,
        definition=loads(row.definition),
        fingerprint=row.fingerprint,
        created_at=row.created_at,
    )


def _compute(row: Any) -> ComputeTargetRecord:
    return ComputeTargetRecord(
        name=row.name,
        type=row.type,
        config=loads(row.config) or {},
        max_concurrency=row.max_concurrency,
        provisioning_state=row.provisioning_state,
        created_at=row.created_at,
    )


def _datastore(row: Any) -> DatastoreRecord:
    return DatastoreRecord(
        name=row.name,
        type=row.type,
        root=row.root,
        options=loads(row.options) or {},
        is_default=bool(row.is_default),
        created_at=row.created_at,
    )


__all__ = ["AssetStore"]
