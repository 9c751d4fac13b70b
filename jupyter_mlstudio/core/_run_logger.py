"""Buffered metric writes: ``run.log`` appends in memory, one background thread writes.

Each ``run.log`` call costs a lock and a list append; a single daemon thread per workspace
object writes every run's pending points in one transaction per run, a few times a second,
and sends the heartbeats of the interactive runs it holds. ``flush`` (and ``complete``,
and interpreter exit) write everything synchronously, so nothing is lost but what a killed
process had not yet flushed: at most ``FLUSH_INTERVAL`` worth of points.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
import warnings
from collections.abc import Callable

from jupyter_mlstudio.errors import MlStudioError
from jupyter_mlstudio.store import MetricPoint, TrackingStore

FLUSH_INTERVAL = 0.25  # seconds between background writes
FLUSH_SIZE = 5_000  # a pending batch this big wakes the writer early


def heartbeat_seconds() -> float:
    return float(os.environ.get("MLSTUDIO_HEARTBEAT_SECONDS", "5"))


class _Pending:
    __slots__ = ("heartbeat", "lock", "on_cancel", "params", "points", "steps", "writing")

    def __init__(self, heartbeat: bool, on_cancel: Callable[[], None] | None) -> None:
        self.lock = threading.Lock()  # guards the lists; held for microseconds
        # Held for a whole flush (take and write), so a flush that finds nothing pending
        # still waits for a write in flight: flush() returning means "all of it is stored".
        self.writing = threading.Lock()
        self.points: list[MetricPoint] = []
        self.params: dict[str, str] = {}
        self.steps: dict[str, int] = {}
        self.heartbeat = heartbeat
        self.on_cancel = on_cancel


class RunLogger:
    """Pending metric points of the runs a process logs to, and the thread that writes them."""

    def __init__(self, tracking: TrackingStore) -> None:
        self._tracking = tracking
        self._runs: dict[str, _Pending] = {}
        self._runs_lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_beat = 0.0
        self._failures = 0
        atexit.register(self._at_exit)

    # ---- registration ----------------------------------------------------------------
    def attach(
        self,
        run_id: str,
        *,
        heartbeat: bool = False,
        steps: dict[str, int] | None = None,
        on_cancel: Callable[[], None] | None = None,
    ) -> None:
        """Start buffering for ``run_id``; ``heartbeat`` when this process owns the run."""
        with self._runs_lock:
            pending = self._runs.get(run_id)
            if pending is None:
                pending = self._runs[run_id] = _Pending(heartbeat, on_cancel)
            else:
                pending.heartbeat = pending.heartbeat or heartbeat
            if steps:
                pending.steps.update(steps)
        if heartbeat:
            self._ensure_thread()

    def detach(self, run_id: str) -> None:
        """Write what is pending for ``run_id`` and stop tracking it."""
        self.flush(run_id)
        with self._runs_lock:
            self._runs.pop(run_id, None)

    # ---- the hot path ------------------------------------------------------------------
    def add(
        self,
        run_id: str,
        key: str,
        kind: str,
        value: float | None,
        payload: str | None,
        step: int | None,
    ) -> None:
        pending = self._runs.get(run_id)
        if pending is None:
            self.attach(run_id)
            pending = self._runs[run_id]
        with pending.lock:
            if step is None:
                step = pending.steps.get(key, -1) + 1
            pending.steps[key] = max(step, pending.steps.get(key, -1))
            pending.points.append(MetricPoint(key, kind, step, value, payload, time.time()))
            size = len(pending.points)
        if self._thread is None:
            self._ensure_thread()
        if size >= FLUSH_SIZE:
            self._wake.set()

    def add_params(self, run_id: str, params: dict[str, str]) -> None:
        pending = self._runs.get(run_id)
        if pending is None:
            self.attach(run_id)
            pending = self._runs[run_id]
        with pending.lock:
            pending.params.update(params)
        if self._thread is None:
            self._ensure_thread()

    def next_step(self, run_id: str, key: str) -> int | None:
        pending = self._runs.get(run_id)
        return None if pending is None else pending.steps.get(key)

    # ---- writing -----------------------------------------------------------------------
    def flush(self, run_id: str) -> None:
        """Write the run's pending points now; raises if the database refuses them."""
        pending = self._runs.get(run_id)
        if pending is None:
            return
        with pending.writing:
            with pending.lock:
                batch, pending.points = pending.points, []
                params, pending.params = pending.params, {}
            if not batch and not params:
                return
            try:
                self._tracking.log_batch(run_id, batch, params)
            except Exception:
                with pending.lock:  # keep them for the next try, in their order
                    pending.points[:0] = batch
                    pending.params = {**params, **pending.params}
                raise

    def flush_all(self) -> None:
        for run_id in list(self._runs):
            try:
                self.flush(run_id)
            except Exception as exc:  # at exit there is no caller to raise to
                warnings.warn(f"Metrics of run {run_id} could not be written: {exc}", stacklevel=1)

    def _at_exit(self) -> None:
        """Interpreter exit: write everything, and end the interactive runs this process
        still holds as Completed (as MLflow does), rather than leave them Running."""
        self.flush_all()
        from jupyter_mlstudio.store import RunStatus

        for run_id, pending in list(self._runs.items()):
            if pending.heartbeat:
                try:
                    self._tracking.update_run(
                        run_id,
                        status=RunStatus.COMPLETED,
                        ended=True,
                        only_from=[RunStatus.RUNNING],
                    )
                except MlStudioError:
                    pass  # the liveness check fails it later instead

    def _ensure_thread(self) -> None:
        with self._runs_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="mlstudio-run-logger", daemon=True
                )
                self._thread.start()

    def _loop(self) -> None:
        while True:
            self._wake.wait(FLUSH_INTERVAL)
            self._wake.clear()
            for run_id in list(self._runs):
                try:
                    self.flush(run_id)
                    self._failures = 0
                except MlStudioError as exc:
                    self._failures += 1
                    if self._failures in (1, 10, 100):
                        warnings.warn(
                            f"Metrics of run {run_id} are kept in memory and will be written "
                            f"when the database answers again: {exc}",
                            stacklevel=1,
                        )
            now = time.monotonic()
            if now - self._last_beat >= heartbeat_seconds():
                self._last_beat = now
                self._beat()

    def _beat(self) -> None:
        for run_id, pending in list(self._runs.items()):
            if not pending.heartbeat:
                continue
            try:
                if self._tracking.heartbeat(run_id) and pending.on_cancel is not None:
                    pending.on_cancel()
            except MlStudioError:
                pass  # the next beat tries again; a lost beat only delays failure detection
