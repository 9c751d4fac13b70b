"""Resume AutoML runs whose driver is gone (the machine restarted, the process was killed).

The driver is its own process, independent of the notebook kernel and the Jupyter server;
only when it is gone does a run need this. The new driver adopts the completed iterations
(their models and out-of-fold predictions are stored with them) and goes on searching.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jupyter_mlstudio.core._run_logger import heartbeat_seconds
from jupyter_mlstudio.execution.liveness import why_dead
from jupyter_mlstudio.store import RunsFilter, RunStatus
from jupyter_mlstudio.train.automl._launch import DRIVER_PROPERTY, launch_driver
from jupyter_mlstudio.train.automl.config import RUN_TYPE

if TYPE_CHECKING:
    from jupyter_mlstudio.core.workspace import Workspace

__all__ = ["resume_automl"]

_UNFINISHED = tuple(
    str(s)
    for s in RunStatus
    if s not in (RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELED)
)


def resume_automl(workspace: Workspace) -> list[str]:
    """Start a new driver for every unfinished AutoML run whose driver is gone; returns
    their ids. Two callers at once cannot both resume the same run."""
    tracking = workspace._store.tracking
    resumed = []
    for record in tracking.search_runs(RunsFilter(run_types=(RUN_TYPE,), statuses=_UNFINISHED)):
        if why_dead(record, heartbeat_seconds()) is None:
            continue
        generations = [
            int(key.removeprefix(DRIVER_PROPERTY))
            for key in record.properties
            if key.startswith(DRIVER_PROPERTY)
        ]
        launch_driver(workspace, record.run_id, generation=max(generations, default=-1) + 1)
        resumed.append(record.run_id)
    return resumed
