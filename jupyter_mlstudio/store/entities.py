"""Records the store hands out. Table rows never leave the store; these do."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

__all__ = [
    "ACTIVE_STATUSES",
    "SLOT_RUN_TYPES",
    "TERMINAL_STATUSES",
    "ComputeTargetRecord",
    "DatastoreRecord",
    "EnvironmentRecord",
    "ExperimentRecord",
    "LatestMetric",
    "MetricPoint",
    "ModelRecord",
    "RunRecord",
    "RunStatus",
    "RunsFilter",
]


class RunStatus(StrEnum):
    """Run statuses, named as Azure ML names them."""

    NOT_STARTED = "NotStarted"
    QUEUED = "Queued"
    PREPARING = "Preparing"
    STARTING = "Starting"
    RUNNING = "Running"
    CANCEL_REQUESTED = "CancelRequested"
    FINALIZING = "Finalizing"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELED = "Canceled"


TERMINAL_STATUSES = frozenset({RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELED})
# Statuses that hold a slot on a compute target.
ACTIVE_STATUSES = frozenset(
    {RunStatus.STARTING, RunStatus.RUNNING, RunStatus.FINALIZING, RunStatus.CANCEL_REQUESTED}
)

# Run types whose run is one process on a compute target (and so takes one of its slots).
SLOT_RUN_TYPES = frozenset({"azureml.scriptrun", "azureml.StepRun"})


@dataclass(frozen=True)
class ExperimentRecord:
    """One experiment, as stored in the ``experiments`` table.

    Attributes
    ----------
    id : int
    name : str
        Unique in the workspace.
    created_at : float
        Epoch seconds.
    archived : bool
    tags : dict of str to str
    """

    id: int
    name: str
    created_at: float
    archived: bool
    tags: dict[str, str]


class MetricPoint(NamedTuple):
    """One logged value. ``kind`` tells how ``get_metrics`` presents it."""

    key: str
    kind: str  # scalar | list | row | table | image | confusion_matrix | ... (azureml names)
    step: int
    value: float | None
    payload: str | None  # JSON for non-numeric values, rows, tables and artifact pointers
    timestamp: float


class LatestMetric(NamedTuple):
    """A run's latest value of one metric key, with how many values were logged under it.

    "Latest" is the point with the highest step (the later-logged one on a tie), as kept in
    the ``latest_metrics`` table. The fields are those of :class:`MetricPoint` plus ``count``.
    """

    key: str
    kind: str
    step: int
    value: float | None
    payload: str | None
    timestamp: float
    count: int


@dataclass(frozen=True)
class RunRecord:
    """One run, as stored in the ``runs`` table with its tags, properties and params.

    Attributes
    ----------
    run_id : str
        Unique in the workspace.
    experiment_id : int
    experiment_name : str
    parent_run_id : str or None
        The parent (a pipeline, sweep or AutoML run), if any.
    number : int
        The run's number, counted up per experiment.
    name, display_name : str or None
    run_type : str
        Azure ML's run type, such as ``"azureml.scriptrun"`` or ``"azureml.StepRun"``.
    status : str
        A :class:`RunStatus` value.
    target : str or None
        The compute target's name.
    created_at : float
        Epoch seconds, like the other ``*_at`` fields.
    started_at, ended_at, heartbeat_at : float or None
    pid, host, pid_started_at : int or None, str or None, float or None
        The process that drives the run, where it runs and when it started.
    cancel_requested : bool
    error : dict or None
        The failure recorded for a failed run.
    definition : dict
        What was submitted (script, arguments, environment...), as the submitter wrote it.
    tags, properties, params : dict of str to str
    """

    run_id: str
    experiment_id: int
    experiment_name: str
    parent_run_id: str | None
    number: int
    name: str | None
    display_name: str | None
    run_type: str
    status: str
    target: str | None
    created_at: float
    started_at: float | None
    ended_at: float | None
    heartbeat_at: float | None
    pid: int | None
    host: str | None
    pid_started_at: float | None
    cancel_requested: bool
    error: dict[str, Any] | None
    definition: dict[str, Any]
    tags: dict[str, str] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)

    @property
    def is_terminal(self) -> bool:
        """Whether the run has finished (Completed, Failed or Canceled)."""
        return self.status in TERMINAL_STATUSES


@dataclass(frozen=True)
class RunsFilter:
    """Which runs ``search_runs`` returns. ``None`` means "any"."""

    experiment_names: tuple[str, ...] | None = None
    statuses: tuple[str, ...] | None = None
    run_types: tuple[str, ...] | None = None
    tags: dict[str, str | None] | None = None  # value None: the tag is present
    properties: dict[str, str | None] | None = None
    parent_run_id: str | None = None
    top_level_only: bool = False
    include_archived: bool = True


@dataclass(frozen=True)
class EnvironmentRecord:
    """One registered environment version, as stored in the ``environments`` table.

    Attributes
    ----------
    name : str
    version : int
        1 for the first registration, one more for each changed definition.
    definition : dict
        The environment as the SDK serialised it.
    fingerprint : str
        A digest of the definition; registering the same one again adds no version.
    created_at : float
        Epoch seconds.
    """

    name: str
    version: int
    definition: dict[str, Any]
    fingerprint: str
    created_at: float


@dataclass(frozen=True)
class ComputeTargetRecord:
    """One compute target, as stored in the ``compute_targets`` table.

    Attributes
    ----------
    name : str
    type : str
    config : dict
        The target's settings.
    max_concurrency : int
        How many runs it may run at once.
    provisioning_state : str
    created_at : float
        Epoch seconds.
    """

    name: str
    type: str
    config: dict[str, Any]
    max_concurrency: int
    provisioning_state: str
    created_at: float


@dataclass(frozen=True)
class DatastoreRecord:
    """One registered datastore, as stored in the ``datastores`` table.

    Attributes
    ----------
    name : str
    type : str
        Azure ML's datastore type name, such as ``"AzureBlob"``.
    root : str
        The folder or URL the datastore points at.
    options : dict
        ``storage_options`` for the backend and ``credentials``: where the secrets are
        kept (a secrets file, environment variable names).
    is_default : bool
    created_at : float
        Epoch seconds.
    """

    name: str
    type: str
    root: str
    options: dict[str, Any]
    is_default: bool
    created_at: float


@dataclass(frozen=True)
class ModelRecord:
    """One registered model version, as stored in the ``models`` table.

    Attributes
    ----------
    name : str
    version : int
    run_id : str or None
        The run the model came from, if registered from one.
    artifact_path : str
        Where the model's files are in the artifact store.
    description : str or None
    framework, framework_version : str or None
    tags, properties : dict of str to str
    datasets : list of dict
        The datasets recorded with the model.
    created_at : float
        Epoch seconds.
    """

    name: str
    version: int
    run_id: str | None
    artifact_path: str
    description: str | None
    framework: str | None
    framework_version: str | None
    tags: dict[str, str]
    properties: dict[str, str]
    datasets: list[dict[str, Any]]
    created_at: float
