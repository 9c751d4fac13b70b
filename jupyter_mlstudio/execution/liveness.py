"""Is the process behind an unfinished run still there? If not, the run ends Failed.

A run records the process id, host and process start time of whoever drives it (a job's
supervisor, or the process that called ``start_logging``). On the same host a dead process is
seen at once; elsewhere, a heartbeat older than ``STALE_BEATS`` intervals means it is gone.
"""

from __future__ import annotations

import functools
import os
import socket
import time

import psutil

from jupyter_mlstudio.store import RunRecord, RunStatus, TrackingStore

STALE_BEATS = 6


def process_start_time(pid: int) -> float | None:
    """Return when process ``pid`` started (seconds since the epoch), or ``None`` if it is gone."""
    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


def this_process() -> tuple[int, str, float]:
    """(pid, host, start time) of the calling process."""
    return _identity(os.getpid())


@functools.lru_cache(maxsize=4)
def _identity(pid: int) -> tuple[int, str, float]:
    # Keyed by pid, so a forked child computes its own.
    return pid, socket.gethostname(), psutil.Process(pid).create_time()


def is_alive(pid: int, started_at: float | None) -> bool:
    """Tell whether process ``pid`` runs and is the same process that started at ``started_at``.

    A zombie, a process not visible to us, or a reused id (start times more than 0.5 s
    apart) counts as dead.
    """
    try:
        proc = psutil.Process(pid)
        if started_at is not None and abs(proc.create_time() - started_at) > 0.5:
            return False  # the id was reused by another process
        return proc.status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def why_dead(record: RunRecord, heartbeat_seconds: float, now: float | None = None) -> str | None:
    """Why the run's process is gone, or None while it looks alive (or has no process yet)."""
    if record.is_terminal:
        return None
    if record.pid is not None and record.host == socket.gethostname():
        if not is_alive(record.pid, record.pid_started_at):
            return (
                f"The process driving this run (pid {record.pid}) ended without reporting a "
                "final status; it was killed or crashed."
            )
        return None
    now = time.time() if now is None else now
    if record.heartbeat_at is not None and now - record.heartbeat_at > STALE_BEATS * max(
        heartbeat_seconds, 0.1
    ):
        return (
            f"No heartbeat from this run's process on {record.host or 'its host'} for "
            f"{now - record.heartbeat_at:.0f} s; it is presumed dead."
        )
    return None


def reap(tracking: TrackingStore, record: RunRecord, heartbeat_seconds: float) -> RunRecord:
    """Mark the run Failed if its process is gone; returns the (possibly updated) record."""
    reason = why_dead(record, heartbeat_seconds)
    if reason is None:
        return record
    tracking.update_run(
        record.run_id,
        status=RunStatus.FAILED,
        ended=True,
        error={"code": "ProcessLost", "message": reason},
    )
    return tracking.get_run(record.run_id)
