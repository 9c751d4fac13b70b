"""Start a sweep's controller as its own detached process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from jupyter_mlstudio.execution.liveness import process_start_time

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
    assert workspace._config_path is not None
    spec = json.dumps(
        {
            "run_id": run_id,
            "workspace_config": str(workspace._config_path),
            "generation": generation,
        }
    )
    log = controller_log_path(run_id).open("ab")
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", CONTROLLER_MODULE, spec],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    finally:
        log.close()
    # Recorded at once, so liveness checks see this process (not a dead predecessor).
    workspace._store.tracking.update_run(
        run_id, process=(proc.pid, socket.gethostname(), process_start_time(proc.pid) or 0.0)
    )
    return proc.pid
