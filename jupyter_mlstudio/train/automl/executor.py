"""Where trials run: the seam between the search driver and a compute target.

The driver hands a trial to a :class:`TrialExecutor` as a function and its arguments,
then polls for outcomes; it never blocks on one trial. :class:`ForkExecutor`, the local
one, forks a worker process per trial from the driver (which holds the featurized folds
in memory, so a worker copies nothing), caps each worker to one math thread (OpenMP
threads spinning against each other on a busy machine cost more than they gain), and
kills a worker that runs past its time limit. A compute target that runs trials
elsewhere implements the same methods: :class:`DaskExecutor` sends trials to a Dask
target's workers; :func:`executor_for` picks one for a target.
"""

from __future__ import annotations

import os
import pickle
import signal
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Protocol

__all__ = ["DaskExecutor", "Finished", "ForkExecutor", "TrialExecutor", "executor_for"]


@dataclass
class Finished:
    """A trial that ended: its result, or why it has none."""

    key: int
    result: Any = None
    error: str | None = None  # the worker's traceback, or "timeout" / "canceled"
    seconds: float = 0.0


class TrialExecutor(Protocol):
    """Runs trials somewhere and reports them when they end."""

    def submit(
        self, key: int, fn: Callable[..., Any], args: tuple[Any, ...], timeout: float | None
    ) -> None:
        """Start ``fn(*args)`` as trial ``key``.

        Parameters
        ----------
        key : int
            The trial's iteration number (what :meth:`poll` reports it by).
        fn : callable
            What the trial runs (picklable, as it may run in another process).
        args : tuple
            Its arguments.
        timeout : float, optional
            Seconds after which the trial is stopped and reported as ``"timeout"``.
        """
        ...

    def poll(self) -> list[Finished]:
        """The trials that ended since the last call (without waiting)."""
        ...

    def cancel(self, key: int) -> None:
        """Stop trial ``key``; the next :meth:`poll` reports it as ``"canceled"``."""
        ...

    def running(self) -> int:
        """How many trials are running."""
        ...

    def shutdown(self) -> None:
        """Stop every running trial and release the workers."""
        ...


@dataclass
class _Worker:
    pid: int
    conn: Connection
    started: float
    timeout: float | None
    canceled: bool = False


def _work(conn: Connection, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    from threadpoolctl import threadpool_limits

    try:
        with threadpool_limits(1):
            result = fn(*args)
        payload = pickle.dumps(("ok", result), protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException:
        payload = pickle.dumps(("error", traceback.format_exc()))
    conn.send_bytes(payload)
    conn.close()


class ForkExecutor:
    """Up to ``max_workers`` forked worker processes on this machine, one per trial."""

    def __init__(self, max_workers: int) -> None:
        """Make an executor of up to ``max_workers`` trials at once (at least one)."""
        self.max_workers = max(1, int(max_workers))
        self._workers: dict[int, _Worker] = {}
        self._procs: dict[int, Any] = {}
        self._exit_codes: dict[int, int | None] = {}

    def submit(
        self, key: int, fn: Callable[..., Any], args: tuple[Any, ...], timeout: float | None
    ) -> None:
        """Fork a worker process that runs ``fn(*args)`` as trial ``key``.

        Parameters
        ----------
        key : int
            The trial's iteration number.
        fn : callable
            What the trial runs; it and its result travel by pickle.
        args : tuple
            Its arguments (the fork shares them without copying).
        timeout : float, optional
            Seconds after which the worker is killed.
        """
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_work, args=(child, fn, args), daemon=True)
        proc.start()
        child.close()
        assert proc.pid is not None
        self._workers[key] = _Worker(proc.pid, parent, time.monotonic(), timeout)
        self._procs[key] = proc

    def running(self) -> int:
        """How many worker processes are running."""
        return len(self._workers)

    def poll(self) -> list[Finished]:
        """Trials whose worker sent a result, died, or ran past its time (now killed)."""
        done: list[Finished] = []
        now = time.monotonic()
        for key, w in list(self._workers.items()):
            seconds = now - w.started
            if w.conn.poll():
                try:
                    status, value = pickle.loads(w.conn.recv_bytes())
                except (EOFError, OSError):
                    status, value = "error", "The worker process ended without a result."
                self._reap(key)
                done.append(
                    Finished(key, value, None, seconds)
                    if status == "ok"
                    else Finished(key, None, str(value), seconds)
                )
            elif w.canceled or (w.timeout is not None and seconds > w.timeout):
                self._kill(key)
                done.append(Finished(key, None, "canceled" if w.canceled else "timeout", seconds))
            elif not self._procs[key].is_alive():
                self._reap(key)
                code = self._exit_codes.pop(key, None)
                done.append(
                    Finished(key, None, f"The worker process died (exit code {code}).", seconds)
                )
        return done

    def cancel(self, key: int) -> None:
        """Mark trial ``key`` to be killed at the next :meth:`poll`."""
        if key in self._workers:
            self._workers[key].canceled = True

    def _kill(self, key: int) -> None:
        w = self._workers.get(key)
        if w is None:
            return
        try:
            os.kill(w.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._reap(key)

    def _reap(self, key: int) -> None:
        w = self._workers.pop(key, None)
        proc = self._procs.pop(key, None)
        if w is not None:
            w.conn.close()
        if proc is not None:
            proc.join(timeout=5)
            self._exit_codes[key] = proc.exitcode

    def shutdown(self) -> None:
        """Kill every running worker process."""
        for key in list(self._workers):
            self._kill(key)


def _identity(obj: Any) -> Any:
    return obj


def _call(obj: Any, method: str, args: tuple[Any, ...]) -> Any:
    """Runs on a Dask worker: ``obj.method(*args)`` under one math thread."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return getattr(obj, method)(*args)


def _apply(fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return fn(*args)


class DaskExecutor:
    """Trials as tasks on a Dask cluster (an ``AmlCompute`` or attached ``Dask`` target).

    The problem (data and featurized folds) is sent to the cluster once and shared by every
    trial. A task over its time limit is let go (Dask cannot stop a running task; its
    result is ignored).
    """

    def __init__(self, workspace: Any, target: str) -> None:
        """Connect to compute target ``target``'s Dask cluster (starting it if needed)."""
        from jupyter_mlstudio.execution.dask_compute import connect, ensure_cluster

        address, _ = ensure_cluster(workspace._store, target, workspace.metadata_url)
        assert address is not None
        self.client = connect(address)
        self._futures: dict[int, tuple[Any, float, float | None]] = {}
        self._shared: dict[int, Any] = {}  # id(object) -> its future on the cluster

    def _share(self, obj: Any) -> Any:
        if id(obj) not in self._shared:
            # A task that holds the object (scatter would need a worker already; an
            # adaptive cluster may have none until the first task asks for one).
            self._shared[id(obj)] = self.client.submit(_identity, obj, pure=False)
        return self._shared[id(obj)]

    def submit(
        self, key: int, fn: Callable[..., Any], args: tuple[Any, ...], timeout: float | None
    ) -> None:
        """Submit ``fn(*args)`` to the cluster as trial ``key``.

        Parameters
        ----------
        key : int
            The trial's iteration number.
        fn : callable
            What the trial runs; a bound method's object, or a problem given as the
            first argument, is sent to the cluster once and shared by later trials.
        args : tuple
            Its arguments.
        timeout : float, optional
            Seconds after which the trial is let go and reported as ``"timeout"``.
        """
        owner = getattr(fn, "__self__", None)
        if owner is not None:  # a bound method: send its object once
            future = self.client.submit(_call, self._share(owner), fn.__name__, args, pure=False)
        else:
            problem = args[0] if args else None
            if problem is not None and hasattr(problem, "evaluate"):
                args = (self._share(problem), *args[1:])
            future = self.client.submit(_apply, fn, args, pure=False)
        self._futures[key] = (future, time.monotonic(), timeout)

    def running(self) -> int:
        """How many submitted trials have not been reported yet."""
        return len(self._futures)

    def poll(self) -> list[Finished]:
        """Tasks that finished or failed, and those past their time (let go)."""
        done = []
        now = time.monotonic()
        for key, (future, started, timeout) in list(self._futures.items()):
            seconds = now - started
            if future.done():
                del self._futures[key]
                if future.status == "finished":
                    done.append(Finished(key, future.result(), None, seconds))
                else:
                    exc = future.exception()
                    text = "".join(traceback.format_exception(exc)) if exc else "cancelled"
                    done.append(Finished(key, None, text, seconds))
            elif timeout is not None and seconds > timeout:
                del self._futures[key]
                future.cancel()
                done.append(Finished(key, None, "timeout", seconds))
        return done

    def cancel(self, key: int) -> None:
        """Let trial ``key`` go at the next :meth:`poll` (reported as ``"timeout"``)."""
        entry = self._futures.get(key)
        if entry is not None:
            self._futures[key] = (entry[0], entry[1], 0.0)  # the next poll lets it go

    def shutdown(self) -> None:
        """Cancel every pending task and close the connection to the cluster."""
        for future, _, _ in self._futures.values():
            future.cancel()
        self._futures.clear()
        self.client.close()


def executor_for(workspace: Any, target: str, target_type: str, max_workers: int) -> TrialExecutor:
    """The executor for compute target ``target``: a Dask cluster's workers for Dask
    targets, else forked worker processes on this machine."""
    from jupyter_mlstudio.execution.dask_compute import ATTACHED_TYPE, CLUSTER_TYPE

    if target_type in (CLUSTER_TYPE, ATTACHED_TYPE):
        return DaskExecutor(workspace, target)
    return ForkExecutor(max_workers)
