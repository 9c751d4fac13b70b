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
    key: str
    kind: str
    step: int
    value: float | None
    payload: str | None
    timestamp: float
    count: int


@dataclass(frozen=True)
class RunRecord:
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
    name: str
    version: int
    definition: dict[str, Any]
    fingerprint: str
    created_at: float


@dataclass(frozen=True)
class ComputeTargetRecord:
    name: str
    type: str
    config: dict[str, Any]
    max_concurrency: int
    provisioning_state: str
    created_at: float


@dataclass(frozen=True)
class DatastoreRecord:
    name: str
    type: str
    root: str
    options: dict[str, Any]
    is_default: bool
    created_at: float


@dataclass(frozen=True)
class ModelRecord:
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
