"""Start an AutoML run's driver as its own detached process."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from jupyter_mlstudio.train._controller_process import launch

if TYPE_CHECKING:
    from jupyter_mlstudio.core.workspace import Workspace

DRIVER_MODULE = "jupyter_mlstudio.train.automl.driver"
# Property ``<this><generation>`` names the driver that claimed the run.
DRIVER_PROPERTY = "automl.driver."
# One math thread per process: trials run side by side in worker processes, and OpenMP
# threads spinning against each other on a busy machine are many times slower.
_ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


def driver_log_path(run_id: str) -> Path:
    """Where a driver's own stderr goes, should it fail before it can report."""
    return Path(tempfile.gettempdir()) / f"mlstudio-automl-{run_id}.log"


def launch_driver(workspace: Workspace, run_id: str, generation: int) -> int:
    """Start the driver of AutoML run ``run_id`` in its own session; record it as the run's
    process. ``generation`` counts drivers of the same run (a resumed run's is the next)."""
    return launch(
        workspace, run_id, generation, DRIVER_MODULE, driver_log_path(run_id), env=_ONE_THREAD
    )
