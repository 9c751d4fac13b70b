"""The only code that knows SQL and artifact layout.

``open_store(url)`` gives a :class:`Store` whose parts expose typed functions and records,
never sessions or rows::

    store = open_store("sqlite:///ws/.mlstudio/mlstudio.db")
    store.tracking.create_run("wine", "wine_1", "experiment")
"""

from __future__ import annotations

from dataclasses import dataclass

from jupyter_mlstudio.store.artifacts import ArtifactStore
from jupyter_mlstudio.store.assets import AssetStore
from jupyter_mlstudio.store.database import Database
from jupyter_mlstudio.store.datasets import DatasetStore
from jupyter_mlstudio.store.endpoints import EndpointStore
from jupyter_mlstudio.store.entities import (
    ACTIVE_STATUSES,
    TERMINAL_STATUSES,
    ComputeTargetRecord,
    DatastoreRecord,
    EnvironmentRecord,
    ExperimentRecord,
    LatestMetric,
    MetricPoint,
    ModelRecord,
    RunRecord,
    RunsFilter,
    RunStatus,
)
from jupyter_mlstudio.store.migrate import upgrade
from jupyter_mlstudio.store.models import ModelStore
from jupyter_mlstudio.store.pipelines import PipelineStore
from jupyter_mlstudio.store.studio import StudioStore
from jupyter_mlstudio.store.tracking import TrackingStore

__all__ = [
    "ACTIVE_STATUSES",
    "TERMINAL_STATUSES",
    "ArtifactStore",
    "AssetStore",
    "ComputeTargetRecord",
    "Database",
    "DatasetStore",
    "EndpointStore",
    "DatastoreRecord",
    "EnvironmentRecord",
    "ExperimentRecord",
    "LatestMetric",
    "MetricPoint",
    "ModelRecord",
    "ModelStore",
    "PipelineStore",
    "RunRecord",
    "RunStatus",
    "RunsFilter",
    "Store",
    "TrackingStore",
    "open_store",
]


@dataclass(frozen=True)
class Store:
    """The metadata database of one workspace, split by concept."""

    db: Database
    tracking: TrackingStore
    assets: AssetStore
    models: ModelStore
    endpoints: EndpointStore
    datasets: DatasetStore
    pipelines: PipelineStore
    studio: StudioStore

    def close(self) -> None:
        """Release the database's connections (the engine is disposed; files stay as they are)."""
        self.db.dispose()


def open_store(url: str, *, migrate: bool = True) -> Store:
    """Open the metadata database at ``url``, upgrading its schema to this code's."""
    db = Database(url)
    if migrate:
        upgrade(db)
    tracking = TrackingStore(db)
    return Store(
        db=db,
        tracking=tracking,
        assets=AssetStore(db),
        models=ModelStore(db),
        datasets=DatasetStore(db),
        endpoints=EndpointStore(db),
        pipelines=PipelineStore(db),
        studio=StudioStore(db, tracking),
    )
