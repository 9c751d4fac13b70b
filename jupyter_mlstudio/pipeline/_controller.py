"""The controller of one pipeline run: ``python -m jupyter_mlstudio.pipeline._controller``.

It runs in its own process (never in the notebook's or the Jupyter server's), starts each
step as a child job once the steps it needs are done (independent steps at once, up to
the compute targets' slots), reuses earlier outputs where the step and its inputs are the
same, marks the steps downstream of a failure as not run, honours cancel, heartbeats, and
ends the pipeline run with its status and reason.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.core._job_inputs import JobInputs
from jupyter_mlstudio.pipeline.core._submission import STEP_RUN_TYPE
from jupyter_mlstudio.pipeline.core.graph import dependencies, step_order
from jupyter_mlstudio.store import RunsFilter, RunStatus

if TYPE_CHECKING:
    from jupyter_mlstudio.core.workspace import Workspace

_UNLAUNCHED_GRACE_SECONDS = 15.0
_POLL_SECONDS = 0.1  # script steps are seen ending by polling; notebook steps wake the loop


@dataclass
class StepState:
    status: str = "waiting"  # waiting | running | done | failed | skipped
    run_id: str | None = None
    outputs_run: str | None = None  # the run whose pipeline_data holds this step's outputs
    key: str | None = None
    error: str | None = None


class _DataOutput:
    """An output folder argument: empty, writable, uploaded with the step run."""

    def __init__(self, name: str) -> None:
        self.name = name

    def _to_job_argument(self, workspace: Workspace, inputs: JobInputs) -> str:
        return inputs.add_output(self.name)


class _DataInput:
    """An input folder argument: the files another step wrote to ``name``."""

    def __init__(self, name: str, run_id: str) -> None:
        self.name = name
        self.run_id = run_id

    def _to_job_argument(self, workspace: Workspace, inputs: JobInputs) -> str:
        artifacts = workspace._artifacts
        prefix = f"runs/{self.run_id}/pipeline_data/{self.name}"
        protocol = artifacts.fs.protocol
        files = [
            {
                "protocol": protocol[0] if isinstance(protocol, tuple | list) else protocol,
                "path": artifacts.full_path(f"{prefix}/{rel}"),
                "relative": rel,
                "datastore": None,
            }
            for rel in artifacts.list(prefix)
        ]
        return inputs.add_files(
            self.name, "mount", files, workspace._config.get("artifact_options")
        )


class _NotebookParameters:
    """A notebook step's parameters as one JSON argument, data folders resolved."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def _to_job_argument(self, workspace: Workspace, inputs: JobInputs) -> str:
        from jupyter_mlstudio.core._job_submission import job_argument

        out = {}
        for key, value in self.values.items():
            out[key] = (
                job_argument(workspace, value, inputs)
                if hasattr(value, "_to_job_argument")
                else value
            )
        return json.dumps(out)


class Controller:
    def __init__(
        self, run_id: str, workspace_config: str, workspace: Workspace | None = None
    ) -> None:
        from jupyter_mlstudio.core.experiment import Experiment
        from jupyter_mlstudio.core.workspace import Workspace

        self.ws = workspace or Workspace._open(Path(workspace_config))
        self.tracking = self.ws._store.tracking
        self.run_id = run_id
        record = self.tracking.get_run(run_id)
        self.experiment = Experiment(self.ws, record.experiment_name, _create=False)
        definition = record.definition
        self.graph = definition["graph"]
        self.values = definition.get("parameters") or {}
        self.regenerate = bool(definition.get("regenerate_outputs"))
        self.keep_going = bool(definition.get("continue_on_step_failure"))
        self.selected = set((definition.get("partial") or {}).get("run") or [])
        self.nodes = {n["id"]: n for n in self.graph["steps"]}
        self.deps = dependencies(self.graph)
        self.order = step_order(self.graph)
        self.producer = {out: n["id"] for n in self.graph["steps"] for out in n["outputs"]}
        self.state = {sid: StepState() for sid in self.nodes}
        self.cancel = threading.Event()
        # Set when a step ends in this process: the loop goes on at once, not at its next poll.
        self.wake = threading.Event()
        self.cache = Path(tempfile.gettempdir())  # a folder of its own once it runs
        self.last_beat = 0.0
        # Notebook steps that can run on a warm kernel of this Python (see _inline_step).
        self.inline_ids = {sid for sid, n in self.nodes.items() if _runs_inline(n)}
        self.kernels: dict[str, Any] = {}
        # Adopted step runs that had no process yet: step id -> when to give up on them.
        self.unlaunched: dict[str, float] = {}
        self.stopping: set[str] = set()  # step run id -> its kernel manager, while running
        self.threads: list[threading.Thread] = []
        self.pool: Any = None
        self._materializing = threading.Lock()

    def _snapshot(self, node: dict[str, Any]) -> Path:
        """The step's source files, fetched once into the run's cache. One thread at a time:
        steps running at once share a snapshot, and a half-fetched one must not be copied."""
        from jupyter_mlstudio.pipeline.core._snapshots import materialize_snapshot

        with self._materializing:
            return materialize_snapshot(self.ws, node["snapshot"], self.cache)

    def reuse_everything(self) -> bool:
        """When every step can reuse an earlier run, record the reuses and finish the
        pipeline run here, with no controller process; otherwise write nothing."""
        if self.selected or self.regenerate:
            return False
        found = {}
        for sid in self.order:
            node = self.nodes[sid]
            self.state[sid].key = self._reuse_key(node)
            prior = self._find_reusable(self.state[sid].key) if node["allow_reuse"] else None
            if prior is None:
                return False
            found[sid] = prior
        self.tracking.update_run(self.run_id, status=RunStatus.RUNNING, started=True)
        for sid in self.order:
            self._reuse(sid, found[sid])
        self._finish(RunStatus.COMPLETED, None)
        return True

    # ---- the loop ----------------------------------------------------------------------
    def run(self) -> None:
        from jupyter_mlstudio.execution.liveness import this_process

        if self.inline_ids:
            from jupyter_mlstudio.execution.notebook_runner import KernelPool

            # Started first: kernels warm up while the controller does the rest.
            self.pool = KernelPool(size=min(2, len(self.inline_ids)), limit=len(self.inline_ids))
        self.cache = Path(tempfile.mkdtemp(prefix=f"mlstudio-{self.run_id}-"))
        self.tracking.update_run(
            self.run_id, status=RunStatus.RUNNING, started=True, process=this_process()
        )
        self._adopt_existing_steps()
        try:
            while True:
                if self._beat() or self.cancel.is_set():
                    self._cancel_all()
                    self._finish(RunStatus.CANCELED, None)
                    return
                self._poll()
                failed = any(s.status == "failed" for s in self.state.values())
                self._skip_downstream_of_failures()
                for sid in self.order:
                    state = self.state[sid]
                    if state.status != "waiting" or (failed and not self.keep_going):
                        continue
                    if all(self.state[d].status == "done" for d in self.deps[sid]):
                        self._start(sid)
                running = any(s.status == "running" for s in self.state.values())
                if not running and failed and not self.keep_going:
                    for sid, state in self.state.items():
                        if state.status == "waiting":
                            self._mark_skipped(sid, "an earlier step failed")
                if all(s.status in ("done", "failed", "skipped") for s in self.state.values()):
                    break
                self.wake.wait(_POLL_SECONDS)
                self.wake.clear()
            self._finish_from_steps()
        finally:
            for thread in self.threads:
                thread.join(timeout=60)
            if self.pool is not None:
                self.pool.close()
            shutil.rmtree(self.cache, ignore_errors=True)

    def _adopt_existing_steps(self) -> None:
        """A controller started again for this run (see ``resume_pipeline_runs``) keeps
        what its predecessor did: finished steps stay finished, running ones are watched."""
        by_step = {
            r.properties.get("mlstudio.step_id"): r
            for r in self.tracking.search_runs(RunsFilter(parent_run_id=self.run_id))
        }
        for sid in self.order:
            record = by_step.get(sid)
            if record is None:
                continue
            state = self.state[sid]
            state.run_id = record.run_id
            state.key = record.properties.get("mlstudio.reuse_key")
            if record.status == RunStatus.COMPLETED:
                state.status = "done"
                state.outputs_run = record.properties.get("mlstudio.outputs_run", record.run_id)
            elif record.status == RunStatus.CANCELED:
                state.status, state.error = "skipped", (record.error or {}).get("message")
            elif record.is_terminal:
                state.status, state.error = "failed", (record.error or {}).get("message")
            elif record.definition.get("inline"):
                # It ran on a kernel of the controller that died: it cannot be watched.
                message = "The controller running this notebook step stopped; run it again."
                self.tracking.update_run(
                    record.run_id,
                    status=RunStatus.FAILED,
                    ended=True,
                    error={"code": "ControllerLost", "message": message},
                )
                state.status, state.error = "failed", message
            else:
                state.status = "running"
                if record.pid is None:
                    # Created by the controller that died, perhaps before it started the
                    # step's process: if no process claims it soon, nobody ever will.
                    self.unlaunched[sid] = time.monotonic() + _UNLAUNCHED_GRACE_SECONDS

    def _beat(self) -> bool:
        now = time.monotonic()
        if now - self.last_beat < 1.0:
            return False
        self.last_beat = now
        for sid in self.inline_ids:
            # Inline steps have no process of their own: the controller beats for them,
            # and stops one whose cancel was asked for.
            state = self.state[sid]
            if state.status == "running" and state.run_id and self.tracking.heartbeat(state.run_id):
                km = self.kernels.get(state.run_id)
                if km is not None:
                    self._stop_kernel(state.run_id, km)
        return self.tracking.heartbeat(self.run_id)

    def _stop_kernel(self, run_id: str, km: Any) -> None:
        """Kill the step's kernel process; nbclient, in the step's thread, then sees it dead.
        (The kernel manager itself is not thread-safe: another thread is using it.)"""
        self.stopping.add(run_id)
        from jupyter_mlstudio.execution.kernel_spool import kernel_pid

        pid = kernel_pid(km)
        if pid is not None:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def _poll(self) -> None:
        from jupyter_mlstudio.core._run_logger import heartbeat_seconds
        from jupyter_mlstudio.execution.liveness import reap

        running = {s.run_id: sid for sid, s in self.state.items() if s.status == "running"}
        if not running:
            return
        for record in self.tracking.search_runs(RunsFilter(parent_run_id=self.run_id)):
            sid = running.get(record.run_id)
            if sid is None:
                continue
            if not record.is_terminal and sid not in self.inline_ids:
                record = reap(self.tracking, record, heartbeat_seconds())
                record = self._fail_if_never_launched(sid, record)
            state = self.state[sid]
            if record.status == RunStatus.COMPLETED:
                state.status = "done"
                state.outputs_run = record.run_id
            elif record.is_terminal:
                state.status = "failed"
                state.error = (record.error or {}).get("message") or record.status

    def _fail_if_never_launched(self, sid: str, record: Any) -> Any:
        deadline = self.unlaunched.get(sid)
        if deadline is None or record.is_terminal:
            return record
        if record.pid is not None:
            self.unlaunched.pop(sid)  # its process started and said so
            return record
        if time.monotonic() < deadline:
            return record
        self.unlaunched.pop(sid)
        self.tracking.update_run(
            record.run_id,
            status=RunStatus.FAILED,
            ended=True,
            error={
                "code": "StepNotStarted",
                "message": "The pipeline's controller stopped while starting this step, "
                "before its process started; run the pipeline again.",
            },
        )
        return self.tracking.get_run(record.run_id)

    def _skip_downstream_of_failures(self) -> None:
        changed = True
        while changed:
            changed = False
            for sid, state in self.state.items():
                if state.status != "waiting":
                    continue
                bad = [d for d in self.deps[sid] if self.state[d].status in ("failed", "skipped")]
                if bad:
                    self._mark_skipped(sid, f"step {self.nodes[bad[0]]['name']!r} did not complete")
                    changed = True

    # ---- steps -------------------------------------------------------------------------
    def _start(self, sid: str) -> None:
        node = self.nodes[sid]
        state = self.state[sid]
        state.key = self._reuse_key(node)
        prior = None
        if self.selected and node["name"] not in self.selected:
            prior = self._latest_success(node["name"])
            if prior is None:
                self._fail_without_run(
                    sid,
                    f"Step {node['name']!r} is not selected to run and "
                    "has no earlier successful run to reuse; run the whole "
                    "pipeline once first.",
                )
                return
        elif node["allow_reuse"] and not self.regenerate:
            prior = self._find_reusable(state.key)
        if prior is not None:
            self._reuse(sid, prior)
            return
        if sid in self.inline_ids:
            self._start_inline(sid)
            return
        try:
            run = self._submit(sid)
        except Exception as exc:  # a bad step must fail the step, not the controller
            self._fail_without_run(sid, f"Step {node['name']!r} could not start: {exc}")
            return
        state.status = "running"
        state.run_id = run.id

    def _properties(self, sid: str) -> dict[str, str]:
        node = self.nodes[sid]
        return {
            "mlstudio.step_name": node["name"],
            "mlstudio.step_id": sid,
            "mlstudio.reuse_key": self.state[sid].key or "",
        }

    def _step_definition(self, sid: str) -> dict[str, Any]:
        node = self.nodes[sid]
        return {
            "step": {
                "id": sid,
                "name": node["name"],
                "kind": node["kind"],
                "outputs": node["outputs"],
            }
        }

    def _submit(self, sid: str) -> Any:
        from jupyter_mlstudio.core._job_submission import submit_script
        from jupyter_mlstudio.core.environment import Environment
        from jupyter_mlstudio.core.script_run_config import ScriptRunConfig

        node = self.nodes[sid]
        source = self._snapshot(node)
        env = (
            Environment._from_definition(node["environment"])
            if node.get("environment")
            else Environment("pipeline-step")
        )
        if node["kind"] == "python_script":
            config = ScriptRunConfig(
                source_directory=str(source),
                script=node["script"],
                arguments=[self._resolve(sid, a) for a in node["arguments"]],
                compute_target=node["compute_target"],
                environment=env,
            )
        else:
            params = {k: self._resolve(sid, v) for k, v in node["parameters"].items()}
            executed = f"outputs/{Path(node['notebook']).name}"
            config = ScriptRunConfig(
                source_directory=str(source),
                command=[env.python_executable(), "-m", "jupyter_mlstudio.pipeline._notebook_job"],
                arguments=[node["notebook"], executed, _NotebookParameters(params)],
                compute_target=node["compute_target"],
                environment=env,
            )
            if node.get("kernel_name"):
                env.environment_variables["MLSTUDIO_KERNEL"] = node["kernel_name"]
        return submit_script(
            self.experiment,
            config,
            run_type=STEP_RUN_TYPE,
            parent_run_id=self.run_id,
            run_id=f"{self.run_id}_{sid}",
            name=node["name"],
            properties=self._properties(sid),
            extra_definition=self._step_definition(sid),
        )

    def _start_inline(self, sid: str) -> None:
        node = self.nodes[sid]
        run_id = f"{self.run_id}_{sid}"
        self.tracking.create_run(
            self.experiment.name,
            run_id,
            STEP_RUN_TYPE,
            status=RunStatus.RUNNING,
            parent_run_id=self.run_id,
            name=node["name"],
            target=node["compute_target"],
            definition={**self._step_definition(sid), "inline": True},
            properties=self._properties(sid),
            started=True,
        )
        state = self.state[sid]
        state.status, state.run_id = "running", run_id
        thread = threading.Thread(
            target=self._inline_step, args=(sid, run_id), name=f"step-{sid}", daemon=True
        )
        thread.start()
        self.threads.append(thread)

    def _inline_step(self, sid: str, run_id: str) -> None:
        """Run a notebook step on a warm kernel; record its logs, files and status."""
        from jupyter_mlstudio.execution.notebook_runner import run_notebook

        node = self.nodes[sid]
        artifacts = self.ws._artifacts
        prefix = f"runs/{run_id}"
        workdir = Path(tempfile.mkdtemp(dir=self.cache, prefix=f"{sid}-"))
        local_log = artifacts.local_path(f"{prefix}/logs/std_log.txt")
        log_path = local_log or workdir.parent / f"{sid}-std_log.txt"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        status, error = RunStatus.FAILED, None
        try:
            shutil.copytree(
                self._snapshot(node),
                workdir,
                dirs_exist_ok=True,
            )
            params = {k: self._inline_value(sid, v, workdir) for k, v in node["parameters"].items()}
            env = {
                "MLSTUDIO_RUN_ID": run_id,
                "AZUREML_RUN_ID": run_id,
                "MLSTUDIO_WORKSPACE_CONFIG": str(self.ws._config_path),
            }
            with log_path.open("a") as log:
                log.write(
                    f"Executing {node['notebook']} on a warm kernel with parameters "
                    f"{sorted(params)}\n"
                )
                km = self.pool.checkout()
                self.kernels[run_id] = km
                if getattr(km, "adopted_pid", None) is not None:
                    log.write("(a warm kernel from this machine's kernel spool)\n")
                try:
                    outcome = run_notebook(
                        km,
                        workdir / node["notebook"],
                        workdir / "outputs" / Path(node["notebook"]).name,
                        params,
                        workdir,
                        env,
                        log,
                        should_stop=lambda: run_id in self.stopping,
                    )
                finally:
                    self.kernels.pop(run_id, None)
            for folder in ("outputs", "pipeline_data"):
                if (workdir / folder).is_dir():
                    artifacts.put_folder(workdir / folder, f"{prefix}/{folder}")
            if local_log is None:
                artifacts.put_file(log_path, f"{prefix}/logs/std_log.txt")
            if outcome.ok:
                empty = [
                    n
                    for n in node["outputs"]
                    if not any(p.is_file() for p in (workdir / "pipeline_data" / n).rglob("*"))
                ]
                if empty:
                    error = {
                        "code": "OutputMissing",
                        "message": "The step declared the output "
                        f"{empty[0]!r} but wrote no file to it.",
                        "outputs": empty,
                    }
                else:
                    status = RunStatus.COMPLETED
            elif run_id in self.stopping:
                status = RunStatus.CANCELED
            else:
                error = outcome.error
        except Exception as exc:  # the step fails with the reason; the pipeline goes on
            traceback.print_exc()
            error = {"code": "StepError", "message": f"{type(exc).__name__}: {exc}"}
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        try:
            self.tracking.update_run(run_id, status=status, ended=True, error=error)
        finally:
            self.wake.set()

    def _inline_value(self, sid: str, value: Any, workdir: Path) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            if "param" in value:
                return self.values[value["param"]]
            if "data" in value:
                name = value["data"]
                if name in self.nodes[sid]["outputs"]:
                    folder = workdir / "pipeline_data" / name
                    folder.mkdir(parents=True, exist_ok=True)
                    return str(folder)
                source = self.state[self.producer[name]].outputs_run
                prefix = f"runs/{source}/pipeline_data/{name}"
                local = self.ws._artifacts.local_path(prefix)
                if local is not None:
                    return str(local)
                target = workdir / "inputs" / name
                for rel in self.ws._artifacts.list(prefix):
                    self.ws._artifacts.get_file(f"{prefix}/{rel}", target / rel)
                return str(target)
        return value

    def _resolve(self, sid: str, value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            if "param" in value:
                return self.values[value["param"]]
            if "data" in value:
                name = value["data"]
                if name in self.nodes[sid]["outputs"]:
                    return _DataOutput(name)
                source = self.state[self.producer[name]].outputs_run
                assert source is not None  # its producer is done
                return _DataInput(name, source)
            if "dataset" in value:
                return _dataset_input(self.ws, value["dataset"])
        return value

    def _reuse_key(self, node: dict[str, Any]) -> str:
        def for_key(value: Any) -> Any:
            if isinstance(value, dict) and len(value) == 1:
                if "param" in value:
                    return ["param", self.values[value["param"]]]
                if "data" in value:
                    name = value["data"]
                    if name in node["outputs"]:
                        return ["output", name]
                    return ["data", name, self.state[self.producer[name]].key]
                if "dataset" in value:
                    d = value["dataset"]
                    return ["dataset", d.get("id") or d.get("definition"), d.get("mode")]
            if isinstance(value, dict):
                return {k: for_key(v) for k, v in value.items()}
            if isinstance(value, list):
                return [for_key(v) for v in value]
            return value

        content = {
            k: for_key(v)
            for k, v in node.items()
            if k
            in (
                "kind",
                "snapshot",
                "script",
                "notebook",
                "arguments",
                "parameters",
                "environment",
                "outputs",
                "kernel_name",
            )
        }
        return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()

    def _find_reusable(self, key: str) -> Any:
        found = self.tracking.search_runs(
            RunsFilter(
                run_types=(STEP_RUN_TYPE,),
                statuses=(RunStatus.COMPLETED,),
                properties={"mlstudio.reuse_key": key},
            ),
            limit=1,
        )
        return found[0] if found else None

    def _latest_success(self, name: str) -> Any:
        found = self.tracking.search_runs(
            RunsFilter(
                experiment_names=(self.experiment.name,),
                run_types=(STEP_RUN_TYPE,),
                statuses=(RunStatus.COMPLETED,),
                properties={"mlstudio.step_name": name},
            ),
            limit=1,
        )
        return found[0] if found else None

    def _reuse(self, sid: str, prior: Any) -> None:
        outputs_run = prior.properties.get("mlstudio.outputs_run", prior.run_id)
        original = prior.properties.get("azureml.reusedrunid", prior.run_id)
        props = {
            **self._properties(sid),
            "azureml.reusedrunid": original,
            "mlstudio.outputs_run": outputs_run,
        }
        run_id = f"{self.run_id}_{sid}"
        self.tracking.create_run(
            self.experiment.name,
            run_id,
            STEP_RUN_TYPE,
            status=RunStatus.COMPLETED,
            parent_run_id=self.run_id,
            name=self.nodes[sid]["name"],
            target="local",
            definition=self._step_definition(sid),
            properties=props,
            started=True,
        )
        self.tracking.update_run(run_id, ended=True)
        state = self.state[sid]
        state.status, state.run_id, state.outputs_run = "done", run_id, outputs_run

    def _fail_without_run(self, sid: str, message: str) -> None:
        run_id = f"{self.run_id}_{sid}"
        self.tracking.create_run(
            self.experiment.name,
            run_id,
            STEP_RUN_TYPE,
            status=RunStatus.FAILED,
            parent_run_id=self.run_id,
            name=self.nodes[sid]["name"],
            target="local",
            definition=self._step_definition(sid),
            properties=self._properties(sid),
        )
        self.tracking.update_run(
            run_id, ended=True, error={"code": "StepNotStarted", "message": message}
        )
        state = self.state[sid]
        state.status, state.run_id, state.error = "failed", run_id, message

    def _mark_skipped(self, sid: str, why: str) -> None:
        run_id = f"{self.run_id}_{sid}"
        message = f"Not run: {why}."
        self.tracking.create_run(
            self.experiment.name,
            run_id,
            STEP_RUN_TYPE,
            status=RunStatus.CANCELED,
            parent_run_id=self.run_id,
            name=self.nodes[sid]["name"],
            target="local",
            definition=self._step_definition(sid),
            properties=self._properties(sid),
        )
        self.tracking.update_run(run_id, ended=True, error={"code": "NotRun", "message": message})
        state = self.state[sid]
        state.status, state.run_id, state.error = "skipped", run_id, message

    def _cancel_all(self) -> None:
        from jupyter_mlstudio.core.run import Run

        for run_id, km in list(self.kernels.items()):
            self._stop_kernel(run_id, km)
        for sid, state in self.state.items():
            if state.status == "running" and state.run_id and sid not in self.inline_ids:
                try:
                    Run.get(self.ws, state.run_id).cancel()
                except Exception:  # it may have just ended; the cancel is best effort
                    traceback.print_exc()
            elif state.status == "waiting":
                self._mark_skipped(sid, "the pipeline run was canceled")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(
            s.status == "running" for s in self.state.values()
        ):
            self._poll()
            time.sleep(_POLL_SECONDS)

    # ---- the end -----------------------------------------------------------------------
    def _finish_from_steps(self) -> None:
        failed = [(sid, s) for sid, s in self.state.items() if s.status == "failed"]
        if not failed:
            self._finish(RunStatus.COMPLETED, None)
            return
        skipped = [
            self.nodes[sid]["name"] for sid, s in self.state.items() if s.status == "skipped"
        ]
        first = self.nodes[failed[0][0]]["name"]
        message = f"Step {first!r} failed: {failed[0][1].error}"
        if len(failed) > 1:
            message += f" (and {len(failed) - 1} more failed)"
        if skipped:
            message += f"; not run: {', '.join(skipped)}"
        self._finish(
            RunStatus.FAILED,
            {
                "code": "StepFailed",
                "message": message,
                "failedSteps": [self.nodes[s]["name"] for s, _ in failed],
                "notRun": skipped,
            },
        )

    def _finish(self, status: RunStatus, error: dict[str, Any] | None) -> None:
        self.tracking.update_run(self.run_id, status=status, ended=True, error=error)


def _runs_inline(node: dict[str, Any]) -> bool:
    """Notebook steps on the local target in this Python run on warm kernels."""
    if node["kind"] != "notebook" or node.get("compute_target", "local") != "local":
        return False
    if node.get("environment") or node.get("kernel_name") not in (None, "python3"):
        return False
    # Dataset inputs are materialized by a job's supervisor: those steps run as jobs.
    return not _has_dataset_input(node.get("parameters", {}))


def _has_dataset_input(value: Any) -> bool:
    if isinstance(value, dict):
        if len(value) == 1 and "dataset" in value and isinstance(value["dataset"], dict):
            return True
        return any(_has_dataset_input(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_dataset_input(v) for v in value)
    return False


def resume_pipeline_runs(workspace: Workspace) -> list[str]:
    """Start a new controller for every unfinished pipeline run whose controller is gone
    (after a restart of the machine or the Jupyter server); returns their run ids. Steps
    already finished stay finished. The server extension calls this at start-up."""
    from jupyter_mlstudio.core._run_logger import heartbeat_seconds
    from jupyter_mlstudio.execution.liveness import why_dead
    from jupyter_mlstudio.pipeline.core._submission import PIPELINE_RUN_TYPE

    resumed = []
    tracking = workspace._store.tracking
    unfinished = [
        s for s in RunStatus if s not in (RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELED)
    ]
    for record in tracking.search_runs(
        RunsFilter(run_types=(PIPELINE_RUN_TYPE,), statuses=tuple(unfinished))
    ):
        if record.pid is None or why_dead(record, heartbeat_seconds()) is None:
            continue  # its controller is alive (or about to start)
        launch(workspace, record.run_id)
        resumed.append(record.run_id)
    return resumed


def launch(workspace: Workspace, run_id: str) -> int:
    """Start the controller of pipeline run ``run_id`` and record its process on the run.

    It is forked from this machine's warm forker when it can (which has imported the
    controller and what running notebooks needs, see ``preload``), so the first step starts
    without a fresh interpreter's imports; else it is a new process.

    Returns
    -------
    int
        The controller's process id.
    """
    import socket

    from jupyter_mlstudio.execution.launcher import launch_module

    argument = json.dumps({"run_id": run_id, "workspace_config": str(workspace._config_path)})
    pid, started = launch_module(
        "jupyter_mlstudio.pipeline._controller", argument, run_id, warm=True
    )
    workspace._store.tracking.update_run(
        run_id, process=(pid, socket.gethostname(), started or 0.0)
    )
    return pid


_PRELOADED = (
    "sqlite3",
    "sqlalchemy.dialects.sqlite.pysqlite",
    "jupyter_mlstudio.core._job_submission",
    "jupyter_mlstudio.core._run_logger",
    "jupyter_mlstudio.core.environment",
    "jupyter_mlstudio.core.experiment",
    "jupyter_mlstudio.core.run",
    "jupyter_mlstudio.core.script_run_config",
    "jupyter_mlstudio.core.workspace",
    "jupyter_mlstudio.execution.kernel_spool",
    "jupyter_mlstudio.execution.liveness",
    "jupyter_mlstudio.pipeline.core._snapshots",
)


def preload() -> None:
    """Import what a controller needs, ahead of need (the warm forker calls this once):
    the SDK, the store's SQLite driver, and what runs notebooks on warm kernels.
    Imports only: no thread, connection or event loop is left behind to be forked."""
    import importlib

    from jupyter_mlstudio.execution.notebook_runner import preload_notebook_modules

    for name in _PRELOADED:
        importlib.import_module(name)
    preload_notebook_modules()


def _dataset_input(workspace: Workspace, spec: dict[str, Any]) -> Any:
    from jupyter_mlstudio.data.dataset_consumption_config import DatasetConsumptionConfig
    from jupyter_mlstudio.data.file_dataset import FileDataset
    from jupyter_mlstudio.data.tabular_dataset import TabularDataset

    record = None
    if spec.get("id"):
        name, _, version = spec["id"].rpartition(":")
        record = workspace._store.datasets.get(name, int(version))
    cls = TabularDataset if spec["kind"] == "tabular" else FileDataset
    dataset = cls(spec["definition"], workspace, record)
    return DatasetConsumptionConfig(spec["name"], dataset, spec.get("mode", "direct"))


def main(argv: list[str] | None = None) -> int:
    args = json.loads((argv if argv is not None else sys.argv[1:])[0])
    controller = Controller(args["run_id"], args["workspace_config"])
    signal.signal(signal.SIGTERM, lambda *_: controller.cancel.set())
    signal.signal(signal.SIGINT, lambda *_: controller.cancel.set())
    try:
        controller.run()
    except BaseException as exc:  # the pipeline run must never stay Running because we died
        traceback.print_exc()
        controller.tracking.update_run(
            controller.run_id,
            status=RunStatus.FAILED,
            ended=True,
            error={
                "code": "ControllerError",
                "message": f"The pipeline controller failed: {type(exc).__name__}: {exc}",
            },
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
