"""Registered datasets: named definitions with versions, profiles, and run lineage."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from jupyter_mlstudio.errors import ConflictError, NotFoundError
from jupyter_mlstudio.store import schema as t
from jupyter_mlstudio.store._json import dumps, loads
from jupyter_mlstudio.store.database import Database

__all__ = ["DatasetNotFoundError", "DatasetRecord", "DatasetStore", "DatasetUse"]


class DatasetNotFoundError(NotFoundError):
    """No registered dataset with that name, version or id."""


@dataclass(frozen=True)
class DatasetRecord:
    """One registered dataset version, as stored in the ``datasets`` table.

    Attributes
    ----------
    id : int
        The version's row id, unique across all datasets.
    name : str
    version : int
        1 for the first registration of ``name``, one more for each new version.
    kind : str
        ``"tabular"`` or ``"file"``.
    definition : dict
        How to read the data (paths, format options), as the data layer wrote it.
    fingerprint : str
        A digest of the definition and the files it named at registration.
    description : str or None
    tags : dict of str to str
    profile : dict or None
        Column statistics computed at registration, when the data layer made one.
    schema_change : dict or None
        How the columns differ from the previous version's profile, when computed.
    created_at : float
        Epoch seconds.
    """

    id: int
    name: str
    version: int
    kind: str
    definition: dict[str, Any]
    fingerprint: str
    description: str | None
    tags: dict[str, str]
    profile: dict[str, Any] | None
    schema_change: dict[str, Any] | None
    created_at: float


@dataclass(frozen=True)
class DatasetUse:
    """One use of a dataset version by a run."""

    run_id: str
    dataset_id: int
    dataset_name: str
    dataset_version: int
    role: str  # input | output
    input_name: str
    mode: str


class DatasetStore:
    """Typed access to dataset versions and the runs that used them.

    Versions live in the metadata database's ``datasets`` table (the definition, not the
    data, which stays where the definition points); uses by runs in ``run_datasets``. A
    new version number is taken inside the insert's transaction and the insert is
    retried on a unique-key clash, so two processes registering at once get two versions.
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    def add_version(
        self,
        name: str,
        kind: str,
        definition: Mapping[str, Any],
        fingerprint: str,
        *,
        description: str | None,
        tags: Mapping[str, str] | None,
        create_new_version: bool,
        make_profile: Callable[[], dict[str, Any] | None] | None = None,
        schema_change: Callable[[DatasetRecord | None, dict[str, Any] | None], Any] | None = None,
    ) -> tuple[DatasetRecord, bool]:
        """Register ``definition`` under ``name``; returns (record, created).

        The same content (fingerprint) as the latest version returns that version unless
        ``create_new_version``; different content under a taken name needs
        ``create_new_version=True``, as in Azure ML. The profile is computed once, outside
        the transaction.
        """
        latest = self._latest(name)
        if latest is not None and not create_new_version:
            if latest.fingerprint == fingerprint and latest.kind == kind:
                return latest, False
            raise ConflictError(
                f"A dataset named {name!r} is registered already (version {latest.version}) "
                "with other content.",
                hint="Pass create_new_version=True to add a new version, or choose another name.",
                name=name,
            )
        profile = make_profile() if make_profile else None
        change = schema_change(latest, profile) if schema_change else None

        def _add(conn: Connection) -> int:
            newest = conn.execute(
                select(func.max(t.datasets.c.version)).where(t.datasets.c.name == name)
            ).scalar()
            version = 1 if newest is None else int(newest) + 1
            return int(
                conn.execute(
                    insert(t.datasets)
                    .values(
                        name=name,
                        version=version,
                        kind=kind,
                        definition=dumps(dict(definition)),
                        fingerprint=fingerprint,
                        description=description,
                        tags=dumps({k: str(v) for k, v in (tags or {}).items()}),
                        profile=None if profile is None else dumps(profile),
                        schema_change=None if change is None else dumps(change),
                        created_at=time.time(),
                    )
                    .returning(t.datasets.c.id)
                ).scalar_one()
            )

        return self.get_by_id(self._db.write(_add, retry_conflicts=True)), True

    def _latest(self, name: str) -> DatasetRecord | None:
        d = t.datasets.c
        with self._db.read() as conn:
            row = conn.execute(
                select(t.datasets).where(d.name == name).order_by(d.version.desc()).limit(1)
            ).first()
        return None if row is None else _record(row)

    def get(self, name: str, version: int | None = None) -> DatasetRecord:
        """One registered dataset: the given version, or the latest when ``version`` is None.

        Parameters
        ----------
        name : str
            The dataset's name.
        version : int, optional
            The version to fetch; the highest version when left out.

        Returns
        -------
        DatasetRecord

        Raises
        ------
        DatasetNotFoundError
            If no such dataset (or version) is registered.
        """
        d = t.datasets.c
        query = select(t.datasets).where(d.name == name)
        if version is not None:
            query = query.where(d.version == int(version))
        with self._db.read() as conn:
            row = conn.execute(query.order_by(d.version.desc()).limit(1)).first()
        if row is None:
            which = f"{name!r} version {version}" if version is not None else repr(name)
            raise DatasetNotFoundError(
                f"There is no registered dataset {which} in this workspace.",
                hint="ws.datasets lists the registered datasets; "
                "Dataset.get_versions(ws, name) lists a dataset's versions.",
                name=name,
                version=version,
            )
        return _record(row)

    def get_by_id(self, dataset_id: int) -> DatasetRecord:
        """The dataset version with row id ``dataset_id``.

        Raises
        ------
        DatasetNotFoundError
            If there is no dataset version with that id.
        """
        with self._db.read() as conn:
            row = conn.execute(select(t.datasets).where(t.datasets.c.id == dataset_id)).first()
        if row is None:
            raise DatasetNotFoundError(
                f"There is no registered dataset with id {dataset_id}.", id=dataset_id
            )
        return _record(row)

    def list_latest(self) -> list[DatasetRecord]:
        """The latest version of every registered dataset, sorted by name."""
        d = t.datasets.c
        newest = select(d.name, func.max(d.version).label("v")).group_by(d.name).subquery()
        query = (
            select(t.datasets)
            .join(newest, (newest.c.name == d.name) & (newest.c.v == d.version))
            .order_by(d.name)
        )
        with self._db.read() as conn:
            return [_record(row) for row in conn.execute(query)]

    def list_versions(self, name: str) -> list[DatasetRecord]:
        """Every version of the dataset ``name``, newest first (empty when there is none)."""
        d = t.datasets.c
        query = select(t.datasets).where(d.name == name).order_by(d.version.desc())
        with self._db.read() as conn:
            return [_record(row) for row in conn.execute(query)]

    def update(
        self,
        dataset_id: int,
        *,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> DatasetRecord:
        """Change a version's description and/or tags; arguments left as None are kept.

        Parameters
        ----------
        dataset_id : int
            The version's row id.
        description : str, optional
            The new description.
        tags : Mapping of str to str, optional
            The new tags; they replace the old ones (values are stored as strings).

        Returns
        -------
        DatasetRecord
            The version after the change.

        Raises
        ------
        DatasetNotFoundError
            If there is no dataset version with that id.
        """
        values: dict[str, Any] = {}
        if description is not None:
            values["description"] = description
        if tags is not None:
            values["tags"] = dumps({k: str(v) for k, v in tags.items()})

        def _update(conn: Connection) -> None:
            conn.execute(update(t.datasets).where(t.datasets.c.id == dataset_id).values(**values))

        if values:
            self._db.write(_update)
        return self.get_by_id(dataset_id)

    # ---- lineage -------------------------------------------------------------------------
    def record_use(
        self, run_id: str, dataset_id: int, role: str, input_name: str, mode: str
    ) -> None:
        """Record that run ``run_id`` used a dataset version (a repeated use is recorded once).

        Parameters
        ----------
        run_id : str
            The run, which must exist already.
        dataset_id : int
            The dataset version's row id.
        role : str
            ``"input"`` or ``"output"``.
        input_name : str
            The name the run knows the data by.
        mode : str
            How the run reads it (the consumption mode: ``"direct"``, ``"download"``, ``"mount"``).

        Raises
        ------
        sqlalchemy.exc.NoResultFound
            If there is no run ``run_id``.
        """

        def _record_use(conn: Connection) -> None:
            pk = conn.execute(select(t.runs.c.pk).where(t.runs.c.run_id == run_id)).scalar_one()
            exists = conn.execute(
                select(t.run_datasets.c.run_pk).where(
                    t.run_datasets.c.run_pk == pk,
                    t.run_datasets.c.dataset_id == dataset_id,
                    t.run_datasets.c.role == role,
                    t.run_datasets.c.input_name == input_name,
                )
            ).first()
            if exists is None:
                conn.execute(
                    insert(t.run_datasets).values(
                        run_pk=pk,
                        dataset_id=dataset_id,
                        role=role,
                        input_name=input_name,
                        mode=mode,
                    )
                )

        self._db.write(_record_use, retry_conflicts=True)

    def uses(
        self,
        *,
        run_id: str | None = None,
        dataset_id: int | None = None,
        dataset_name: str | None = None,
    ) -> list[DatasetUse]:
        """Uses of datasets by runs, filtered by run, dataset version or dataset name."""
        rd, d, r = t.run_datasets.c, t.datasets.c, t.runs.c
        query = (
            select(r.run_id, d.id, d.name, d.version, rd.role, rd.input_name, rd.mode)
            .select_from(t.run_datasets)
            .join(t.runs, r.pk == rd.run_pk)
            .join(t.datasets, d.id == rd.dataset_id)
            .order_by(r.created_at.desc(), d.name, d.version)
        )
        if run_id is not None:
            query = query.where(r.run_id == run_id)
        if dataset_id is not None:
            query = query.where(d.id == dataset_id)
        if dataset_name is not None:
            query = query.where(d.name == dataset_name)
        with self._db.read() as conn:
            return [DatasetUse(*row) for row in conn.execute(query)]


def _record(row: Any) -> DatasetRecord:
    return DatasetRecord(
        id=row.id,
        name=row.name,
        version=row.version,
        kind=row.kind,
        definition=loads(row.definition),
        fingerprint=row.fingerprint,
        description=row.description,
        tags=loads(row.tags) or {},
        profile=loads(row.profile),
        schema_change=loads(row.schema_change),
        created_at=row.created_at,
    )
