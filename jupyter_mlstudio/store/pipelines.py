"""Published pipelines, pipeline endpoints and schedules."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update

from jupyter_mlstudio.errors import ConflictError, NotFoundError
from jupyter_mlstudio.store import schema as t
from jupyter_mlstudio.store._json import dumps, loads
from jupyter_mlstudio.store.database import Database

__all__ = [
    "PipelineEndpointRecord",
    "PipelineNotFoundError",
    "PipelineStore",
    "PublishedPipelineRecord",
    "ScheduleRecord",
]


class PipelineNotFoundError(NotFoundError):
    """No published pipeline, pipeline endpoint or schedule with that id or name."""


@dataclass(frozen=True)
class PublishedPipelineRecord:
    """One published pipeline, as stored in the ``published_pipelines`` table.

    Attributes
    ----------
    id : str
        A random hex id, given at publication.
    name : str
    version : str or None
        The free-text version the publisher gave.
    description : str or None
    graph : dict
        The pipeline graph as JSON, each step pointing at its stored source snapshot.
    status : str
        ``"Active"`` or ``"Disabled"``.
    source_run_id : str or None
        The pipeline run it was published from, if any.
    created_at : float
        Epoch seconds.
    """

    id: str
    name: str
    version: str | None
    description: str | None
    graph: dict[str, Any]
    status: str
    source_run_id: str | None
    created_at: float


@dataclass(frozen=True)
class PipelineEndpointRecord:
    """One pipeline endpoint, as stored in the ``pipeline_endpoints`` table.

    Attributes
    ----------
    id : str
    name : str
        Unique in the workspace.
    description : str or None
    pipelines : list of str
        Published pipeline ids; a version is an index into this list, from 0.
    default_version : int
        The index of the version a submission without a version runs.
    status : str
    created_at : float
        Epoch seconds.
    """

    id: str
    name: str
    description: str | None
    pipelines: list[str]
    default_version: int
    status: str
    created_at: float


@dataclass(frozen=True)
class ScheduleRecord:
    """One schedule, as stored in the ``schedules`` table.

    Attributes
    ----------
    id : str
    name : str
    pipeline_id : str
        The published pipeline it submits.
    experiment_name : str
        The experiment its runs go to.
    recurrence : dict
        ``frequency``, ``interval`` and friends, or ``cron``; with ``time_zone``.
    parameters : dict
        Pipeline parameters passed at every firing.
    description : str or None
    status : str
        ``"Active"`` or ``"Disabled"``.
    next_fire_at : float or None
        When it fires next (epoch seconds).
    last_fired_at : float or None
        When a scheduler last claimed a firing.
    last_run_id : str or None
        The pipeline run its last firing started.
    missed : list of float
        Firings that fell while no scheduler ran (the last 100 kept).
    created_at : float
        Epoch seconds.
    """

    id: str
    name: str
    pipeline_id: str
    experiment_name: str
    recurrence: dict[str, Any]
    parameters: dict[str, Any]
    description: str | None
    status: str
    next_fire_at: float | None
    last_fired_at: float | None
    last_run_id: str | None
    missed: list[float]
    created_at: float


class PipelineStore:
    """Typed access to published pipelines, pipeline endpoints and schedules.

    Rows live in the metadata database's ``published_pipelines``, ``pipeline_endpoints``
    and ``schedules`` tables; the step sources a published graph points at are
    content-addressed snapshots in the artifact store (``pipeline_snapshots/<hash>``).
    Each change is one write transaction; ``update_endpoint`` reads and rewrites an
    endpoint's versions in one, and ``claim_firing`` is a compare-and-set on the due
    time, so concurrent schedulers never both claim one firing.
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    # ---- published pipelines -------------------------------------------------------------
    def publish(
        self,
        pipeline_id: str,
        name: str,
        version: str | None,
        description: str | None,
        graph: Mapping[str, Any],
        source_run_id: str | None,
    ) -> PublishedPipelineRecord:
        """Record a published pipeline with status ``"Active"``.

        Parameters
        ----------
        pipeline_id : str
            Its new id (the caller makes it; a taken id fails on the primary key).
        name : str
        version : str or None
        description : str or None
        graph : Mapping
            The pipeline graph, stored as JSON.
        source_run_id : str or None
            The run it was published from.

        Returns
        -------
        PublishedPipelineRecord
        """

        def _add(conn: Connection) -> None:
            conn.execute(
                insert(t.published_pipelines).values(
                    id=pipeline_id,
                    name=name,
                    version=version,
                    description=description,
                    graph=dumps(dict(graph)),
                    status="Active",
                    source_run_id=source_run_id,
                    created_at=time.time(),
                )
            )

        self._db.write(_add)
        return self.get_published(pipeline_id)

    def get_published(self, pipeline_id: str) -> PublishedPipelineRecord:
        """The published pipeline with id ``pipeline_id``.

        Raises
        ------
        PipelineNotFoundError
            If there is none.
        """
        with self._db.read() as conn:
            row = conn.execute(
                select(t.published_pipelines).where(t.published_pipelines.c.id == pipeline_id)
            ).first()
        if row is None:
            raise PipelineNotFoundError(
                f"There is no published pipeline with id {pipeline_id!r}.",
                hint="PublishedPipeline.list(ws) shows the published pipelines.",
                id=pipeline_id,
            )
        return _published(row)

    def list_published(self, active_only: bool = True) -> list[PublishedPipelineRecord]:
        """Published pipelines, newest first (only the ``"Active"`` ones when ``active_only``)."""
        p = t.published_pipelines.c
        query = select(t.published_pipelines).order_by(p.created_at.desc())
        if active_only:
            query = query.where(p.status == "Active")
        with self._db.read() as conn:
            return [_published(row) for row in conn.execute(query)]

    def set_published_status(self, pipeline_id: str, status: str) -> None:
        """Set a published pipeline's status (``"Active"`` or ``"Disabled"``).

        Raises
        ------
        PipelineNotFoundError
            If there is no published pipeline with that id.
        """
        self.get_published(pipeline_id)
        self._db.write(
            lambda conn: conn.execute(
                update(t.published_pipelines)
                .where(t.published_pipelines.c.id == pipeline_id)
                .values(status=status)
            )
        )

    # ---- pipeline endpoints ----------------------------------------------------------------
    def create_endpoint(
        self, endpoint_id: str, name: str, description: str | None, pipeline_id: str
    ) -> PipelineEndpointRecord:
        """Record a pipeline endpoint whose version 0, the default, is ``pipeline_id``.

        The name check and the insert run in one write transaction.

        Parameters
        ----------
        endpoint_id : str
            Its new id.
        name : str
            Its name, which must be free.
        description : str or None
        pipeline_id : str
            The published pipeline of version 0.

        Returns
        -------
        PipelineEndpointRecord

        Raises
        ------
        ConflictError
            If a pipeline endpoint of that name exists.
        """

        def _add(conn: Connection) -> None:
            taken = conn.execute(
                select(t.pipeline_endpoints.c.id).where(t.pipeline_endpoints.c.name == name)
            ).first()
            if taken is not None:
                raise ConflictError(
                    f"A pipeline endpoint named {name!r} exists already.",
                    hint="Add a version to it with add_default(pipeline).",
                    name=name,
                )
            conn.execute(
                insert(t.pipeline_endpoints).values(
                    id=endpoint_id,
                    name=name,
                    description=description,
                    pipelines=dumps([pipeline_id]),
                    default_version=0,
                    status="Active",
                    created_at=time.time(),
                )
            )

        self._db.write(_add)
        return self.get_endpoint(name=name)

    def get_endpoint(
        self, *, endpoint_id: str | None = None, name: str | None = None
    ) -> PipelineEndpointRecord:
        """A pipeline endpoint by id or, when ``endpoint_id`` is not given, by name.

        Raises
        ------
        PipelineNotFoundError
            If there is none.
        """
        e = t.pipeline_endpoints.c
        query = select(t.pipeline_endpoints).where(
            e.id == endpoint_id if endpoint_id else e.name == name
        )
        with self._db.read() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise PipelineNotFoundError(
                f"There is no pipeline endpoint {endpoint_id or name!r}.",
                hint="PipelineEndpoint.list(ws) shows them.",
            )
        return _endpoint(row)

    def list_endpoints(self) -> list[PipelineEndpointRecord]:
        """Every pipeline endpoint, sorted by name."""
        with self._db.read() as conn:
            rows = conn.execute(select(t.pipeline_endpoints).order_by(t.pipeline_endpoints.c.name))
            return [_endpoint(row) for row in rows]

    def update_endpoint(
        self, name: str, change: Callable[[list[str], int], tuple[list[str], int]]
    ) -> PipelineEndpointRecord:
        """Apply ``change(pipelines, default)`` in one transaction."""

        def _update(conn: Connection) -> None:
            row = conn.execute(
                select(t.pipeline_endpoints).where(t.pipeline_endpoints.c.name == name)
            ).first()
            if row is None:
                raise PipelineNotFoundError(f"There is no pipeline endpoint {name!r}.")
            pipelines, default = change(loads(row.pipelines), row.default_version)
            conn.execute(
                update(t.pipeline_endpoints)
                .where(t.pipeline_endpoints.c.name == name)
                .values(pipelines=dumps(pipelines), default_version=default)
            )

        self._db.write(_update)
        return self.get_endpoint(name=name)

    # ---- schedules ---------------------------------------------------------------------
    def create_schedule(
        self,
        schedule_id: str,
        name: str,
        pipeline_id: str,
        experiment_name: str,
        recurrence: Mapping[str, Any],
        parameters: Mapping[str, Any],
        description: str | None,
        next_fire_at: float,
    ) -> ScheduleRecord:
        """Record an ``"Active"`` schedule with no firing yet.

        Parameters
        ----------
        schedule_id : str
            Its new id.
        name : str
        pipeline_id : str
            The published pipeline to submit.
        experiment_name : str
        recurrence : Mapping
            The recurrence or cron specification, stored as JSON.
        parameters : Mapping
            Pipeline parameters for every firing.
        description : str or None
        next_fire_at : float
            The first firing (epoch seconds).

        Returns
        -------
        ScheduleRecord
        """

        def _add(conn: Connection) -> None:
            conn.execute(
                insert(t.schedules).values(
                    id=schedule_id,
                    name=name,
                    pipeline_id=pipeline_id,
                    experiment_name=experiment_name,
                    recurrence=dumps(dict(recurrence)),
                    parameters=dumps(dict(parameters)),
                    description=description,
                    status="Active",
                    next_fire_at=next_fire_at,
                    last_fired_at=None,
                    last_run_id=None,
                    missed="[]",
                    created_at=time.time(),
                )
            )

        self._db.write(_add)
        return self.get_schedule(schedule_id)

    def get_schedule(self, schedule_id: str) -> ScheduleRecord:
        """The schedule with id ``schedule_id``.

        Raises
        ------
        PipelineNotFoundError
            If there is none.
        """
        with self._db.read() as conn:
            row = conn.execute(select(t.schedules).where(t.schedules.c.id == schedule_id)).first()
        if row is None:
            raise PipelineNotFoundError(
                f"There is no schedule with id {schedule_id!r}.",
                hint="Schedule.list(ws) shows the schedules.",
            )
        return _schedule(row)

    def list_schedules(self, active_only: bool = False) -> list[ScheduleRecord]:
        """Schedules, oldest first; only the ``"Active"`` ones when ``active_only``."""
        query = select(t.schedules).order_by(t.schedules.c.created_at)
        if active_only:
            query = query.where(t.schedules.c.status == "Active")
        with self._db.read() as conn:
            return [_schedule(row) for row in conn.execute(query)]

    def set_schedule_status(
        self, schedule_id: str, status: str, next_fire_at: float | None = None
    ) -> None:
        """Set a schedule's status and, if given, its next firing time.

        Raises
        ------
        PipelineNotFoundError
            If there is no schedule with that id.
        """
        values: dict[str, Any] = {"status": status}
        if next_fire_at is not None:
            values["next_fire_at"] = next_fire_at
        self.get_schedule(schedule_id)
        self._db.write(
            lambda conn: conn.execute(
                update(t.schedules).where(t.schedules.c.id == schedule_id).values(**values)
            )
        )

    def claim_firing(
        self, schedule_id: str, due_at: float, next_fire_at: float, missed: list[float]
    ) -> bool:
        """Take the firing due at ``due_at`` (compare-and-set on it): of several schedulers
        only one gets True, so a firing is never doubled."""

        def _claim(conn: Connection) -> bool:
            row = conn.execute(
                select(t.schedules.c.missed).where(t.schedules.c.id == schedule_id)
            ).first()
            known = loads(row.missed) if row else []
            changed = conn.execute(
                update(t.schedules)
                .where(
                    t.schedules.c.id == schedule_id,
                    t.schedules.c.next_fire_at == due_at,
                    t.schedules.c.status == "Active",
                )
                .values(
                    next_fire_at=next_fire_at,
                    last_fired_at=time.time(),
                    missed=dumps((known + missed)[-100:]),
                )
            ).rowcount
            return changed > 0

        return self._db.write(_claim)

    def record_fired_run(self, schedule_id: str, run_id: str) -> None:
        """Remember ``run_id`` as the pipeline run the schedule's last firing started."""
        self._db.write(
            lambda conn: conn.execute(
                update(t.schedules)
                .where(t.schedules.c.id == schedule_id)
                .values(last_run_id=run_id)
            )
        )


def _published(row: Any) -> PublishedPipelineRecord:
    return PublishedPipelineRecord(
        id=row.id,
        name=row.name,
        version=row.version,
        description=row.description,
        graph=loads(row.graph),
        status=row.status,
        source_run_id=row.source_run_id,
        created_at=row.created_at,
    )


def _endpoint(row: Any) -> PipelineEndpointRecord:
    return PipelineEndpointRecord(
        id=row.id,
        name=row.name,
        description=row.description,
        pipelines=loads(row.pipelines),
        default_version=row.default_version,
        status=row.status,
        created_at=row.created_at,
    )


def _schedule(row: Any) -> ScheduleRecord:
    return ScheduleRecord(
        id=row.id,
        name=row.name,
        pipeline_id=row.pipeline_id,
        experiment_name=row.experiment_name,
        recurrence=loads(row.recurrence),
        parameters=loads(row.parameters) or {},
        description=row.description,
        status=row.status,
        next_fire_at=row.next_fire_at,
        last_fired_at=row.last_fired_at,
        last_run_id=row.last_run_id,
        missed=loads(row.missed) or [],
        created_at=row.created_at,
    )
