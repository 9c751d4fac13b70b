"""Experiments, runs, tags, properties, params and metrics: the tracking half of the store."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from jupyter_mlstudio.errors import ConflictError, ExperimentNotFoundError, RunNotFoundError
from jupyter_mlstudio.store import schema as t
from jupyter_mlstudio.store._json import dumps, loads
from jupyter_mlstudio.store.database import Database
from jupyter_mlstudio.store.entities import (
    ACTIVE_STATUSES,
    SLOT_RUN_TYPES,
    TERMINAL_STATUSES,
    ExperimentRecord,
    LatestMetric,
    MetricPoint,
    RunRecord,
    RunsFilter,
    RunStatus,
)

_RUN_COLUMNS = [c for c in t.runs.c if c.name != "pk"]
_KV_TABLES = {"tags": t.run_tags, "properties": t.run_properties, "params": t.run_params}
_IN_CHUNK = 500  # SQLite allows 32,766 bound parameters; keep IN lists well under it


class TrackingStore:
    """Typed access to experiments, runs and metrics.

    Rows live in the workspace's metadata database: ``experiments``, ``runs``,
    ``run_tags``, ``run_properties``, ``run_params``, ``metrics`` (every logged point) and
    ``latest_metrics`` (each key's latest point and count, kept in the same transaction).
    Every change is one write transaction (:meth:`Database.write`); a method that returns
    the changed record reads it back afterwards. Several processes may write at once: run
    numbers come from a counter bumped inside the run's insert, ``update_run`` with
    ``only_from`` is a compare-and-set, and ``acquire_slot`` counts busy runs and takes a
    slot in one transaction (with a row lock on PostgreSQL).
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._run_pks: dict[str, int] = {}  # run ids never change their primary key
        self._statements: dict[str, Any] = {
            "insert_metrics": insert(t.metrics),
            "insert_run": insert(t.runs).returning(t.runs.c.pk),
            "bump_counter": update(t.experiments)
            .where(t.experiments.c.id == bindparam("exp_id"))
            .values(run_counter=t.experiments.c.run_counter + 1)
            .returning(t.experiments.c.run_counter),
        }
        self._update_statements: dict[tuple[Any, ...], Any] = {}

    # ---- experiments -------------------------------------------------------------------
    def get_or_create_experiment(self, name: str) -> ExperimentRecord:
        """The experiment ``name``, created (not archived, no tags) if it does not exist yet.

        Two processes creating the same name at once both get the one row: the insert is
        retried on a unique-name clash and then finds the other's experiment.
        """
        found = self.get_experiment(name)
        if found is not None:
            return found

        def _create(conn: Connection) -> None:
            exists = conn.execute(
                select(t.experiments.c.id).where(t.experiments.c.name == name)
            ).first()
            if exists is None:
                conn.execute(
                    insert(t.experiments).values(
                        name=name,
                        created_at=time.time(),
                        archived=False,
                        tags="{}",
                        run_counter=0,
                    )
                )

        self._db.write(_create, retry_conflicts=True)
        created = self.get_experiment(name)
        assert created is not None
        return created

    def get_experiment(self, name: str) -> ExperimentRecord | None:
        """The experiment ``name``, or None when there is none."""
        with self._db.read() as conn:
            row = conn.execute(select(t.experiments).where(t.experiments.c.name == name)).first()
        return None if row is None else _experiment(row)

    def list_experiments(
        self, archived: bool | None = False, tags: Mapping[str, str] | None = None
    ) -> list[ExperimentRecord]:
        """Experiments sorted by name.

        Parameters
        ----------
        archived : bool or None
            False (the default) lists active experiments, True archived ones, None both.
        tags : Mapping of str to str, optional
            Keep only experiments whose tags have all of these values.

        Returns
        -------
        list of ExperimentRecord
        """
        query = select(t.experiments).order_by(t.experiments.c.name)
        if archived is not None:
            query = query.where(t.experiments.c.archived == archived)
        with self._db.read() as conn:
            found = [_experiment(row) for row in conn.execute(query)]
        if tags:
            found = [e for e in found if all(e.tags.get(k) == v for k, v in tags.items())]
        return found

    def update_experiment(
        self,
        name: str,
        *,
        archived: bool | None = None,
        new_name: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> ExperimentRecord:
        """Archive or restore, rename, or add tags to an experiment, in one transaction.

        Parameters
        ----------
        name : str
            The experiment's current name.
        archived : bool, optional
            The new archived flag.
        new_name : str, optional
            A new name, which must not be taken.
        tags : Mapping of str to str, optional
            Tags merged into the existing ones (a key given replaces its value).

        Returns
        -------
        ExperimentRecord
            The experiment after the change.

        Raises
        ------
        ExperimentNotFoundError
            If there is no experiment ``name``.
        ConflictError
            If ``new_name`` belongs to another experiment.
        """

        def _update(conn: Connection) -> None:
            row = conn.execute(select(t.experiments).where(t.experiments.c.name == name)).first()
            if row is None:
                raise ExperimentNotFoundError(f"There is no experiment named {name!r}.", name=name)
            values: dict[str, Any] = {}
            if archived is not None:
                values["archived"] = archived
            if new_name is not None and new_name != name:
                taken = conn.execute(
                    select(t.experiments.c.id).where(t.experiments.c.name == new_name)
                ).first()
                if taken is not None:
                    raise ConflictError(
                        f"An experiment named {new_name!r} exists already.",
                        hint="Choose another name.",
                        name=new_name,
                    )
                values["name"] = new_name
            if tags is not None:
                values["tags"] = dumps({**loads(row.tags), **tags})
            if values:
                conn.execute(
                    update(t.experiments).where(t.experiments.c.id == row.id).values(**values)
                )

        self._db.write(_update)
        found = self.get_experiment(new_name or name)
        assert found is not None
        return found

    # ---- runs ----------------------------------------------------------------------------
    def create_run(
        self,
        experiment_name: str,
        run_id: str,
        run_type: str,
        *,
        status: str = RunStatus.NOT_STARTED,
        parent_run_id: str | None = None,
        name: str | None = None,
        display_name: str | None = None,
        target: str | None = None,
        definition: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
        properties: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        started: bool = False,
        process: tuple[int, str, float] | None = None,
        experiment: ExperimentRecord | None = None,
    ) -> RunRecord:
        """Create a run (and its experiment if new); the run's number counts up per experiment.

        ``process`` is (pid, host, process start time) of whoever drives the run.
        """
        if experiment is None or experiment.name != experiment_name:
            experiment = self.get_or_create_experiment(experiment_name)
        exp_id = experiment.id
        now = time.time()
        pid, host, pid_started_at = process or (None, None, None)
        definition_json = dumps(dict(definition or {}))

        def _create(conn: Connection) -> int:
            # One counter per experiment, bumped under the write lock (row lock in
            # PostgreSQL), so numbers never repeat however many processes create runs.
            number = conn.execute(self._statement("bump_counter"), {"exp_id": exp_id}).scalar_one()
            pk = conn.execute(
                self._statement("insert_run"),
                {
                    "run_id": run_id,
                    "experiment_id": exp_id,
                    "parent_run_id": parent_run_id,
                    "number": number,
                    "name": name,
                    "display_name": display_name or name,
                    "run_type": run_type,
                    "status": str(status),
                    "target": target,
                    "created_at": now,
                    "started_at": now if started else None,
                    "ended_at": None,
                    "heartbeat_at": now if started else None,
                    "pid": pid,
                    "host": host,
                    "pid_started_at": pid_started_at,
                    "cancel_requested": False,
                    "error": None,
                    "definition": definition_json,
                },
            ).scalar_one()
            for kind, values in (("tags", tags), ("properties", properties), ("params", params)):
                if values:
                    conn.execute(
                        insert(_KV_TABLES[kind]),
                        [{"run_pk": pk, "key": k, "value": str(v)} for k, v in values.items()],
                    )
            return int(pk), int(number)

        try:
            pk, number = self._db.write(_create)
            self._run_pks[run_id] = pk
        except Exception as exc:
            if "unique" in str(exc).lower() and "run_id" in str(exc).lower():
                raise ConflictError(
                    f"A run with id {run_id!r} exists already.",
                    hint="Use another run id.",
                    run_id=run_id,
                ) from exc
            raise
        return RunRecord(
            run_id=run_id,
            experiment_id=exp_id,
            experiment_name=experiment_name,
            parent_run_id=parent_run_id,
            number=number,
            name=name,
            display_name=display_name or name,
            run_type=run_type,
            status=str(status),
            target=target,
            created_at=now,
            started_at=now if started else None,
            ended_at=None,
            heartbeat_at=now if started else None,
            pid=pid,
            host=host,
            pid_started_at=pid_started_at,
            cancel_requested=False,
            error=None,
            definition=loads(definition_json),
            tags={k: str(v) for k, v in (tags or {}).items()},
            properties={k: str(v) for k, v in (properties or {}).items()},
            params={k: str(v) for k, v in (params or {}).items()},
        )

    def get_run(self, run_id: str) -> RunRecord:
        """The run ``run_id`` with its tags, properties and params.

        Raises
        ------
        RunNotFoundError
            If there is no run with that id.
        """
        found = self._load_runs(select_ids=[run_id])
        if not found:
            raise RunNotFoundError(
                f"There is no run with id {run_id!r} in this workspace.",
                hint="Check the id (Experiment.get_runs() lists them).",
                run_id=run_id,
            )
        return found[0]

    def search_runs(
        self, filters: RunsFilter | None = None, *, limit: int | None = None, offset: int = 0
    ) -> list[RunRecord]:
        """Runs matching ``filters``, newest first."""
        return self._load_runs(filters=filters or RunsFilter(), limit=limit, offset=offset)

    def _load_runs(
        self,
        *,
        select_ids: Sequence[str] | None = None,
        filters: RunsFilter | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[RunRecord]:
        query = (
            select(t.runs.c.pk, t.experiments.c.name.label("experiment_name"), *_RUN_COLUMNS)
            .join(t.experiments, t.experiments.c.id == t.runs.c.experiment_id)
            .order_by(t.runs.c.created_at.desc(), t.runs.c.pk.desc())
        )
        if select_ids is not None:
            query = query.where(t.runs.c.run_id.in_(list(select_ids)))
        if filters is not None:
            query = _apply_filters(query, filters)
        if limit is not None:
            query = query.limit(limit)
        if offset:
            query = query.offset(offset)
        with self._db.read() as conn:
            rows = conn.execute(query).all()
            pks = [row.pk for row in rows]
            extras = {
                kind: self._key_values(conn, table, pks) for kind, table in _KV_TABLES.items()
            }
        out = []
        for row in rows:
            self._run_pks[row.run_id] = row.pk
            out.append(
                RunRecord(
                    run_id=row.run_id,
                    experiment_id=row.experiment_id,
                    experiment_name=row.experiment_name,
                    parent_run_id=row.parent_run_id,
                    number=row.number,
                    name=row.name,
                    display_name=row.display_name,
                    run_type=row.run_type,
                    status=row.status,
                    target=row.target,
                    created_at=row.created_at,
                    started_at=row.started_at,
                    ended_at=row.ended_at,
                    heartbeat_at=row.heartbeat_at,
                    pid=row.pid,
                    host=row.host,
                    pid_started_at=row.pid_started_at,
                    cancel_requested=bool(row.cancel_requested),
                    error=loads(row.error),
                    definition=loads(row.definition) or {},
                    tags=extras["tags"].get(row.pk, {}),
                    properties=extras["properties"].get(row.pk, {}),
                    params=extras["params"].get(row.pk, {}),
                )
            )
        return out

    @staticmethod
    def _key_values(conn: Connection, table: Any, pks: list[int]) -> dict[int, dict[str, str]]:
        out: dict[int, dict[str, str]] = {}
        for chunk in _chunks(pks):
            for pk, key, value in conn.execute(
                select(table.c.run_pk, table.c.key, table.c.value).where(table.c.run_pk.in_(chunk))
            ):
                out.setdefault(pk, {})[key] = value
        return out

    def _pk(self, conn: Connection, run_id: str) -> int:
        pk = self._run_pks.get(run_id)
        if pk is None:
            pk = conn.execute(select(t.runs.c.pk).where(t.runs.c.run_id == run_id)).scalar()
            if pk is None:
                raise RunNotFoundError(
                    f"There is no run with id {run_id!r} in this workspace.", run_id=run_id
                )
            self._run_pks[run_id] = pk
        return pk

    def update_run(
        self,
        run_id: str,
        *,
        status: str | None = None,
        only_from: Iterable[str] | None = None,
        error: Mapping[str, Any] | None = None,
        started: bool = False,
        ended: bool = False,
        process: tuple[int, str, float] | None = None,
        definition: Mapping[str, Any] | None = None,
    ) -> bool:
        """Change a run's status or fields. A finished run's status is never changed.

        ``only_from`` limits the change to runs in those statuses (compare-and-set).
        Returns whether a row changed.
        """
        now = time.time()
        values: dict[str, Any] = {}
        if status is not None:
            values["status"] = str(status)
        if error is not None:
            values["error"] = dumps(dict(error))
        if started:
            values["started_at"] = values["heartbeat_at"] = now
        if ended:
            values["ended_at"] = now
        if process is not None:
            values["pid"], values["host"], values["pid_started_at"] = process
            values["heartbeat_at"] = now
        if definition is not None:
            values["definition"] = dumps(dict(definition))
        allowed = tuple(sorted(str(s) for s in only_from)) if only_from is not None else None
        key = (tuple(sorted(values)), status is not None, allowed)
        query = self._update_statements.get(key)
        if query is None:
            # Built once per shape and reused: SQLAlchemy then compiles it once.
            sets = {
                col: func.coalesce(t.runs.c.started_at, bindparam(f"v_{col}"))
                if col == "started_at"
                else bindparam(f"v_{col}")
                for col in values
            }
            query = update(t.runs).where(t.runs.c.run_id == bindparam("v_run_id")).values(sets)
            if status is not None:
                query = query.where(t.runs.c.status.not_in([str(s) for s in TERMINAL_STATUSES]))
            if allowed is not None:
                query = query.where(t.runs.c.status.in_(list(allowed)))
            self._update_statements[key] = query
        params = {f"v_{col}": value for col, value in values.items()}
        params["v_run_id"] = run_id

        def _update(conn: Connection) -> bool:
            return conn.execute(query, params).rowcount > 0

        return self._db.write(_update)

    def heartbeat(self, run_id: str) -> bool:
        """Record that the run's process is alive; returns whether a cancel was requested."""

        def _beat(conn: Connection) -> bool:
            flag = conn.execute(
                update(t.runs)
                .where(t.runs.c.run_id == run_id)
                .values(heartbeat_at=time.time())
                .returning(t.runs.c.cancel_requested)
            ).scalar()
            return bool(flag)

        return self._db.write(_beat)

    def request_cancel(self, run_id: str) -> None:
        """Set the run's ``cancel_requested`` flag, which its process sees on its next heartbeat.

        The status is not changed here; an unknown run id changes nothing.
        """

        def _cancel(conn: Connection) -> None:
            conn.execute(
                update(t.runs).where(t.runs.c.run_id == run_id).values(cancel_requested=True)
            )

        self._db.write(_cancel)

    def stale_runs(self, heartbeat_before: float) -> list[RunRecord]:
        """Unfinished, started runs whose last heartbeat is older than ``heartbeat_before``."""
        with self._db.read() as conn:
            ids = (
                conn.execute(
                    select(t.runs.c.run_id).where(
                        t.runs.c.status.not_in([str(s) for s in TERMINAL_STATUSES]),
                        t.runs.c.heartbeat_at.is_not(None),
                        t.runs.c.heartbeat_at < heartbeat_before,
                    )
                )
                .scalars()
                .all()
            )
        return self._load_runs(select_ids=ids) if ids else []

    def acquire_slot(self, run_id: str, target: str, max_concurrency: int) -> bool:
        """Move a queued run to Starting if its compute target has a free slot."""

        def _acquire(conn: Connection) -> bool:
            if self._db.dialect == "postgresql":
                conn.execute(
                    select(t.compute_targets.c.name)
                    .where(t.compute_targets.c.name == target)
                    .with_for_update()
                )
            busy = conn.execute(
                select(func.count())
                .select_from(t.runs)
                .where(
                    t.runs.c.target == target,
                    t.runs.c.status.in_([str(s) for s in ACTIVE_STATUSES]),
                    # Parent runs (sweeps, pipelines) hold no process of their own.
                    t.runs.c.run_type.in_(sorted(SLOT_RUN_TYPES)),
                )
            ).scalar_one()
            if busy >= max_concurrency:
                return False
            changed = conn.execute(
                update(t.runs)
                .where(t.runs.c.run_id == run_id, t.runs.c.status == str(RunStatus.QUEUED))
                .values(status=str(RunStatus.STARTING))
            ).rowcount
            return changed > 0

        return self._db.write(_acquire)

    # ---- tags, properties, params ------------------------------------------------------------
    def set_tags(self, run_id: str, tags: Mapping[str, str]) -> None:
        """Set the run's tags, replacing the values of keys it has already (values stored as str).

        Raises
        ------
        RunNotFoundError
            If there is no run with that id.
        """
        self._upsert_key_values(run_id, t.run_tags, tags)

    def log_params(self, run_id: str, params: Mapping[str, str]) -> None:
        """Set the run's params, replacing the values of keys it has already (values stored as str).

        Raises
        ------
        RunNotFoundError
            If there is no run with that id.
        """
        self._upsert_key_values(run_id, t.run_params, params)

    def remove_tags(self, run_id: str, keys: Iterable[str]) -> None:
        """Remove the tags ``keys`` from the run; keys it does not have are ignored.

        Raises
        ------
        RunNotFoundError
            If there is no run with that id.
        """
        keys = list(keys)

        def _remove(conn: Connection) -> None:
            pk = self._pk(conn, run_id)
            conn.execute(
                delete(t.run_tags).where(t.run_tags.c.run_pk == pk, t.run_tags.c.key.in_(keys))
            )

        self._db.write(_remove)

    def add_properties(self, run_id: str, properties: Mapping[str, str]) -> None:
        """Add properties; a property, once set, keeps its value (as in Azure ML)."""

        def _add(conn: Connection) -> None:
            pk = self._pk(conn, run_id)
            existing = dict(
                conn.execute(
                    select(t.run_properties.c.key, t.run_properties.c.value).where(
                        t.run_properties.c.run_pk == pk
                    )
                ).all()
            )
            new = []
            for key, value in properties.items():
                if key in existing:
                    if existing[key] != str(value):
                        raise ConflictError(
                            f"Property {key!r} of run {run_id} is {existing[key]!r} already; "
                            "properties cannot be changed once set.",
                            hint="Use tags (run.tag / run.set_tags) for values that change.",
                            run_id=run_id,
                            key=key,
                        )
                    continue
                new.append({"run_pk": pk, "key": key, "value": str(value)})
            if new:
                conn.execute(insert(t.run_properties), new)

        self._db.write(_add)

    def _upsert_key_values(self, run_id: str, table: Any, values: Mapping[str, str]) -> None:
        if not values:
            return

        def _upsert(conn: Connection) -> None:
            self._write_key_values(conn, self._pk(conn, run_id), table, values)

        self._db.write(_upsert)

    def _write_key_values(
        self, conn: Connection, pk: int, table: Any, values: Mapping[str, Any]
    ) -> None:
        rows = [{"run_pk": pk, "key": k, "value": str(v)} for k, v in values.items()]
        conn.execute(self._statement(f"upsert_{table.name}"), rows)

    def _statement(self, name: str) -> Any:
        """Upserts built once and run as executemany, so SQLAlchemy compiles each once."""
        stmt = self._statements.get(name)
        if stmt is not None:
            return stmt
        dialect = postgresql if self._db.dialect == "postgresql" else sqlite
        if name == "upsert_latest_metrics":
            ins = dialect.insert(t.latest_metrics)
            lm = t.latest_metrics.c
            newer = ins.excluded.step >= lm.step
            stmt = ins.on_conflict_do_update(
                index_elements=["run_pk", "key"],
                set_={
                    "kind": ins.excluded.kind,
                    "count": lm.count + ins.excluded.count,
                    **{
                        col: case((newer, getattr(ins.excluded, col)), else_=getattr(lm, col))
                        for col in ("step", "value", "payload", "timestamp")
                    },
                },
            )
        else:
            table = getattr(t, name.removeprefix("upsert_"))
            ins = dialect.insert(table)
            stmt = ins.on_conflict_do_update(
                index_elements=["run_pk", "key"], set_={"value": ins.excluded.value}
            )
        self._statements[name] = stmt
        return stmt

    # ---- metrics -----------------------------------------------------------------------
    def log_metrics(self, run_id: str, points: Sequence[MetricPoint]) -> None:
        """Store a batch of metric points (see ``log_batch``)."""
        self.log_batch(run_id, points)

    def log_batch(
        self,
        run_id: str,
        points: Sequence[MetricPoint] = (),
        params: Mapping[str, Any] | None = None,
    ) -> None:
        """Store metric points and params, and refresh each key's latest value, in one
        transaction."""
        if not points and not params:
            return
        latest: dict[str, tuple[MetricPoint, int]] = {}
        for point in points:
            prev = latest.get(point.key)
            if prev is None:
                latest[point.key] = (point, 1)
            else:
                best = point if point.step >= prev[0].step else prev[0]
                latest[point.key] = (best, prev[1] + 1)

        def _log(conn: Connection) -> None:
            pk = self._pk(conn, run_id)
            if params:
                self._write_key_values(conn, pk, t.run_params, params)
            if not points:
                return
            conn.execute(
                self._statement("insert_metrics"),
                [
                    {
                        "run_pk": pk,
                        "key": p.key,
                        "kind": p.kind,
                        "step": p.step,
                        "value": p.value,
                        "payload": p.payload,
                        "timestamp": p.timestamp,
                    }
                    for p in points
                ],
            )
            conn.execute(
                self._statement("upsert_latest_metrics"),
                [
                    {
                        "run_pk": pk,
                        "key": key,
                        "kind": p.kind,
                        "step": p.step,
                        "value": p.value,
                        "payload": p.payload,
                        "timestamp": p.timestamp,
                        "count": n,
                    }
                    for key, (p, n) in latest.items()
                ],
            )

        self._db.write(_log)

    def metric_history(
        self, run_id: str, keys: Iterable[str] | None = None
    ) -> dict[str, list[MetricPoint]]:
        """Every point of the run's metrics (or of ``keys``), in the order they were logged."""
        with self._db.read() as conn:
            pk = self._pk(conn, run_id)
            m = t.metrics.c
            query = (
                select(m.key, m.kind, m.step, m.value, m.payload, m.timestamp)
                .where(m.run_pk == pk)
                .order_by(m.key, m.id)
            )
            if keys is not None:
                query = query.where(m.key.in_(list(keys)))
            out: dict[str, list[MetricPoint]] = {}
            for row in conn.execute(query):
                out.setdefault(row[0], []).append(MetricPoint(*row))
        return out

    def latest_metrics(self, run_ids: Sequence[str]) -> dict[str, dict[str, LatestMetric]]:
        """Each run's latest value per metric key, with how many values it has."""
        out: dict[str, dict[str, LatestMetric]] = {rid: {} for rid in run_ids}
        lm = t.latest_metrics.c
        with self._db.read() as conn:
            for chunk in _chunks(list(run_ids)):
                query = (
                    select(
                        t.runs.c.run_id,
                        lm.key,
                        lm.kind,
                        lm.step,
                        lm.value,
                        lm.payload,
                        lm.timestamp,
                        lm.count,
                    )
                    .join(t.runs, t.runs.c.pk == lm.run_pk)
                    .where(t.runs.c.run_id.in_(chunk))
                )
                for row in conn.execute(query):
                    out[row[0]][row[1]] = LatestMetric(*row[1:])
        return out


def _chunks(items: list[Any]) -> Iterable[list[Any]]:
    for i in range(0, len(items), _IN_CHUNK):
        yield items[i : i + _IN_CHUNK]


def _experiment(row: Any) -> ExperimentRecord:
    return ExperimentRecord(
        id=row.id,
        name=row.name,
        created_at=row.created_at,
        archived=bool(row.archived),
        tags=loads(row.tags) or {},
    )


def _apply_filters(query: Any, f: RunsFilter) -> Any:
    r = t.runs.c
    if f.experiment_names is not None:
        query = query.where(t.experiments.c.name.in_(list(f.experiment_names)))
    if not f.include_archived:
        query = query.where(t.experiments.c.archived.is_(False))
    if f.statuses is not None:
        query = query.where(r.status.in_([str(s) for s in f.statuses]))
    if f.run_types is not None:
        query = query.where(r.run_type.in_(list(f.run_types)))
    if f.parent_run_id is not None:
        query = query.where(r.parent_run_id == f.parent_run_id)
    elif f.top_level_only:
        query = query.where(r.parent_run_id.is_(None))
    for table, wanted in ((t.run_tags, f.tags), (t.run_properties, f.properties)):
        for key, value in (wanted or {}).items():
            cond = and_(table.c.run_pk == r.pk, table.c.key == key)
            if value is not None:
                cond = and_(cond, table.c.value == str(value))
            query = query.where(select(table.c.run_pk).where(cond).exists())
    return query


__all__ = ["TrackingStore"]
