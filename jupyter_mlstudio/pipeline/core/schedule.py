"""Schedules: submit a published pipeline on a recurrence or a cron expression.

Schedules are stored in the workspace; ``run_due_schedules(ws)`` fires the due ones (the
Jupyter server extension calls it every few seconds). A firing is claimed in the database
before it runs, so two schedulers never double-fire, and firings that fell while nothing
was running are recorded as missed (``schedule.missed_firings``), never silently dropped.
"""

from __future__ import annotations

import time
import uuid
import warnings
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jupyter_mlstudio.errors import UserErrorException, ValidationError

if TYPE_CHECKING:
    from jupyter_mlstudio.core.workspace import Workspace
    from jupyter_mlstudio.pipeline.core.run import PipelineRun
    from jupyter_mlstudio.store.pipelines import ScheduleRecord

__all__ = ["Schedule", "ScheduleRecurrence", "TimeZone", "next_firing", "run_due_schedules"]

_DAYS = {
    "Sunday": 0,
    "Monday": 1,
    "Tuesday": 2,
    "Wednesday": 3,
    "Thursday": 4,
    "Friday": 5,
    "Saturday": 6,
}
_MAX_MISSED_SCAN = 10_000


class TimeZone:
    """A few of Azure ML's time zone names, as IANA zones (any IANA name works too)."""

    UTC = "UTC"
    GMTStandardTime = "Europe/London"
    CentralEuropeStandardTime = "Europe/Budapest"
    WEuropeStandardTime = "Europe/Berlin"
    EasternStandardTime = "America/New_York"
    CentralStandardTime = "America/Chicago"
    MountainStandardTime = "America/Denver"
    PacificStandardTime = "America/Los_Angeles"
    IndiaStandardTime = "Asia/Kolkata"
    ChinaStandardTime = "Asia/Shanghai"
    TokyoStandardTime = "Asia/Tokyo"
    AUSEasternStandardTime = "Australia/Sydney"


class ScheduleRecurrence:
    """How often a schedule fires (azureml ScheduleRecurrence)."""

    FREQUENCIES = ("Minute", "Hour", "Day", "Week", "Month")

    def __init__(
        self,
        frequency: str,
        interval: int,
        start_time: datetime | str | None = None,
        time_zone: str | None = None,
        hours: Sequence[int] | None = None,
        minutes: Sequence[int] | None = None,
        week_days: Sequence[str] | None = None,
        time_of_day: str | None = None,
    ) -> None:
        if frequency not in self.FREQUENCIES:
            raise ValidationError(
                f"frequency must be one of {', '.join(self.FREQUENCIES)}, not {frequency!r}."
            )
        if not isinstance(interval, int) or interval < 1:
            raise ValidationError(
                f"interval must be a whole number of at least 1, not {interval!r}."
            )
        for day in week_days or ():
            if day not in _DAYS:
                raise ValidationError(
                    f"{day!r} is not a week day.", hint=f"Use {', '.join(_DAYS)}."
                )
        if time_of_day:
            hh, _, mm = time_of_day.partition(":")
            hours, minutes = [int(hh)], [int(mm or 0)]
        self.frequency = frequency
        self.interval = interval
        self.start_time = start_time
        self.time_zone = time_zone or TimeZone.UTC
        self.hours = list(hours) if hours else None
        self.minutes = list(minutes) if minutes else None
        self.week_days = list(week_days) if week_days else None
        _zone(self.time_zone)

    def to_dict(self) -> dict[str, Any]:
        """The recurrence as the JSON the store keeps (``start_time`` as ISO 8601 text)."""
        start = self.start_time
        if isinstance(start, datetime):
            start = start.isoformat()
        return {
            "frequency": self.frequency,
            "interval": self.interval,
            "start_time": start,
            "time_zone": self.time_zone,
            "hours": self.hours,
            "minutes": self.minutes,
            "week_days": self.week_days,
        }


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            f"{name!r} is not a time zone.",
            hint="Use an IANA name such as 'Europe/Paris' or 'UTC'.",
        ) from exc


def _cron_of(recurrence: Mapping[str, Any]) -> str:
    if "cron" in recurrence:
        return str(recurrence["cron"])
    minutes = ",".join(str(m) for m in recurrence.get("minutes") or [0])
    hours = ",".join(str(h) for h in recurrence.get("hours") or [0])
    frequency, interval = recurrence["frequency"], recurrence["interval"]
    if frequency == "Minute":
        return f"*/{interval} * * * *"
    if frequency == "Hour":
        return f"{minutes} */{interval} * * *"
    if frequency == "Day":
        return f"{minutes} {hours} * * *"
    if frequency == "Week":
        days = ",".join(str(_DAYS[d]) for d in recurrence.get("week_days") or ["Monday"])
        return f"{minutes} {hours} * * {days}"
    return f"{minutes} {hours} 1 * *"


def _start(recurrence: Mapping[str, Any], zone: ZoneInfo) -> datetime | None:
    start = recurrence.get("start_time")
    if not start:
        return None
    moment = datetime.fromisoformat(start)
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def next_firing(recurrence: Mapping[str, Any], after: float) -> float:
    """The first firing strictly after ``after`` (a Unix time)."""
    from croniter import croniter

    zone = _zone(recurrence.get("time_zone") or "UTC")
    start = _start(recurrence, zone)
    moment = datetime.fromtimestamp(after, zone)
    if start is not None and moment < start:
        moment = start - timedelta(seconds=1)  # the start itself may be a firing
    it = croniter(_cron_of(recurrence), moment)
    frequency = recurrence.get("frequency")
    interval = int(recurrence.get("interval") or 1)
    for _ in range(_MAX_MISSED_SCAN):
        candidate: datetime = it.get_next(datetime)
        if frequency in ("Day", "Week", "Month") and interval > 1:
            # Every Nth day/week/month, counted from the start (or the epoch).
            origin = start or datetime(1970, 1, 5, tzinfo=zone)  # a Monday
            if frequency == "Day":
                count = (candidate.date() - origin.date()).days
            elif frequency == "Week":
                count = (candidate.date() - origin.date()).days // 7
            else:
                count = (candidate.year - origin.year) * 12 + candidate.month - origin.month
            if count % interval:
                continue
        return candidate.timestamp()
    raise UserErrorException("The schedule's recurrence never fires.")


class Schedule:
    """A schedule of a published pipeline (azureml.pipeline.core.Schedule).

    In Azure ML SDK v1 the service fires a schedule, on a recurrence or when blobs change
    in a datastore. Here the schedule is a row of the workspace's metadata database and
    any process that calls :func:`run_due_schedules` fires it (the Jupyter server
    extension does so periodically); nothing fires while no such process runs. Datastore
    schedules are refused; a ``cron=`` expression may be given instead of a recurrence.
    Each firing is claimed in the database, so several schedulers never start it twice;
    firings that fell while no scheduler ran are listed in :attr:`missed_firings`, and
    only the latest of them is run.
    """

    def __init__(self, workspace: Workspace, record: ScheduleRecord) -> None:
        self._workspace = workspace
        self._record = record

    id = property(lambda self: self._record.id)
    name = property(lambda self: self._record.name)
    pipeline_id = property(lambda self: self._record.pipeline_id)
    status = property(lambda self: self._record.status)
    recurrence = property(lambda self: self._record.recurrence)

    @property
    def next_run_time(self) -> datetime | None:
        """When the schedule fires next (UTC), as of when this object was loaded; None if unset."""
        fire = self._record.next_fire_at
        return None if fire is None else datetime.fromtimestamp(fire, UTC)

    @property
    def missed_firings(self) -> list[datetime]:
        """Firings that fell while no scheduler was running (reported, not replayed)."""
        return [datetime.fromtimestamp(t, UTC) for t in self._record.missed]

    @staticmethod
    def create(
        workspace: Workspace,
        name: str,
        pipeline_id: str,
        experiment_name: str,
        recurrence: ScheduleRecurrence | None = None,
        description: str | None = None,
        pipeline_parameters: Mapping[str, Any] | None = None,
        wait_for_provisioning: bool = False,
        wait_timeout: int = 3600,
        datastore: Any = None,
        polling_interval: int = 5,
        data_path_parameter_name: str | None = None,
        continue_on_step_failure: bool | None = None,
        path_on_datastore: str | None = None,
        *,
        cron: str | None = None,
        time_zone: str | None = None,
    ) -> Schedule:
        """Fire ``pipeline_id`` in ``experiment_name`` on ``recurrence`` (or ``cron``)."""
        from jupyter_mlstudio.core._names import check_name
        from jupyter_mlstudio.pipeline.core._submission import resolve_parameters

        check_name("schedule", name)
        if datastore is not None:
            raise UserErrorException(
                "Schedules that watch a datastore for changes are not available.",
                hint="Use a recurrence (ScheduleRecurrence) or a cron expression.",
            )
        if (recurrence is None) == (cron is None):
            raise ValidationError("Schedule.create needs exactly one of recurrence= or cron=.")
        published = workspace._store.pipelines.get_published(pipeline_id)
        resolve_parameters(published.graph, pipeline_parameters)  # say now if they are wrong
        if cron is not None:
            from croniter import croniter

            if not croniter.is_valid(cron):
                raise ValidationError(
                    f"{cron!r} is not a cron expression.",
                    hint="For example '0 3 * * *' for 03:00 every day.",
                )
            spec: dict[str, Any] = {"cron": cron, "time_zone": time_zone or "UTC"}
            _zone(spec["time_zone"])
        else:
            assert recurrence is not None
            spec = recurrence.to_dict()
        record = workspace._store.pipelines.create_schedule(
            uuid.uuid4().hex,
            name,
            pipeline_id,
            experiment_name,
            spec,
            dict(pipeline_parameters or {}),
            description,
            next_firing(spec, time.time()),
        )
        return Schedule(workspace, record)

    @staticmethod
    def get(workspace: Workspace, id: str) -> Schedule:
        """The schedule ``id`` (azureml ``Schedule.get``).

        Raises
        ------
        PipelineNotFoundError
            If the workspace has no schedule with that id.
        """
        return Schedule(workspace, workspace._store.pipelines.get_schedule(id))

    @staticmethod
    def list(
        workspace: Workspace, active_only: bool = True, pipeline_id: str | None = None
    ) -> list[Schedule]:
        """The workspace's schedules, oldest first (azureml ``Schedule.list``).

        The parameters come in Azure ML's order, so ``Schedule.list(ws, False)`` lists the
        disabled schedules too, as it does there.

        Parameters
        ----------
        workspace : Workspace
            The workspace whose schedules to list.
        active_only : bool
            Leave out disabled schedules (the default, as in Azure ML). As in Azure ML it
            applies only when no ``pipeline_id`` is given.
        pipeline_id : str, optional
            Only the schedules of this published pipeline, active and disabled.

        Returns
        -------
        list of Schedule
        """
        if pipeline_id is not None:
            return [
                Schedule(workspace, r)
                for r in workspace._store.pipelines.list_schedules(active_only=False)
                if r.pipeline_id == pipeline_id
            ]
        return [
            Schedule(workspace, r)
            for r in workspace._store.pipelines.list_schedules(active_only=active_only)
        ]

    def enable(self, wait_for_provisioning: bool = False, wait_timeout: int = 3600) -> None:
        """Turn the schedule on; the next firing counts from now (none are replayed)."""
        self._workspace._store.pipelines.set_schedule_status(
            self.id, "Active", next_firing(self._record.recurrence, time.time())
        )
        self._refresh()

    def disable(self, wait_for_provisioning: bool = False, wait_timeout: int = 3600) -> None:
        """Stop firing (azureml ``Schedule.disable``); runs already started go on.

        ``wait_for_provisioning`` and ``wait_timeout`` are accepted for compatibility and
        ignored: nothing is provisioned locally.
        """
        self._workspace._store.pipelines.set_schedule_status(self.id, "Disabled")
        self._refresh()

    def get_last_pipeline_run(self) -> PipelineRun | None:
        """The pipeline run the last firing started, or None before any (azureml).

        The schedule is reloaded first, so a firing by another process is seen.
        """
        from jupyter_mlstudio.core.run import Run

        self._refresh()
        run_id = self._record.last_run_id
        return None if run_id is None else Run.get(self._workspace, run_id)  # type: ignore[return-value]

    def _refresh(self) -> None:
        self._record = self._workspace._store.pipelines.get_schedule(self.id)

    def __repr__(self) -> str:
        return f"Schedule(name={self.name!r}, id={self.id!r}, status={self.status!r})"


def run_due_schedules(workspace: Workspace, now: float | None = None) -> list[str]:
    """Fire every schedule that is due; returns the ids of the pipeline runs started.

    Of the firings due since the last check, the latest runs and the earlier ones are
    recorded as missed (with a warning): after a long stop nothing floods the machine and
    nothing is skipped silently.
    """
    from jupyter_mlstudio.pipeline.core.published import PublishedPipeline

    now = time.time() if now is None else now
    store = workspace._store.pipelines
    started = []
    for record in store.list_schedules(active_only=True):
        due = record.next_fire_at
        if due is None or due > now:
            continue
        firings = [due]
        while len(firings) < _MAX_MISSED_SCAN:
            following = next_firing(record.recurrence, firings[-1])
            if following > now:
                break
            firings.append(following)
        missed = firings[:-1]
        if not store.claim_firing(record.id, due, next_firing(record.recurrence, now), missed):
            continue  # another scheduler took this firing
        if missed:
            warnings.warn(
                f"Schedule {record.name!r} missed {len(missed)} firing(s) while no "
                "scheduler ran; the latest is run now.",
                stacklevel=1,
            )
        try:
            run = PublishedPipeline.get(workspace, record.pipeline_id).submit(
                workspace, record.experiment_name, record.parameters
            )
        except Exception as exc:  # one broken schedule must not stop the others
            warnings.warn(
                f"Schedule {record.name!r} could not start its pipeline: {exc}", stacklevel=1
            )
            continue
        store.record_fired_run(record.id, run.id)
        started.append(run.id)
    return started
