"""The model registry's records: names with versions that count up."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from jupyter_mlstudio.errors import ModelNotFoundError
from jupyter_mlstudio.store import schema as t
from jupyter_mlstudio.store._json import dumps, loads
from jupyter_mlstudio.store.database import Database
from jupyter_mlstudio.store.entities import ModelRecord


class ModelStore:
    """Typed access to registered models.

    Records live in the metadata database's ``models`` table; a model's files are in the
    artifact store at the record's ``artifact_path`` and are handled by the caller, not
    here. A new version number is taken inside the insert's transaction.
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    def add_model(
        self,
        name: str,
        artifact_path: str,
        *,
        run_id: str | None = None,
        description: str | None = None,
        framework: str | None = None,
        framework_version: str | None = None,
        tags: Mapping[str, str] | None = None,
        properties: Mapping[str, str] | None = None,
        datasets: Sequence[Mapping[str, Any]] | None = None,
    ) -> ModelRecord:
        """Record the next version of ``name``, whose files are already at ``artifact_path``.

        The version is taken inside the transaction, so two processes registering at once
        get two versions, never one.
        """

        def _add(conn: Connection) -> int:
            latest = conn.execute(
                select(func.max(t.models.c.version)).where(t.models.c.name == name)
            ).scalar()
            version = 1 if latest is None else int(latest) + 1
            conn.execute(
                insert(t.models).values(
                    name=name,
                    version=version,
                    run_id=run_id,
                    artifact_path=artifact_path,
                    description=description,
                    framework=framework,
                    framework_version=framework_version,
                    tags=dumps({k: str(v) for k, v in (tags or {}).items()}),
                    properties=dumps({k: str(v) for k, v in (properties or {}).items()}),
                    datasets=dumps([dict(d) for d in datasets or []]),
                    created_at=time.time(),
                )
            )
            return version

        return self.get_model(name, self._db.write(_add, retry_conflicts=True))

    def get_model(self, name: str, version: int | None = None) -> ModelRecord:
        """One registered model: the given version, or the latest when ``version`` is None.

        Parameters
        ----------
        name : str
            The model's name.
        version : int, optional
            The version to fetch; the highest version when left out.

        Returns
        -------
        ModelRecord

        Raises
        ------
        ModelNotFoundError
            If no such model (or version) is registered.
        """
        m = t.models.c
        query = select(t.models).where(m.name == name)
        query = query.where(m.version == int(version)) if version is not None else query
        with self._db.read() as conn:
            row = conn.execute(query.order_by(m.version.desc()).limit(1)).first()
        if row is None:
            which = f"{name!r} version {version}" if version is not None else repr(name)
            raise ModelNotFoundError(
                f"There is no registered model {which} in this workspace.",
                hint="Model.list(ws) shows the registered models.",
                name=name,
                version=version,
            )
        return _model(row)

    def list_models(
        self, name: str | None = None, run_id: str | None = None, latest: bool = False
    ) -> list[ModelRecord]:
        """Registered model versions, sorted by name and then newest version first.

        Parameters
        ----------
        name : str, optional
            Only versions of this model.
        run_id : str, optional
            Only versions registered from this run.
        latest : bool
            Keep only the newest matching version of each name.

        Returns
        -------
        list of ModelRecord
        """
        m = t.models.c
        query = select(t.models).order_by(m.name, m.version.desc())
        if name is not None:
            query = query.where(m.name == name)
        if run_id is not None:
            query = query.where(m.run_id == run_id)
        with self._db.read() as conn:
            found = [_model(row) for row in conn.execute(query)]
        if latest:
            seen: set[str] = set()
            found = [r for r in found if not (r.name in seen or seen.add(r.name))]
        return found

    def update_model(
        self,
        name: str,
        version: int,
        *,
        tags: Mapping[str, str] | None = None,
        properties: Mapping[str, str] | None = None,
        description: str | None = None,
    ) -> ModelRecord:
        """Change a version's tags, properties and/or description; None leaves a field as it is.

        Tags and properties given replace the stored ones entirely.

        Returns
        -------
        ModelRecord
            The version after the change.

        Raises
        ------
        ModelNotFoundError
            If there is no such model version.
        """
        values: dict[str, Any] = {}
        if tags is not None:
            values["tags"] = dumps(dict(tags))
        if properties is not None:
            values["properties"] = dumps(dict(properties))
        if description is not None:
            values["description"] = description

        def _update(conn: Connection) -> None:
            conn.execute(
                update(t.models)
                .where(t.models.c.name == name, t.models.c.version == version)
                .values(**values)
            )

        if values:
            self._db.write(_update)
        return self.get_model(name, version)

    def delete_model(self, name: str, version: int) -> None:
        """Remove the record of one model version (its files in the artifact store are kept).

        Deleting a version that does not exist does nothing.
        """

        def _delete(conn: Connection) -> None:
            conn.execute(
                delete(t.models).where(t.models.c.name == name, t.models.c.version == version)
            )

        self._db.write(_delete)


def _model(row: Any) -> ModelRecord:
    return ModelRecord(
        name=row.name,
        version=row.version,
        run_id=row.run_id,
        artifact_path=row.artifact_path,
        description=row.description,
        framework=row.framework,
        framework_version=row.framework_version,
        tags=loads(row.tags) or {},
        properties=loads(row.properties) or {},
        datasets=loads(row.datasets) or [],
        created_at=row.created_at,
    )


__all__ = ["ModelStore"]
