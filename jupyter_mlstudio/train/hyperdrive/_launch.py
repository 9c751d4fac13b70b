"""Start a sweep's controller as its own detached process."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from jupyter_mlstudio.train._controller_process import launch

if TYPE_CHECKING:
    from jupyter_mlstudio.core.workspace import Workspace

CONTROLLER_MODULE = "jupyter_mlstudio.train.hyperdrive.controller"
# Property ``<this><generation>`` names the controller that claimed the sweep.
CONTROLLER_PROPERTY = "hyperdrive.controller."


def controller_log_path(run_id: str) -> Path:
    """Where a controller's own stderr goes, should it fail before it can report."""
    return Path(tempfile.gettempdir()) / f"mlstudio-sweep-{run_id}.log"


def launch_controller(workspace: Workspace, run_id: str, generation: int) -> int:
    """Start the controller of sweep ``run_id`` and record it as the run's process.

    It gets its own session, so it outlives the notebook kernel or Jupyter server that
    submitted the sweep. ``generation`` counts controllers of the same sweep: a resumed
    sweep's controller claims the next one, so two resumers cannot both drive it.
    """
    return launch(workspace, run_id, generation, CONTROLLER_MODULE, controller_log_path(run_id))
