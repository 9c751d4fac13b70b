"""The queries the studio needs beyond the tracking API: run search with metric and param
conditions, sort and a total count; numeric metric series; permanent deletion; a change feed.

Everything here is read through the same :class:`Database` as the rest of the store, and
hands out plain records, never rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, case, delete, func, literal, not_, or_, select

from jupyter_mlstudio.errors import ExperimentNotFoundError, RunNotFoundError
from jupyter_mlstudio.store import schema as t
from jupyter_mlstudio.store.database import Database
from jupyter_mlstudio.store.entities import TERMINAL_STATUSES, RunsFilter
from jupyter_mlstudio.store.tracking import TrackingStore, _apply_filters

__all__ = [
    "ChangeBatch",
    "MetricCondition",
    "NewMetricPoint",
    "RunOrder",
    "RunStatusChange",
    "StudioStore",
]

_OPS = {
    "=": lambda c, v: c == v,
    "!=": lambda c, v: c != v,
    "<": lambda c, v: c < v,
    "<=": lambda c, v: c <= v,
    ">": lambda c, v: c > v,
    ">=": lambda c, v: c >= v,
}
_RUN_SORT_COLUMNS = {
    "created": t.runs.c.created_at,
    "number": t.runs.c.number,
    "status": t.runs.c.status,
    "started": t.runs.c.started_at,
    "ended": t.runs.c.ended_at,
    "experiment": t.experiments.c.name,
    "name": t.runs.c.display_name,
}


@dataclass(frozen=True)
class MetricCondition:
    """``key op value`` on a run's latest value of a metric (or on a param, as text)."""

    key: str
    op: str  # one of = != < <= > >=
    value: float | str


@dataclass(frozen=True)
class RunOrder:
    """Sort by a run column (``created``, ``number``...), ``metric:<key>`` or ``param:<key>``."""

    by: str = "created"
    descending: bool = True


@dataclass(frozen=True)
class RunStatusChange:
    """A run the change feed reports: new since the cursor, or with another status than then.

    Attributes
    ----------
    run_id : str
    experiment_name : str
    parent_run_id : str or None
    status : str
        The run's status now.
    is_new : bool
        Whether the run was created after the cursor.
    """

    run_id: str
    experiment_name: str
    parent_run_id: str | None
    status: str
    is_new: bool


@dataclass(frozen=True)
class NewMetricPoint:
    """A numeric metric point the change feed reports (points without a value are left out).

    Attributes
    ----------
    run_id : str
    key : str
    step : int
    value : float
    timestamp : float
        Epoch seconds.
    """

    run_id: str
    key: str
    step: int
    value: float
    timestamp: float


@dataclass
class ChangeBatch:
    """What changed since a cursor; ``cursor`` is where the next call starts."""

    cursor: dict[str, Any]
    runs: list[RunStatusChange] = field(default_factory=list)
    metrics: list[NewMetricPoint] = field(default_factory=list)
    metrics_truncated: bool = False
    deleted_runs: list[str] = field(default_factory=list)


class StudioStore:
    """Studio queries over the tracking tables.

    Each query method reads in one transaction. The deletions find the runs (and their
    descendants) first and then delete their rows in one write transaction; the runs'
    files in the artifact store are left to the caller.
    """

    def __init__(self, db: Database, tracking: TrackingStore) -> None:
        self._db = db
        self._tracking = tracking

    # ---- run search ------------------------------------------------------------------------
    def query_run_ids(
        self,
        filters: RunsFilter,
        *,
        metrics: Sequence[MetricCondition] = (),
        params: Sequence[MetricCondition] = (),
        order: RunOrder | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[int, list[str]]:
        """The total number of runs matching, and one page of their ids in ``order``."""
        r = t.runs.c
        base = select(r.run_id).join(t.experiments, t.experiments.c.id == r.experiment_id)
        base = _apply_filters(base, filters)
        lm, rp = t.latest_metrics.c, t.run_params.c
        for cond in metrics:
            base = base.where(
                select(lm.run_pk)
                .where(lm.run_pk == r.pk, lm.key == cond.key, _OPS[cond.op](lm.value, cond.value))
                .exists()
            )
        for cond in params:
            base = base.where(
                select(rp.run_pk)
                .where(rp.run_pk == r.pk, rp.key == cond.key, _OPS[cond.op](rp.value, cond.value))
                .exists()
            )
        order = order or RunOrder()
        if order.by.startswith(("metric:", "param:")):
            kind, _, key = order.by.partition(":")
            table = t.latest_metrics if kind == "metric" else t.run_params
            sort_col = (
                select(table.c.value)
                .where(table.c.run_pk == r.pk, table.c.key == key)
                .scalar_subquery()
            )
        else:
            sort_col = _RUN_SORT_COLUMNS[order.by]
        direction = sort_col.desc() if order.descending else sort_col.asc()
        # Runs without the sort value go last either way; ties keep newest first.
        page = base.order_by(sort_col.is_(None), direction, r.created_at.desc(), r.pk.desc()).limit(
            limit
        )
        if offset:
            page = page.offset(offset)
        count = select(func.count()).select_from(base.subquery())
        with self._db.read() as conn:
            total = int(conn.execute(count).scalar_one())
            ids = [row[0] for row in conn.execute(page)]
        return total, ids

    def child_counts(self, run_ids: Sequence[str]) -> dict[str, int]:
        """How many direct children each run has (runs without children are left out)."""
        r = t.runs.c
        out: dict[str, int] = {}
        with self._db.read() as conn:
            for chunk in _chunks(list(run_ids)):
                query = (
                    select(r.parent_run_id, func.count())
                    .where(r.parent_run_id.in_(chunk))
                    .group_by(r.parent_run_id)
                )
                out.update({row[0]: int(row[1]) for row in conn.execute(query)})
        return out

    def experiment_summaries(self) -> list[dict[str, Any]]:
        """Each experiment with its run count, active run count and latest run time."""
        e, r = t.experiments.c, t.runs.c
        terminal = [str(s) for s in TERMINAL_STATUSES]
        active = func.sum(case((r.pk.is_(None), 0), (r.status.in_(terminal), 0), else_=1))
        query = (
            select(
                e.name,
                e.created_at,
                e.archived,
                func.count(r.pk),
                active,
                func.max(r.created_at),
            )
            .select_from(t.experiments)
            .outerjoin(t.runs, r.experiment_id == e.id)
            .group_by(e.id, e.name, e.created_at, e.archived)
            .order_by(e.name)
        )
        with self._db.read() as conn:
            return [
                {
                    "name": name,
                    "created_at": created,
                    "archived": bool(archived),
                    "run_count": int(count or 0),
                    "active_runs": int(n_active or 0),
                    "last_run_at": last,
                }
                for name, created, archived, count, n_active, last in conn.execute(query)
            ]

    # ---- metric series ---------------------------------------------------------------------
    def metric_series(
        self,
        run_id: str,
        key: str,
        *,
        step_min: int | None = None,
        step_max: int | None = None,
    ) -> tuple[list[int], list[float | None], list[float]]:
        """Steps, values and timestamps of one metric, in the order they were logged."""
        m = t.metrics.c
        with self._db.read() as conn:
            pk = self._run_pk(conn, run_id)
            query = select(m.step, m.value, m.timestamp).where(m.run_pk == pk, m.key == key)
            if step_min is not None:
                query = query.where(m.step >= step_min)
            if step_max is not None:
                query = query.where(m.step <= step_max)
            rows = conn.execute(query.order_by(m.id)).all()
        return [row[0] for row in rows], [row[1] for row in rows], [row[2] for row in rows]

    # ---- deletion --------------------------------------------------------------------------
    def delete_runs(self, run_ids: Sequence[str]) -> list[str]:
        """Delete runs and every descendant for good; returns the ids deleted."""
        with self._db.read() as conn:
            found = {
                row[0]: row[1]
                for row in conn.execute(
                    select(t.runs.c.run_id, t.runs.c.pk).where(t.runs.c.run_id.in_(list(run_ids)))
                )
            }
        missing = [rid for rid in run_ids if rid not in found]
        if missing:
            raise RunNotFoundError(
                f"There is no run with id {missing[0]!r} in this workspace.", run_id=missing[0]
            )
        ids = self._with_descendants(list(found))

        def _delete(conn: Connection) -> None:
            pks = [
                row[0] for row in conn.execute(select(t.runs.c.pk).where(t.runs.c.run_id.in_(ids)))
            ]
            _delete_run_rows(conn, pks)

        self._db.write(_delete)
        self._tracking._run_pks.clear()  # pks of deleted runs must not be reused from cache
        return ids

    def delete_experiment(self, name: str) -> list[str]:
        """Delete an experiment and all its runs for good, so its name can be used again."""
        e = t.experiments.c
        with self._db.read() as conn:
            exp_id = conn.execute(select(e.id).where(e.name == name)).scalar()
            if exp_id is None:
                raise ExperimentNotFoundError(f"There is no experiment named {name!r}.", name=name)
            ids = [
                row[0]
                for row in conn.execute(
                    select(t.runs.c.run_id).where(t.runs.c.experiment_id == exp_id)
                )
            ]
        ids = self._with_descendants(ids)

        def _delete(conn: Connection) -> None:
            pks = [
                row[0] for row in conn.execute(select(t.runs.c.pk).where(t.runs.c.run_id.in_(ids)))
            ]
            _delete_run_rows(conn, pks)
            conn.execute(delete(t.experiments).where(e.id == exp_id))

        self._db.write(_delete)
        self._tracking._run_pks.clear()
        return ids

    def _with_descendants(self, run_ids: list[str]) -> list[str]:
        out, frontier = list(dict.fromkeys(run_ids)), list(run_ids)
        seen = set(out)
        with self._db.read() as conn:
            while frontier:
                children = [
                    row[0]
                    for chunk in _chunks(frontier)
                    for row in conn.execute(
                        select(t.runs.c.run_id).where(t.runs.c.parent_run_id.in_(chunk))
                    )
                    if row[0] not in seen
                ]
                seen.update(children)
                out.extend(children)
                frontier = children
        return out

    # ---- change feed -----------------------------------------------------------------------
    def changes(self, cursor: dict[str, Any] | None, *, max_points: int = 5000) -> ChangeBatch:
        """Runs created or changing status and metric points logged since ``cursor``.

        The cursor holds the last run and metric row seen and the status of each run that was
        not finished then; ``None`` starts at the present (nothing is reported).
        """
        r, m = t.runs.c, t.metrics.c
        terminal = [str(s) for s in TERMINAL_STATUSES]
        with self._db.read() as conn:
            last_run = int(conn.execute(select(func.coalesce(func.max(r.pk), 0))).scalar_one())
            last_metric = int(conn.execute(select(func.coalesce(func.max(m.id), 0))).scalar_one())
            watched: dict[str, str] = dict((cursor or {}).get("active") or {})
            since_run = int((cursor or {}).get("run", last_run))
            since_metric = int((cursor or {}).get("metric", last_metric))
            query = (
                select(r.run_id, t.experiments.c.name, r.parent_run_id, r.status, r.pk)
                .join(t.experiments, t.experiments.c.id == r.experiment_id)
                .where(
                    or_(
                        not_(r.status.in_(terminal)),
                        r.pk > since_run,
                        r.run_id.in_(list(watched)) if watched else literal(False),
                    )
                )
            )
            rows = conn.execute(query).all()
            points_rows = conn.execute(
                select(r.run_id, m.key, m.step, m.value, m.timestamp, m.id)
                .join(t.runs, r.pk == m.run_pk)
                .where(and_(m.id > since_metric, m.id <= last_metric, m.value.is_not(None)))
                .order_by(m.id)
                .limit(max_points + 1)
            ).all()
        batch = ChangeBatch(cursor={})
        active: dict[str, str] = {}
        present = set()
        for run_id, experiment, parent, status, pk in rows:
            present.add(run_id)
            is_new = cursor is not None and pk > since_run
            if cursor is not None and (is_new or watched.get(run_id) != status):
                batch.runs.append(RunStatusChange(run_id, experiment, parent, status, is_new))
            if status not in terminal:
                active[run_id] = status
        batch.deleted_runs = [rid for rid in watched if rid not in present]
        if cursor is not None:
            batch.metrics_truncated = len(points_rows) > max_points
            batch.metrics = [NewMetricPoint(*row[:5]) for row in points_rows[:max_points]]
        next_metric = points_rows[max_points - 1][5] if batch.metrics_truncated else last_metric
        batch.cursor = {"run": last_run, "metric": next_metric, "active": active}
        return batch

    def _run_pk(self, conn: Connection, run_id: str) -> int:
        pk = conn.execute(select(t.runs.c.pk).where(t.runs.c.run_id == run_id)).scalar()
        if pk is None:
            raise RunNotFoundError(
                f"There is no run with id {run_id!r} in this workspace.", run_id=run_id
            )
        return int(pk)


def _delete_run_rows(conn: Connection, pks: list[int]) -> None:
    for chunk in _chunks(pks):
        for table in (
            t.run_tags,
            t.run_properties,
            t.run_params,
            t.metrics,
            t.latest_metrics,
            t.run_datasets,
        ):
            conn.execute(delete(table).where(table.c.run_pk.in_(chunk)))
        conn.execute(delete(t.runs).where(t.runs.c.pk.in_(chunk)))


def _chunks(items: list[Any], size: int = 500) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
