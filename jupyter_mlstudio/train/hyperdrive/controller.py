"""The sweep controller: ``python -m jupyter_mlstudio.train.hyperdrive.controller '<spec>'``.

One detached process per sweep (never the notebook's or the Jupyter server's, so a sweep
goes on when either restarts). It reads the sweep from its parent run's definition, then
loops: heartbeat, sample and submit trials as child script runs (at most
``max_concurrent_runs`` at once, ``max_total_runs`` in all), read the primary metric the
trials log, apply the early termination policy and cancel the trials it stops, and end the
sweep when the trials are done, ``max_duration_minutes`` is up, or it is cancelled.
Progress lines go to the parent's ``logs/std_log.txt`` (``wait_for_completion(show_output=True)``
prints them).

All the sweep's state is in the store: the parent's definition and the children's runs.
A controller started again for the same sweep (``resume_sweeps``) picks up from there.
"""

from __future__ import annotations

import math
import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_mlstudio.core._run_logger import heartbeat_seconds
from jupyter_mlstudio.core._snapshot import snapshot_prefix
from jupyter_mlstudio.core.environment import Environment
from jupyter_mlstudio.core.experiment import Experiment
from jupyter_mlstudio.core.script_run_config import ScriptRunConfig
from jupyter_mlstudio.core.workspace import Workspace
from jupyter_mlstudio.errors import ConflictError
from jupyter_mlstudio.execution.launcher import signal_cancel
from jupyter_mlstudio.execution.liveness import reap, this_process
from jupyter_mlstudio.store import RunRecord, RunsFilter, RunStatus
from jupyter_mlstudio.train._controller_process import ControllerProcess, serve
from jupyter_mlstudio.train.hyperdrive._fork_launch import fork_supervisor, reap_children
from jupyter_mlstudio.train.hyperdrive._launch import CONTROLLER_PROPERTY
from jupyter_mlstudio.train.hyperdrive._samplers import BayesianSampler, make_sampler
from jupyter_mlstudio.train.hyperdrive.policy import NoTerminationPolicy, policy_from_json
from jupyter_mlstudio.train.hyperdrive.runconfig import DEFINITION_KEY

LOG_NAME = "logs/std_log.txt"
POLL_SECONDS = 0.1
STOP_WAIT_SECONDS = 30.0  # how long trials get to end after they are told to stop
FAILURES_BEFORE_GIVING_UP = 3  # failed trials, none completed: the script is broken


@dataclass
class Trial:
    n: int
    run_id: str
    params: dict[str, Any]
    raw: dict[str, Any]
    status: str = str(RunStatus.NOT_STARTED)
    series: list[float] = field(default_factory=list)
    seen: int = 0  # how many primary metric values we have read
    done: bool = False
    error: str | None = None  # why it failed

    def describe(self) -> str:
        return " ".join(f"{k} {_fmt(v)}" for k, v in self.params.items())


def _fmt(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def best_of(series: list[float], maximize: bool) -> float | None:
    """The best finite value of a metric series, or ``None`` if it has none.

    Parameters
    ----------
    series
        The values a trial logged for the primary metric, in logged order.
    maximize
        True to take the largest value, False the smallest.

    Returns
    -------
    float or None
        The best value; ``None`` when the series is empty or only NaN and infinities.
    """
    values = [v for v in series if v is not None and math.isfinite(v)]
    if not values:
        return None
    return max(values) if maximize else min(values)


class _EventLog:
    """Appends progress lines to the parent run's log, where readers tail it."""

    def __init__(self, workspace: Workspace, run_id: str) -> None:
        self.artifacts = workspace._artifacts
        self.path = f"runs/{run_id}/{LOG_NAME}"
        self.local = self.artifacts.local_path(self.path)

    def write(self, text: str) -> None:
        line = f"[{time.strftime('%H:%M:%S')}] {text}\n".encode()
        if self.local is not None:
            self.local.parent.mkdir(parents=True, exist_ok=True)
            with self.local.open("ab") as fh:
                fh.write(line)
        else:  # object stores cannot append: the log is small, write it whole
            old = self.artifacts.read_bytes(self.path) if self.artifacts.exists(self.path) else b""
            self.artifacts.put_bytes(old + line, self.path)


class SweepController(ControllerProcess):
    """Runs one sweep to its end, from the state kept in the store (one per process).

    Azure ML runs this loop in its HyperDrive service; here it is a detached local process
    started by ``Experiment.submit(HyperDriveConfig)``, and a second controller of the same
    sweep (``resume_sweeps``) adopts the trials already started.

    Parameters
    ----------
    workspace
        The sweep's workspace.
    run_id
        The id of the sweep's parent run, whose definition holds the sweep's settings.
    generation
        Which start of the controller this is; only one controller may claim a generation.
    """

    CLAIM_PROPERTY = CONTROLLER_PROPERTY

    def __init__(self, workspace: Workspace, run_id: str, generation: int) -> None:
        super().__init__()
        self.ws = workspace
        self.tracking = workspace._store.tracking
        self.run_id = run_id
        self.generation = generation
        parent = self.tracking.get_run(run_id)
        self.parent = parent
        self.sweep: dict[str, Any] = parent.definition[DEFINITION_KEY]
        self.metric: str = self.sweep["primary_metric_name"]
        self.maximize = self.sweep["primary_metric_goal"] == "MAXIMIZE"
        self.policy = policy_from_json(self.sweep.get("policy"))
        self.sampler = make_sampler(self.sweep["sampling"], self.maximize)
        self.experiment = Experiment(
            workspace, parent.experiment_name, _skip_name_validation=True, _create=False
        )
        self.log = _EventLog(workspace, run_id)
        self.trials: dict[int, Trial] = {}
        self.next_n = 0
        self.exhausted = False
        self.evaluated: dict[str, int] = {}  # policy: last interval each trial was judged at
        self.terminated: dict[str, str] = {}  # run id -> the policy's reason
        self.failures: list[Trial] = []
        self.fatal: dict[str, Any] | None = None
        self.source: Path | None = None
        self.started = time.time()

    # ---- the loop ----------------------------------------------------------------------
    def run(self) -> None:
        """Run the sweep until it completes, fails, is canceled or runs out of time.

        Returns at once if another controller claimed this generation or the sweep has
        already ended. Launches trials up to ``max_concurrent_runs`` (``max_total_runs`` in
        all), applies the early termination policy, writes progress to the parent's log,
        and records the end status and the best trial on the parent run.
        """
        if not self._claim():
            return
        parent = self.tracking.get_run(self.run_id)
        if parent.is_terminal:
            return
        self.tracking.update_run(
            self.run_id, status=RunStatus.RUNNING, started=True, process=this_process()
        )
        parent = self.tracking.get_run(self.run_id)
        self.started = parent.started_at or time.time()
        deadline = self.started + float(self.sweep["max_duration_minutes"]) * 60
        self.source = Path(tempfile.mkdtemp(prefix=f"mlstudio-sweep-{self.run_id}-"))
        try:
            self._extract_snapshot(self.source)
            self._adopt_children()
            while True:
                if self._cancel_requested():
                    self._stop(RunStatus.CANCELED, "The sweep was canceled.")
                    return
                if time.time() >= deadline:
                    minutes = self.sweep["max_duration_minutes"]
                    self._stop(
                        RunStatus.COMPLETED,
                        f"max_duration_minutes={minutes:g} was reached; running trials were "
                        "canceled.",
                    )
                    return
                self._poll()
                if self.fatal is not None:
                    self._stop(RunStatus.FAILED, self.fatal["message"], error=self.fatal)
                    return
                self._apply_policy()
                self._launch_trials()
                if not self._active() and self._nothing_left():
                    self._finish()
                    return
                self.wake.wait(POLL_SECONDS)
        finally:
            shutil.rmtree(self.source, ignore_errors=True)

    def _nothing_left(self) -> bool:
        return self.exhausted or self.next_n >= int(self.sweep["max_total_runs"])

    def _active(self) -> list[Trial]:
        return [t for t in self.trials.values() if not t.done]

    # ---- trials ------------------------------------------------------------------------
    def _extract_snapshot(self, folder: Path) -> None:
        prefix = snapshot_prefix(self.run_id)
        for rel in self.ws._artifacts.list(prefix):
            self.ws._artifacts.get_file(f"{prefix}/{rel}", folder / rel)

    def _adopt_children(self) -> None:
        """Take over the trials of an earlier controller of this sweep."""
        children = self.tracking.search_runs(RunsFilter(parent_run_id=self.run_id))
        for record in sorted(children, key=lambda r: r.number):
            info = record.definition.get(DEFINITION_KEY) or {}
            if "trial" not in info:
                continue
            trial = Trial(
                int(info["trial"]),
                record.run_id,
                dict(info.get("parameters") or {}),
                dict(info.get("raw") or {}),
            )
            self.trials[trial.n] = trial
            self.next_n = max(self.next_n, trial.n + 1)
            if isinstance(self.sampler, BayesianSampler):
                if record.is_terminal:
                    series = self._series(record.run_id)
                    self.sampler.replay(
                        trial.raw, series[-1] if series else None, _outcome(record.status)
                    )
                else:
                    self.sampler.resume(trial.n, trial.raw)
        if self.trials:
            self.log.write(f"Resumed the sweep with {len(self.trials)} trials already started.")
            self._poll()

    def _launch_trials(self) -> None:
        limit = int(self.sweep["max_concurrent_runs"])
        while len(self._active()) < limit and not self._nothing_left():
            sample = self.sampler.sample(self.next_n)
            if sample is None:
                self.exhausted = True
                return
            params, raw = sample
            n = self.next_n
            self.next_n += 1
            trial = Trial(n, f"{self.run_id}_{n}", params, raw)
            self._submit(trial)
            self.trials[n] = trial
            self.log.write(f"Trial {n} started ({trial.run_id}): {trial.describe()}")

    def _submit(self, trial: Trial) -> None:
        from jupyter_mlstudio.core._job_inputs import JobInputs
        from jupyter_mlstudio.core._job_submission import submit_script

        spec = self.sweep["trial"]
        # Appended to the arguments (which go after the script, or after the command).
        sampled = [x for k, v in trial.params.items() for x in (k, v)]
        env = Environment._from_definition(spec["environment"], spec.get("environment_version"))
        config = ScriptRunConfig(
            source_directory=str(self.source),
            script=spec.get("script"),
            arguments=[*spec["arguments"], *sampled],
            compute_target=spec["compute_target"],
            environment=env,
            command=spec.get("command"),
            max_run_duration_seconds=spec.get("max_run_duration_seconds"),
        )
        submit_script(
            self.experiment,
            config,
            parent_run_id=self.run_id,
            run_id=trial.run_id,
            properties={"hyperdrive.trial": str(trial.n)},
            extra_definition={
                DEFINITION_KEY: {
                    "trial": trial.n,
                    "parameters": trial.params,
                    "raw": trial.raw,
                },
                "sourceDirectory": spec["source_directory"],
            },
            launcher=fork_supervisor,
            inputs=JobInputs.from_json(spec["inputs"]) if "inputs" in spec else None,
        )

    def _series(self, run_id: str) -> list[float]:
        points = self.tracking.metric_history(run_id, [self.metric]).get(self.metric, [])
        return [float(p.value) for p in points if p.value is not None]

    def _poll(self) -> None:
        """Read the trials' statuses and new metric values; handle the ones that ended."""
        reap_children()
        records = {
            r.run_id: r for r in self.tracking.search_runs(RunsFilter(parent_run_id=self.run_id))
        }
        open_trials = [t for t in self.trials.values() if not t.done and t.run_id in records]
        counts = self.tracking.latest_metrics([t.run_id for t in open_trials])
        for trial in open_trials:
            record = records[trial.run_id]
            if not record.is_terminal:
                record = reap(self.tracking, record, heartbeat_seconds())
            latest = counts[trial.run_id].get(self.metric)
            if latest is not None and latest.count != trial.seen:
                trial.series = self._series(trial.run_id)
                trial.seen = latest.count
            trial.status = record.status
            if record.is_terminal:
                self._finished(trial, record)

    def _finished(self, trial: Trial, record: RunRecord) -> None:
        trial.done = True
        trial.series = self._series(trial.run_id)
        outcome = _outcome(record.status)
        final = trial.series[-1] if trial.series else None
        self.sampler.tell(trial.n, trial.raw, final, outcome)
        best = best_of(trial.series, self.maximize)
        shown = f"{self.metric} {best:.6g}" if best is not None else f"no {self.metric}"
        reason = self.terminated.get(trial.run_id)
        if outcome == "canceled" and reason:
            self.tracking.update_run(
                trial.run_id, error={"code": "EarlyTermination", "message": reason}
            )
            self.tracking.set_tags(trial.run_id, {"hyperdrive.early_termination": reason})
            self.log.write(f"Trial {trial.n} canceled early ({shown}): {reason}")
        elif outcome == "completed":
            if best is None:
                logged = sorted(self.tracking.latest_metrics([trial.run_id])[trial.run_id])
                self.fatal = {
                    "code": "PrimaryMetricNotLogged",
                    "message": f"Trial {trial.n} ({trial.run_id}) completed without logging "
                    f"the primary metric {self.metric!r}; it logged "
                    f"{', '.join(map(repr, logged)) if logged else 'no metrics'}. Set "
                    f"primary_metric_name to a metric the script logs with run.log().",
                }
            self.log.write(f"Trial {trial.n} completed: {shown}{self._best_note(trial)}")
        elif outcome == "failed":
            self.failures.append(trial)
            message = (record.error or {}).get("message") or "no reason recorded"
            trial.error = message
            self.log.write(f"Trial {trial.n} failed: {message}")
            completed = any(t.status == RunStatus.COMPLETED for t in self.trials.values())
            if not completed and len(self.failures) >= FAILURES_BEFORE_GIVING_UP:
                self.fatal = {
                    "code": "TrialsFailed",
                    "message": f"The first {len(self.failures)} trials failed and none "
                    f"completed; the last said: {message}",
                }
        else:
            self.log.write(f"Trial {trial.n} canceled ({shown}).")

    def _best_note(self, trial: Trial) -> str:
        best = self._best()
        return " (best so far)" if best is not None and best[0] is trial else ""

    def _best(self) -> tuple[Trial, float] | None:
        scored = [
            (t, b)
            for t in self.trials.values()
            if (b := best_of(t.series, self.maximize)) is not None
        ]
        if not scored:
            return None
        pick = max if self.maximize else min
        return pick(scored, key=lambda tb: tb[1])

    # ---- early termination -------------------------------------------------------------
    def _apply_policy(self) -> None:
        if isinstance(self.policy, NoTerminationPolicy):
            return
        running = [
            t.run_id
            for t in self.trials.values()
            if not t.done and t.status == RunStatus.RUNNING and t.run_id not in self.terminated
        ]
        if not running:
            return
        series = {t.run_id: t.series for t in self.trials.values() if t.series}
        stop = self.policy._decide(series, running, self.maximize, self.evaluated, self.metric)
        for run_id, reason in stop.items():
            self.terminated[run_id] = reason
            self._cancel_trial(run_id)

    def _cancel_trial(self, run_id: str) -> None:
        self.tracking.request_cancel(run_id)
        signal_cancel(self.tracking.get_run(run_id))

    # ---- the end -----------------------------------------------------------------------
    def _stop(self, status: RunStatus, reason: str, error: dict[str, Any] | None = None) -> None:
        """Cancel the running trials, wait for them to end, and end the sweep."""
        active = self._active()
        if active:
            self.log.write(f"{reason} Stopping {len(active)} running trial(s).")
        for trial in active:
            self._cancel_trial(trial.run_id)
        deadline = time.monotonic() + STOP_WAIT_SECONDS
        while self._active() and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            self.tracking.heartbeat(self.run_id)
            self._poll()
        for trial in self._active():  # a supervisor that did not answer in time
            self.tracking.update_run(
                trial.run_id,
                status=RunStatus.CANCELED,
                ended=True,
                error={"code": "Canceled", "message": f"The sweep ended: {reason}"},
            )
        self._end(status, reason, error)

    def _finish(self) -> None:
        completed = [t for t in self.trials.values() if t.status == RunStatus.COMPLETED]
        if not completed and self.failures:
            last = self.failures[-1]
            self._end(
                RunStatus.FAILED,
                "No trial completed.",
                {
                    "code": "TrialsFailed",
                    "message": f"No trial completed; trial {last.n} failed: {last.error}",
                },
            )
            return
        self._end(RunStatus.COMPLETED, f"All {len(self.trials)} trials finished.", None)

    def _end(self, status: RunStatus, reason: str, error: dict[str, Any] | None) -> None:
        counts: dict[str, int] = {}
        for t in self.trials.values():
            counts[t.status] = counts.get(t.status, 0) + 1
        early = len([r for r in self.terminated if r in {t.run_id for t in self.trials.values()}])
        summary = ", ".join(f"{v} {k.lower()}" for k, v in sorted(counts.items()))
        self.log.write(
            f"Sweep {str(status).lower()}: {reason} {len(self.trials)} trials ({summary}; "
            f"{early} stopped early by the policy) in {time.time() - self.started:.1f} s."
        )
        properties = {"hyperdrive.end_reason": reason}
        best = self._best()
        if best is not None:
            trial, value = best
            properties.update({"best_child_run_id": trial.run_id, "score": repr(value)})
            self.log.write(
                f"Best trial: {trial.n} ({trial.run_id}) {self.metric} {value:.6g} with "
                f"{trial.describe()}"
            )
        try:
            self.tracking.add_properties(self.run_id, properties)
        except ConflictError:
            pass  # a resumed sweep ending again keeps the first record
        self.tracking.update_run(self.run_id, status=status, ended=True, error=error)

    def abort(self, exc: BaseException) -> None:
        """The controller itself failed: stop the trials and fail the sweep with the cause."""
        for trial in self._active():
            try:
                self._cancel_trial(trial.run_id)
            except Exception:
                traceback.print_exc()
        self.tracking.update_run(
            self.run_id,
            status=RunStatus.FAILED,
            ended=True,
            error={
                "code": "SweepControllerError",
                "message": f"The sweep controller failed: {type(exc).__name__}: {exc}",
            },
        )


def _outcome(status: str) -> str:
    return {
        RunStatus.COMPLETED: "completed",
        RunStatus.CANCELED: "canceled",
    }.get(RunStatus(status), "failed")


def main(argv: list[str] | None = None) -> int:
    """The controller process' entry point: run the sweep named by a JSON spec.

    Parameters
    ----------
    argv
        ``[spec]``, a JSON object with ``workspace_config``, ``run_id`` and optionally
        ``generation`` (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 when the loop ended normally; 1 when the controller itself failed (the sweep is
        then marked Failed and its trials are canceled).
    """
    return serve(argv, SweepController)


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["SweepController", "best_of", "main"]
