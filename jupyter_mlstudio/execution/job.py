"""The job supervisor: ``python -m jupyter_mlstudio.execution.job '<spec json>'``.

It waits for a slot on the compute target, copies the run's snapshot into a fresh working
folder, runs the user's command there as its own child, appends the child's output to the
run's ``logs/std_log.txt`` as it comes, heartbeats, honours cancel requests and the time
limit, uploads ``outputs/`` (and ``logs/``) at the end and records the final status.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import IO, Any

from jupyter_mlstudio.execution.environments import (
    EnvironmentBuildError,
    MaterializedEnvironment,
    materialize,
)
from jupyter_mlstudio.execution.liveness import reap, this_process
from jupyter_mlstudio.execution.spec import JobSpec
from jupyter_mlstudio.store import ArtifactStore, RunsFilter, RunStatus, TrackingStore, open_store
from jupyter_mlstudio.store.entities import ACTIVE_STATUSES, SLOT_RUN_TYPES

LOG_NAME = "logs/std_log.txt"
BUILD_LOG_NAME = "logs/environment_build.txt"
_REAP_EVERY_SECONDS = 5.0
_TERM_GRACE_SECONDS = 5.0
_LOG_SYNC_SECONDS = 2.0


def _heartbeat_seconds() -> float:
    return float(os.environ.get("MLSTUDIO_HEARTBEAT_SECONDS", "5"))


class Supervisor:
    """Drive one job from its spec to a final status (see the module's docstring).

    Opens the workspace's store from ``spec.metadata_url``; :meth:`run` does the work.
    Setting ``cancel`` stops the job as canceled; setting ``lost`` stops it as failed
    (:func:`main` sets them on SIGTERM or SIGINT, and on SIGUSR1: the worker that started
    it died).

    Parameters
    ----------
    spec : JobSpec
        The job.
    """

    def __init__(self, spec: JobSpec) -> None:
        self.spec = spec
        self.store = open_store(spec.metadata_url, migrate=False)
        self.tracking: TrackingStore = self.store.tracking
        self.artifacts = ArtifactStore(spec.artifact_root, spec.artifact_options)
        self.prefix = f"runs/{spec.run_id}"
        self.cancel = threading.Event()
        # Set on SIGUSR1: the process that started us (a Dask worker) died.
        self.lost = threading.Event()
        self.child: subprocess.Popen[bytes] | None = None
        self.last_beat = 0.0
        self.environment: MaterializedEnvironment | None = None

    # ---- steps -------------------------------------------------------------------------
    def run(self) -> None:
        """Run the job to its end and record its final status.

        Prepares the environment (Preparing), waits for a slot on the target (Queued), copies
        the snapshot and the inputs into a fresh folder, runs the command (Running) with its
        output appended to the run's log, then uploads ``outputs/`` and ``logs/``
        (Finalizing) and records Completed, Failed or Canceled. The folder is removed at the
        end.
        """
        spec = self.spec
        self.tracking.update_run(spec.run_id, process=this_process())
        if spec.environment is not None and not self._prepare_environment():
            return
        if not self._wait_for_slot():
            self._finish(*self._stopped_outcome())
            return
        workdir = Path(tempfile.mkdtemp(prefix=f"mlstudio-{spec.run_id}-"))
        try:
            self._copy_snapshot(workdir)
            paths = materialize_inputs(spec.inputs, workdir / "inputs")
            self.tracking.update_run(spec.run_id, status=RunStatus.RUNNING, started=True)
            outcome, error = self._run_child(workdir, paths)
            self.tracking.update_run(spec.run_id, status=RunStatus.FINALIZING)
            uploaded = self._upload_outputs(workdir)
            self._note(f"Uploaded {uploaded} files from outputs/ and logs/.")
            self._finish(outcome, error)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def _prepare_environment(self) -> bool:
        """Materialize the run's environment (status Preparing); False if the run ended."""
        spec = self.spec
        assert spec.environment is not None
        self.tracking.update_run(
            spec.run_id,
            status=RunStatus.PREPARING,
            only_from=[RunStatus.NOT_STARTED, RunStatus.QUEUED],
        )
        lines: list[str] = []
        result: dict[str, Any] = {}

        def build() -> None:
            try:
                result["env"] = materialize(
                    spec.environment or {}, spec.environment_fingerprint or "", lines.append
                )
            except EnvironmentBuildError as exc:
                result["error"] = exc
            except Exception as exc:  # reported as the run's error below
                result["error"] = exc

        worker = threading.Thread(target=build, name="mlstudio-env-build", daemon=True)
        worker.start()
        while worker.is_alive():
            if self._beat():  # honoured once the build is over (pip is not stopped)
                self.cancel.set()
            worker.join(0.2)
        if lines:
            self.artifacts.put_bytes(
                ("\n".join(lines) + "\n").encode(), f"{self.prefix}/{BUILD_LOG_NAME}"
            )
        error = result.get("error")
        if error is not None:
            message = getattr(error, "message", None) or f"{type(error).__name__}: {error}"
            self._note(f"Environment: {message}")
            self._finish(
                RunStatus.FAILED,
                {
                    "code": "EnvironmentBuildFailed",
                    "message": message,
                    "hint": getattr(error, "hint", None),
                },
            )
            return False
        self.environment = result["env"]
        self._note(self.environment.message)
        if self.cancel.is_set() or self.lost.is_set():
            self._finish(*self._stopped_outcome())
            return False
        return True

    def _stopped_outcome(self) -> tuple[RunStatus, dict[str, object] | None]:
        if self.lost.is_set():
            return RunStatus.FAILED, {
                "code": "WorkerLost",
                "message": "The Dask worker process running this job died (it was killed, or "
                "ran out of memory); the job was stopped with it.",
            }
        return RunStatus.CANCELED, None

    def _wait_for_slot(self) -> bool:
        spec = self.spec
        self.tracking.update_run(
            spec.run_id,
            status=RunStatus.QUEUED,
            only_from=[RunStatus.NOT_STARTED, RunStatus.PREPARING],
        )
        announced = False
        last_reap = time.monotonic()
        while not self.tracking.acquire_slot(spec.run_id, spec.target, spec.max_concurrency):
            if not announced:
                self._note(
                    f"Queued: compute target {spec.target!r} runs at most "
                    f"{spec.max_concurrency} jobs at once."
                )
                announced = True
            if time.monotonic() - last_reap > _REAP_EVERY_SECONDS:
                last_reap = time.monotonic()
                self._reap_dead_holders()
            if self._beat() or self.cancel.wait(0.5) or self.lost.is_set():
                return False
        return not (self.cancel.is_set() or self.lost.is_set())

    def _reap_dead_holders(self) -> None:
        """Free the slots of runs on our target whose process died without saying so."""
        holders = self.tracking.search_runs(
            RunsFilter(
                statuses=tuple(str(s) for s in ACTIVE_STATUSES),
                run_types=tuple(sorted(SLOT_RUN_TYPES)),
            )
        )
        for record in holders:
            if record.target == self.spec.target and record.run_id != self.spec.run_id:
                reap(self.tracking, record, _heartbeat_seconds())

    def _copy_snapshot(self, workdir: Path) -> None:
        prefix = f"snapshots/{self.spec.run_id}"
        for rel in self.artifacts.list(prefix):
            self.artifacts.get_file(f"{prefix}/{rel}", workdir / rel)

    def _run_child(
        self, workdir: Path, inputs: dict[str, str]
    ) -> tuple[RunStatus, dict[str, object] | None]:
        spec = self.spec
        command = list(spec.command)
        for name, path in inputs.items():
            token = "${{inputs." + name + "}}"
            command = [arg.replace(token, path) for arg in command]
        for name in spec.outputs:
            folder = workdir / "pipeline_data" / name
            folder.mkdir(parents=True, exist_ok=True)
            token = "${{outputs." + name + "}}"
            command = [arg.replace(token, str(folder)) for arg in command]
        env = {
            **os.environ,
            **spec.environment_variables,
            "MLSTUDIO_INPUTS": json.dumps(inputs),
            "MLSTUDIO_ERROR_FILE": str(workdir / ".mlstudio-error.json"),
            "MLSTUDIO_RUN_ID": spec.run_id,
            "MLSTUDIO_WORKSPACE_CONFIG": spec.workspace_config,
            "AZUREML_RUN_ID": spec.run_id,
            "PYTHONUNBUFFERED": "1",
        }
        command = self._environment_command(command, env)
        with _LogWriter(self.artifacts, f"{self.prefix}/{LOG_NAME}") as log:
            try:
                self.child = subprocess.Popen(
                    command,
                    cwd=workdir,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            except OSError as exc:
                return RunStatus.FAILED, {
                    "code": "StartFailed",
                    "message": f"Could not start {spec.command[0]}: {exc}",
                }
            pump = threading.Thread(target=log.pump, args=(self.child.stdout,), daemon=True)
            pump.start()
            deadline = (
                time.monotonic() + spec.max_run_duration_seconds
                if spec.max_run_duration_seconds
                else None
            )
            timed_out = False
            while self.child.poll() is None:
                if self.lost.is_set():
                    self._stop_child()
                    break
                if self._beat() or self.cancel.is_set():
                    self.cancel.set()
                    self._stop_child()
                    break
                if deadline is not None and time.monotonic() > deadline:
                    timed_out = True
                    self._stop_child()
                    break
                log.sync_if_due()
                time.sleep(0.1)
            code = self.child.wait()
            pump.join(timeout=10)
        outcome = self._outcome(code, timed_out, log.tail())
        if outcome[0] == RunStatus.COMPLETED:
            empty = [
                n
                for n in spec.outputs
                if not any(p.is_file() for p in (workdir / "pipeline_data" / n).rglob("*"))
            ]
            if empty:
                return RunStatus.FAILED, {
                    "code": "OutputMissing",
                    "message": f"The step declared the output {empty[0]!r} but wrote no file "
                    "to it.",
                    "outputs": empty,
                }
        error_file = workdir / ".mlstudio-error.json"
        if outcome[1] is not None and error_file.is_file():
            # Details the child left for us (a notebook cell's ename/evalue/traceback).
            try:
                outcome[1].update(json.loads(error_file.read_text()))
            except ValueError:
                pass
        return outcome

    def _outcome(
        self, code: int, timed_out: bool, tail: str
    ) -> tuple[RunStatus, dict[str, object] | None]:
        spec = self.spec
        if self.cancel.is_set() or self.lost.is_set():
            return self._stopped_outcome()
        if timed_out:
            return RunStatus.FAILED, {
                "code": "Timeout",
                "message": "The run went past its time limit of "
                f"max_run_duration_seconds={spec.max_run_duration_seconds:g} and was stopped.",
            }
        if code == 0:
            return RunStatus.COMPLETED, None
        if code < 0:
            name = signal.Signals(-code).name
            message = f"The script's process was killed by signal {-code} ({name})."
        else:
            message = f"The script exited with code {code}."
        last = _last_error_line(tail)
        if last:
            message += f" {last}"
        return RunStatus.FAILED, {
            "code": "UserError",
            "message": message,
            "exitCode": code,
            "logTail": tail[-4000:],
        }

    def _environment_command(self, command: list[str], env: dict[str, str]) -> list[str]:
        """Run the command with the built environment's Python (and its kernel, PATH)."""
        built = self.environment
        if built is None or built.path is None:
            return command
        if command and command[0] == self.spec.python:
            command = [built.python, *command[1:]]
        env["VIRTUAL_ENV"] = str(built.path)
        env["PATH"] = f"{built.path / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        share = str(built.path / "share" / "jupyter")
        env["JUPYTER_PATH"] = os.pathsep.join(p for p in (share, env.get("JUPYTER_PATH")) if p)
        if "MLSTUDIO_KERNEL" not in self.spec.environment_variables:
            env["MLSTUDIO_KERNEL"] = built.kernel_name  # notebook steps run in the venv too
        return command

    def _stop_child(self) -> None:
        child = self.child
        if child is None or child.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, _TERM_GRACE_SECONDS), (signal.SIGKILL, 10.0)):
            try:
                os.killpg(child.pid, sig)
            except ProcessLookupError:
                return
            try:
                child.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def _upload_outputs(self, workdir: Path) -> int:
        count = 0
        for folder in ("outputs", "logs", "pipeline_data"):
            local = workdir / folder
            if local.is_dir():
                count += len(self.artifacts.put_folder(local, f"{self.prefix}/{folder}"))
        return count

    def _finish(self, status: RunStatus, error: dict[str, object] | None) -> None:
        self.tracking.update_run(self.spec.run_id, status=status, ended=True, error=error)

    def _beat(self) -> bool:
        """Heartbeat when due; returns whether a cancel was requested."""
        now = time.monotonic()
        if now - self.last_beat < min(_heartbeat_seconds(), 1.0):
            return False
        self.last_beat = now
        return self.tracking.heartbeat(self.spec.run_id)

    def _note(self, text: str) -> None:
        line = f"[mlstudio {time.strftime('%H:%M:%S')}] {text}\n"
        path = f"{self.prefix}/logs/mlstudio.txt"
        previous = self.artifacts.read_bytes(path) if self.artifacts.exists(path) else b""
        self.artifacts.put_bytes(previous + line.encode(), path)


class _LogWriter:
    """Appends the child's output to the run log: straight into the file on a local artifact
    store (so readers see it live), or to a local file synced every few seconds."""

    def __init__(self, artifacts: ArtifactStore, path: str) -> None:
        self.artifacts = artifacts
        self.path = path
        local = artifacts.local_path(path)
        self.remote = local is None
        if local is None:
            fd, name = tempfile.mkstemp(prefix="mlstudio-log-")
            os.close(fd)
            self.file_path = Path(name)
        else:
            local.parent.mkdir(parents=True, exist_ok=True)
            self.file_path = local
        self.fh: IO[bytes] = self.file_path.open("ab")
        self._last_sync = time.monotonic()
        self._tail = bytearray()
        self._lock = threading.Lock()

    def __enter__(self) -> _LogWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.fh.close()
        if self.remote:
            self.artifacts.put_file(self.file_path, self.path)
            self.file_path.unlink(missing_ok=True)

    def pump(self, stream: IO[bytes] | None) -> None:
        if stream is None:
            return
        for chunk in iter(lambda: stream.read1(65536), b""):  # type: ignore[attr-defined]
            with self._lock:
                self.fh.write(chunk)
                self.fh.flush()
                self._tail += chunk
                del self._tail[:-16384]

    def sync_if_due(self) -> None:
        if self.remote and time.monotonic() - self._last_sync > _LOG_SYNC_SECONDS:
            self._last_sync = time.monotonic()
            with self._lock:
                self.fh.flush()
            self.artifacts.put_file(self.file_path, self.path)

    def tail(self) -> str:
        with self._lock:
            return self._tail.decode("utf-8", errors="replace")


def materialize_inputs(inputs: list[dict[str, Any]], root: Path) -> dict[str, str]:
    """Put each input's files under ``root/<name>``: links to local files when mounted,
    copies otherwise. Returns {input name: folder}."""
    import fsspec

    from jupyter_mlstudio.store.credentials import resolve_storage_options

    paths: dict[str, str] = {}
    for item in inputs:
        folder = root / item["name"]
        folder.mkdir(parents=True, exist_ok=True)
        systems: dict[tuple[str, str | None], Any] = {}
        for file in item["files"]:
            key = (file["protocol"], file.get("datastore"))
            if key not in systems:
                options = dict(item.get("storage_options") or {})
                if file.get("datastore"):
                    options = resolve_storage_options(
                        file["datastore"], item["datastores"][file["datastore"]]
                    )
                systems[key] = fsspec.filesystem(file["protocol"], **options)
            fs = systems[key]
            dest = folder / file["relative"]
            dest.parent.mkdir(parents=True, exist_ok=True)
            if file["protocol"] in ("file", "local") and item["mode"] == "mount":
                dest.symlink_to(file["path"])
            else:
                fs.get_file(file["path"], str(dest))
        paths[item["name"]] = str(folder)
    return paths


def _last_error_line(tail: str) -> str:
    """The last line of a Python traceback (``ValueError: ...``) if the log ends with one."""
    lines = [ln.strip() for ln in tail.strip().splitlines() if ln.strip()]
    if lines and "Traceback (most recent call last)" in tail:
        return lines[-1][:500]
    return ""


def main(argv: list[str] | None = None) -> int:
    """Run the supervisor of the job spec given as JSON in ``argv[0]``; the process entry point.

    Returns
    -------
    int
        0, or 1 when the supervisor itself failed (the run is then recorded Failed with
        code ``SupervisorError``, never left Running).
    """
    argv = sys.argv[1:] if argv is None else argv
    spec = JobSpec.from_json(argv[0])
    supervisor = Supervisor(spec)
    signal.signal(signal.SIGTERM, lambda *_: supervisor.cancel.set())
    signal.signal(signal.SIGINT, lambda *_: supervisor.cancel.set())
    signal.signal(signal.SIGUSR1, lambda *_: supervisor.lost.set())
    try:
        supervisor.run()
    except BaseException as exc:  # the run must never stay Running because we crashed
        traceback.print_exc()
        supervisor._stop_child()
        supervisor.tracking.update_run(
            spec.run_id,
            status=RunStatus.FAILED,
            ended=True,
            error={
                "code": "SupervisorError",
                "message": f"The job supervisor failed: {type(exc).__name__}: {exc}",
            },
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
