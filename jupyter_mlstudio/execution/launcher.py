"""Start a job's supervisor process, and signal it to cancel."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from jupyter_mlstudio.execution.liveness import is_alive, process_start_time
from jupyter_mlstudio.execution.spec import JobSpec
from jupyter_mlstudio.store import RunRecord


def supervisor_log_path(run_id: str) -> Path:
    """Where a supervisor's own stderr goes, should it fail before it can report."""
    return Path(tempfile.gettempdir()) / f"mlstudio-job-{run_id}.log"


def launch_job(spec: JobSpec) -> tuple[int, float | None]:
    """Start the supervisor for ``spec`` in its own session; returns (pid, start time).

    Its own session: closing the notebook or terminal that submitted the job does not end it.
    This machine's warm forker (``local_pool``) starts it when it runs; else a new process.
    """
    from jupyter_mlstudio.execution import local_pool

    if local_pool.enabled():
        forked = local_pool.request_fork(spec.to_json())
        if forked is not None:
            return forked
    log = supervisor_log_path(spec.run_id).open("ab")
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter_mlstudio.execution.job", spec.to_json()],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    finally:
        log.close()
    return proc.pid, process_start_time(proc.pid)


def launch_module(
    module: str, argument: str, log_id: str, warm: bool = False
) -> tuple[int, float | None]:
    """Start ``python -m module argument`` detached, like a job supervisor (controllers of
    pipeline runs use this); returns (pid, start time).

    ``warm``: fork it from this machine's warm forker (``local_pool``), which imported
    ``module`` ahead of need, when it can; else (and the first time) a new process."""
    if warm:
        from jupyter_mlstudio.execution import local_pool

        if local_pool.enabled():
            forked = local_pool.request_module(module, argument, supervisor_log_path(log_id))
            if forked is not None:
                return forked
    log = supervisor_log_path(log_id).open("ab")
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", module, argument],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    finally:
        log.close()
    return proc.pid, process_start_time(proc.pid)


def signal_cancel(record: RunRecord) -> None:
    """Ask the run's supervisor to stop now, when it runs on this machine."""
    import socket

    if record.pid is None or record.host not in (None, socket.gethostname()):
        return  # the supervisor sees the cancel request at its next heartbeat
    if is_alive(record.pid, record.pid_started_at):
        if _is_cluster_process(record.pid):
            return  # a run queued on a Dask cluster: its task sees the request when it starts
        try:
            os.kill(record.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass


def _is_cluster_process(pid: int) -> bool:
    """Whether ``pid`` is a Dask cluster process (it drives queued runs; never signal it)."""
    import psutil

    try:
        return "jupyter_mlstudio.execution.dask_compute" in psutil.Process(pid).cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False
