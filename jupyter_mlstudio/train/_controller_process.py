"""A detached controller process: what a HyperDrive sweep and an AutoML run share.

Both are driven by a process of their own (never the notebook's or the Jupyter server's):
:func:`launch` starts it in a new session and records it as the run's process;
:class:`ControllerProcess` lets exactly one controller per *generation* claim the run and
reads the cancel flag with the heartbeat; :func:`serve` is the process's entry point;
:func:`resume_dead` starts the next generation for runs whose controller is gone.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from jupyter_mlstudio.core._run_logger import heartbeat_seconds
from jupyter_mlstudio.errors import ConflictError
from jupyter_mlstudio.execution.liveness import process_start_time, this_process, why_dead
from jupyter_mlstudio.store import RunsFilter, RunStatus

if TYPE_CHECKING:
    from jupyter_mlstudio.core.workspace import Workspace

__all__ = ["ControllerProcess", "launch", "resume_dead", "serve"]

_UNFINISHED = tuple(
    str(s)
    for s in RunStatus
    if s not in (RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELED)
)


def launch(
    workspace: Workspace,
    run_id: str,
    generation: int,
    module: str,
    log_path: Path,
    env: Mapping[str, str] | None = None,
) -> int:
    """Start ``python -m module`` as run ``run_id``'s controller; record it as the run's process.

    Parameters
    ----------
    workspace : Workspace
        The run's workspace (its config file tells the controller where the store is).
    run_id : str
        The run to drive.
    generation : int
        Which controller of this run it is (0 first; a resumed run's is the next).
    module : str
        The controller's module (its ``main`` reads the JSON spec given as argument).
    log_path : Path
        Where the process's own output goes, should it fail before it can report.
    env : mapping, optional
        Extra environment variables.

    Returns
    -------
    int
        The process id.
    """
    assert workspace._config_path is not None
    spec = json.dumps(
        {
            "run_id": run_id,
            "workspace_config": str(workspace._config_path),
            "generation": generation,
        }
    )
    log = log_path.open("ab")
    try:
        # Its own session: it outlives the kernel or server that submitted the run.
        proc = subprocess.Popen(
            [sys.executable, "-m", module, spec],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )
    finally:
        log.close()
    # Recorded at once, so liveness checks see this process (not a dead predecessor).
    workspace._store.tracking.update_run(
        run_id, process=(proc.pid, socket.gethostname(), process_start_time(proc.pid) or 0.0)
    )
    return proc.pid


def resume_dead(
    workspace: Workspace,
    run_type: str,
    property_prefix: str,
    start: Callable[[Workspace, str, int], int],
) -> list[str]:
    """Start the next controller of every unfinished run of ``run_type`` whose one is gone.

    Parameters
    ----------
    workspace : Workspace
        Where to look.
    run_type : str
        The runs' type (``hyperdrive``, ``automl``).
    property_prefix : str
        The prefix of the properties that name each generation's controller.
    start : callable
        ``start(workspace, run_id, generation)`` launches a controller.

    Returns
    -------
    list of str
        The ids of the runs resumed. Two callers at once cannot both drive a run: only
        one controller claims each generation.
    """
    tracking = workspace._store.tracking
    resumed = []
    for record in tracking.search_runs(RunsFilter(run_types=(run_type,), statuses=_UNFINISHED)):
        if why_dead(record, heartbeat_seconds()) is None:
            continue
        generations = [
            int(key.removeprefix(property_prefix))
            for key in record.properties
            if key.startswith(property_prefix)
        ]
        start(workspace, record.run_id, max(generations, default=-1) + 1)
        resumed.append(record.run_id)
    return resumed


class ControllerProcess:
    """Claiming a run and reading its cancel flag, for a controller class to inherit.

    The subclass sets ``tracking``, ``run_id`` and ``generation`` and names its claim
    property's prefix in ``CLAIM_PROPERTY``.
    """

    CLAIM_PROPERTY = ""
    tracking: Any
    run_id: str
    generation: int

    def __init__(self) -> None:
        """Make the wake-up event (SIGTERM sets it) and the heartbeat clock."""
        self.wake = threading.Event()  # set by SIGTERM: look at the cancel flag now
        self.last_beat = 0.0

    def _claim(self) -> bool:
        """Only one controller per generation: a property, once set, cannot change."""
        pid, host, started = this_process()
        try:
            self.tracking.add_properties(
                self.run_id,
                {f"{self.CLAIM_PROPERTY}{self.generation}": f"{pid}@{host}:{started}"},
            )
        except ConflictError:
            return False
        return True

    def _cancel_requested(self) -> bool:
        """Beat the heartbeat (at most about once a second) and say if a cancel is asked."""
        now = time.monotonic()
        if not self.wake.is_set() and now - self.last_beat < min(heartbeat_seconds(), 1.0):
            return False
        self.last_beat = now
        self.wake.clear()
        return bool(self.tracking.heartbeat(self.run_id))


class _Controller(Protocol):
    wake: threading.Event

    def run(self) -> None: ...

    def abort(self, exc: BaseException) -> None: ...


def serve(argv: list[str] | None, make: Callable[[Workspace, str, int], _Controller]) -> int:
    """Run a controller process: open the workspace, build the controller and run it.

    Parameters
    ----------
    argv : list of str, optional
        ``[spec]``, the JSON :func:`launch` passes (default ``sys.argv[1:]``).
    make : callable
        ``make(workspace, run_id, generation)`` builds the controller.

    Returns
    -------
    int
        0 when the controller's loop ended; 1 when it crashed (it is then asked to
        ``abort``, which ends the run as failed: a run never stays Running because its
        controller died of an error).
    """
    from jupyter_mlstudio.core.workspace import Workspace

    argv = sys.argv[1:] if argv is None else argv
    spec = json.loads(argv[0])
    workspace = Workspace._open(Path(spec["workspace_config"]))
    controller = make(workspace, spec["run_id"], int(spec.get("generation", 0)))
    # SIGTERM (run.cancel() sends it) wakes the loop, which reads the cancel flag. Without
    # a cancel request (the machine shutting down) the loop keeps going until it is
    # killed, and the run can be resumed.
    signal.signal(signal.SIGTERM, lambda *_: controller.wake.set())
    signal.signal(signal.SIGINT, lambda *_: controller.wake.set())
    try:
        controller.run()
    except BaseException as exc:
        traceback.print_exc()
        controller.abort(exc)
        return 1
    return 0
