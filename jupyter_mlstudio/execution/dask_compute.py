"""Dask clusters as compute targets: where their scheduler is, and running jobs on them.

An ``AmlCompute`` target is a ``distributed.LocalCluster`` of worker processes (one task
each) scaling adaptively between ``min_nodes`` and ``max_nodes``. It lives in its own
process, ``python -m jupyter_mlstudio.execution.dask_compute '<json>'``, started on demand
(by ``ComputeTarget.create`` or the first job) and recorded in the target's config
(``cluster``: pid, host, start time, scheduler address); it stops on ``delete()``, when the
target is deleted or replaced, or when it has run no task for ``idle_seconds_before_scaledown``
with ``min_nodes=0`` (``MLSTUDIO_CLUSTER_IDLE_EXIT_SECONDS`` overrides, for any min_nodes);
a dead or stopped one is started again by the next job. A ``Dask``
target is a scheduler someone else runs (``DaskCompute.attach_configuration(address)``).

A job on a Dask target is one task, :func:`run_job_task`, that runs the job supervisor
(``python -m jupyter_mlstudio.execution.job``) as a subprocess on a worker: the run keeps its
own process, logs, heartbeat and cancel handling. The task is ``fire_and_forget``, so the
submitting notebook may go away. Supervisors are forked by a warm process per worker
(``job_forker``), which tells them (SIGUSR1) when their worker dies: they stop the script and
record the run Failed with the reason; a task the scheduler retries on another worker after
that only confirms the failure.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.errors import ComputeTargetException, ValidationError
from jupyter_mlstudio.execution.launcher import launch_module, supervisor_log_path
from jupyter_mlstudio.execution.liveness import is_alive, this_process
from jupyter_mlstudio.execution.spec import JobSpec
from jupyter_mlstudio.store import ComputeTargetRecord, RunStatus, open_store

if TYPE_CHECKING:
    from distributed import Client

__all__ = [
    "ATTACHED_TYPE",
    "CLUSTER_TYPE",
    "DaskLauncher",
    "cluster_status",
    "connect",
    "ensure_cluster",
    "is_dask_target",
    "run_job_task",
    "stop_cluster",
]

CLUSTER_TYPE = "AmlCompute"  # a LocalCluster this package runs
ATTACHED_TYPE = "Dask"  # a scheduler run by someone else
CLUSTER_KEY = "cluster"
CONNECT_TIMEOUT_SECONDS = 5.0
START_TIMEOUT_SECONDS = 90.0
_MODULE = "jupyter_mlstudio.execution.dask_compute"


def is_dask_target(record: ComputeTargetRecord) -> bool:
    """Tell whether a target runs its jobs on Dask (an ``AmlCompute`` cluster or ``Dask``)."""
    return record.type in (CLUSTER_TYPE, ATTACHED_TYPE)


def connect(address: str, timeout: float = CONNECT_TIMEOUT_SECONDS) -> Client:
    """A client of the scheduler at ``address``; a clear error when it does not answer."""
    from distributed import Client

    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ComputeTargetException(
            f"The Dask scheduler at {address} does not answer ({type(exc).__name__}: {exc}).",
            hint="Check that the scheduler is running and reachable from here (address "
            "tcp://host:8786), then try again.",
            address=address,
        ) from exc


# ---- the cluster's lifetime --------------------------------------------------------------
def _cluster_alive(info: dict[str, Any] | None) -> bool:
    if not info or not info.get("pid"):
        return False
    if info.get("host") == socket.gethostname():
        return is_alive(int(info["pid"]), info.get("started"))
    return bool(info.get("address"))  # another machine's: its scheduler will tell


def ensure_cluster(
    store: Any, name: str, metadata_url: str, wait: bool = True
) -> tuple[str | None, tuple[int, str, float] | None]:
    """The scheduler address of target ``name`` (starting its cluster if none runs), and the
    cluster process's (pid, host, start time); (None, ...) when ``wait`` is False and it is
    still starting."""
    record = store.assets.get_compute_target(name)
    if record.type == ATTACHED_TYPE:
        return str(record.config["address"]), None
    info = record.config.get(CLUSTER_KEY)
    if not _cluster_alive(info):
        import hashlib

        from jupyter_mlstudio.execution.environments import environment_cache, file_lock

        place = hashlib.sha256(metadata_url.encode()).hexdigest()[:12]
        with file_lock(environment_cache().parent / "compute" / f"{place}-{name}.lock"):
            record = store.assets.get_compute_target(name)
            info = record.config.get(CLUSTER_KEY)
            if not _cluster_alive(info):
                info = _start_cluster(store, record, metadata_url)
    assert info is not None
    identity = (int(info["pid"]), str(info["host"]), float(info.get("started") or 0.0))
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not info.get("address"):
        if not wait:
            return None, identity
        if not _cluster_alive(info):
            log = supervisor_log_path(f"cluster-{name}")
            tail = log.read_text(errors="replace")[-1500:] if log.is_file() else ""
            raise ComputeTargetException(
                f"The Dask cluster of compute target {name!r} failed to start.",
                hint=f"Its log ({log}) ends with: {tail.strip() or '(empty)'}",
                name=name,
            )
        if time.monotonic() > deadline:
            raise ComputeTargetException(
                f"The Dask cluster of compute target {name!r} did not start within "
                f"{START_TIMEOUT_SECONDS:.0f} s.",
                name=name,
            )
        time.sleep(0.1)
        info = store.assets.get_compute_target(name).config.get(CLUSTER_KEY) or info
    return str(info["address"]), identity


def _start_cluster(store: Any, record: ComputeTargetRecord, metadata_url: str) -> dict[str, Any]:
    argument = json.dumps({"metadata_url": metadata_url, "name": record.name})
    pid, started = launch_module(_MODULE, argument, f"cluster-{record.name}")
    info = {"pid": pid, "host": socket.gethostname(), "started": started, "address": None}
    store.assets.upsert_compute_target(
        record.name,
        record.type,
        {**record.config, CLUSTER_KEY: info},
        record.max_concurrency,
        provisioning_state="Creating",
    )
    return info


def stop_cluster(record: ComputeTargetRecord) -> None:
    """End the cluster process of ``record`` if it runs on this machine."""
    info = record.config.get(CLUSTER_KEY)
    if _cluster_alive(info) and info and info.get("host") == socket.gethostname():
        try:
            os.kill(int(info["pid"]), signal.SIGTERM)
        except ProcessLookupError:
            pass


def forget_clients(workspace: Any, record: ComputeTargetRecord) -> None:
    """Close this workspace object's client of the target's scheduler (it is going away)."""
    info = record.config.get(CLUSTER_KEY) or {}
    address = record.config.get("address") or info.get("address")
    client = workspace.__dict__.get("_dask_clients", {}).pop(address, None)
    if client is not None:
        client.close()


def cluster_status(address: str) -> dict[str, Any]:
    """Nodes (workers), busy and idle ones, and tasks waiting, as the scheduler sees them."""
    client = connect(address)
    try:
        workers = client.scheduler_info(n_workers=-1)["workers"]
        processing = client.processing()
        busy = sum(1 for w in workers if processing.get(w))
        queued = client.run_on_scheduler(_unrunnable_count)
    finally:
        client.close()
    return {
        "currentNodeCount": len(workers),
        "busyNodeCount": busy,
        "idleNodeCount": len(workers) - busy,
        "queuedTaskCount": queued,
        "workers": sorted(workers),
    }


def _unrunnable_count(dask_scheduler: Any) -> int:
    waiting = sum(1 for ts in dask_scheduler.tasks.values() if ts.state in ("queued", "no-worker"))
    return waiting


def serve(metadata_url: str, name: str) -> int:
    """The cluster process: a LocalCluster for target ``name`` until it is deleted."""
    from distributed import LocalCluster

    store = open_store(metadata_url, migrate=False)
    record = store.assets.get_compute_target(name)
    settings = record.config
    low = int(settings.get("min_nodes") or 0)
    high = int(settings.get("max_nodes") or os.cpu_count() or 1)
    idle = int(settings.get("idle_seconds_before_scaledown") or 0)
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    cluster = LocalCluster(
        n_workers=low,
        threads_per_worker=1,  # a node runs one job at a time, as an AmlCompute node does
        processes=True,
        host="127.0.0.1",
        scheduler_port=0,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )
    if low != high:
        # A worker idle for idle_seconds_before_scaledown (one check a second) is retired.
        cluster.adapt(minimum=low, maximum=high, interval="1s", wait_count=max(1, idle))
    me = this_process()
    info = {"pid": me[0], "host": me[1], "started": me[2], "address": cluster.scheduler_address}
    store.assets.upsert_compute_target(
        name, record.type, {**settings, CLUSTER_KEY: info}, record.max_concurrency
    )
    print(f"Cluster {name!r} at {cluster.scheduler_address} ({low}..{high} workers)", flush=True)
    # Scaled to zero and idle this long, the process ends too (the next job starts it again).
    override = os.environ.get("MLSTUDIO_CLUSTER_IDLE_EXIT_SECONDS")
    idle_exit = float(override) if override else (float(idle or 1800) if low == 0 else None)
    idle_since = time.monotonic()
    try:
        while not stop["now"]:
            time.sleep(1.0)
            if cluster.scheduler is not None and cluster.scheduler.tasks:
                idle_since = time.monotonic()
            elif idle_exit is not None and time.monotonic() - idle_since > idle_exit:
                _forget_cluster(store, name, me[0])
                time.sleep(1.0)  # a job submitted just before it was forgotten is still run
                if not (cluster.scheduler is not None and cluster.scheduler.tasks):
                    break
                store.assets.upsert_compute_target(
                    name, record.type, {**settings, CLUSTER_KEY: info}, record.max_concurrency
                )
                idle_since = time.monotonic()
            try:
                current = store.assets.get_compute_target(name)
            except ComputeTargetException:
                break  # the target was deleted
            if (current.config.get(CLUSTER_KEY) or {}).get("pid") != me[0]:
                break  # replaced by a newer cluster for this name
    finally:
        cluster.close(timeout=10)
    return 0


def _forget_cluster(store: Any, name: str, pid: int) -> None:
    try:
        record = store.assets.get_compute_target(name)
    except ComputeTargetException:
        return
    if (record.config.get(CLUSTER_KEY) or {}).get("pid") == pid:
        config = {k: v for k, v in record.config.items() if k != CLUSTER_KEY}
        store.assets.upsert_compute_target(name, record.type, config, record.max_concurrency)


# ---- jobs ------------------------------------------------------------------------------
class DaskLauncher:
    """Starts a job as a task on a Dask target (used by ``submit_script`` for such targets).

    Creating it makes sure the cluster answers, so a dead address fails the submission
    before a run is stored.
    """

    def __init__(self, workspace: Any, record: ComputeTargetRecord) -> None:
        self.workspace = workspace
        self.store = workspace._store
        self.address, self.identity = ensure_cluster(
            self.store, record.name, workspace.metadata_url
        )
        # One client per workspace object and scheduler, reused by its later submissions.
        clients: dict[str, Client] = workspace.__dict__.setdefault("_dask_clients", {})
        client = clients.get(self.address)
        if client is None or client.status != "running":
            client = clients[self.address] = connect(self.address)
        self.client = client

    def __call__(self, spec: JobSpec) -> tuple[int, float | None]:
        """Submit ``spec``'s supervisor as a fire-and-forget task; the run is marked Queued.

        Returns
        -------
        tuple of (int, None)
            ``(0, None)``: no local process id, as the run's process is on a worker.
        """
        from distributed import fire_and_forget

        # Until a worker starts its supervisor, the cluster process drives the run: if the
        # cluster dies the run is reaped as Failed rather than left Queued.
        self.store.tracking.update_run(spec.run_id, status=RunStatus.QUEUED, process=self.identity)
        future = self.client.submit(
            run_job_task, spec.to_json(), key=f"mlstudio-job-{spec.run_id}", pure=False
        )
        fire_and_forget(future)
        return 0, None


class _Forker:
    """The worker's warm supervisor forker (``job_forker``), started on first use."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.proc: subprocess.Popen[str] | None = None

    def start(self, spec_json: str) -> tuple[int, float]:
        with self.lock:
            for attempt in (1, 2):
                if self.proc is None or self.proc.poll() is not None:
                    self.proc = subprocess.Popen(
                        [sys.executable, "-m", "jupyter_mlstudio.execution.job_forker"],
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        text=True,
                        start_new_session=True,
                        env={**os.environ, "PYTHONUNBUFFERED": "1"},
                    )
                assert self.proc.stdin is not None and self.proc.stdout is not None
                try:
                    self.proc.stdin.write(spec_json.replace("\n", " ") + "\n")
                    self.proc.stdin.flush()
                    reply = self.proc.stdout.readline().split()
                except (BrokenPipeError, OSError):
                    reply = []
                if reply and reply[0] != "error":
                    return int(reply[0]), float(reply[1])
                if reply or attempt == 2:
                    raise RuntimeError(f"The job forker could not start the job: {reply}")
                self.proc = None  # it died: start a new one and try once more
        raise AssertionError("unreachable")


def _forker() -> _Forker:
    from distributed import get_worker

    worker = get_worker()
    forker = getattr(worker, "_mlstudio_forker", None)
    if forker is None:
        forker = _Forker()
        worker._mlstudio_forker = forker  # type: ignore[attr-defined]
    return forker


def run_job_task(spec_json: str) -> str:
    """The Dask task of one job: run its supervisor here; returns the run's final status.

    The supervisor is forked by the worker's warm forker; it gets SIGUSR1 (and records the
    run Failed) if this worker dies while it runs.
    """
    spec = JobSpec.from_json(spec_json)
    tracking = open_store(spec.metadata_url, migrate=False).tracking
    record = tracking.get_run(spec.run_id)
    if record.is_terminal:
        return str(record.status)
    if record.status not in (RunStatus.NOT_STARTED, RunStatus.QUEUED):
        # Dask gives a task whose worker died to another worker; our run had started there.
        return _confirm_lost(tracking, spec.run_id)
    pid, started = _forker().start(spec_json)
    while is_alive(pid, started):
        time.sleep(0.1)
    return str(tracking.get_run(spec.run_id).status)


def _confirm_lost(tracking: Any, run_id: str) -> str:
    deadline = time.monotonic() + 30
    record = tracking.get_run(run_id)
    while not record.is_terminal and time.monotonic() < deadline:
        if record.pid is None or not (
            record.host == socket.gethostname() and is_alive(record.pid, record.pid_started_at)
        ):
            break
        time.sleep(0.5)  # its supervisor is recording the failure itself
        record = tracking.get_run(run_id)
    if not record.is_terminal:
        tracking.update_run(
            run_id,
            status=RunStatus.FAILED,
            ended=True,
            error={
                "code": "WorkerLost",
                "message": "The Dask worker running this job died; the job was lost with it.",
            },
        )
    return str(tracking.get_run(run_id).status)


def validate_nodes(min_nodes: Any, max_nodes: Any) -> tuple[int, int | None]:
    """``min_nodes``/``max_nodes`` as whole numbers, or a clear error."""
    try:
        low = int(min_nodes or 0)
        high = None if max_nodes is None else int(max_nodes)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            f"min_nodes and max_nodes must be whole numbers, not {min_nodes!r}/{max_nodes!r}."
        ) from exc
    if low < 0:
        raise ValidationError(f"min_nodes must be 0 or more, not {low}.")
    if high is not None and high < 1:
        raise ValidationError(f"max_nodes must be at least 1, not {high}.")
    if high is not None and high < low:
        raise ValidationError(
            f"max_nodes ({high}) is below min_nodes ({low}).",
            hint="Give max_nodes >= min_nodes.",
        )
    return low, high


def main(argv: list[str] | None = None) -> int:
    argument = json.loads((argv if argv is not None else sys.argv[1:])[0])
    return serve(argument["metadata_url"], argument["name"])


if __name__ == "__main__":
    sys.exit(main())
