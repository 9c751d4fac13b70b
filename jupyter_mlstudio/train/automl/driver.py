"""The AutoML driver: ``python -m jupyter_mlstudio.train.automl.driver '<spec>'``.

One detached process per AutoML run (never the notebook's or the Jupyter server's). It
reads the settings and data stored with the parent run, reports the data guardrails,
featurizes the validation folds once, then loops: heartbeat, ask the search strategy for
configurations and hand them to the trial executor (at most ``max_concurrent_iterations``
at once), record each finished trial as a child run (metrics, pipeline, model), print the
leaderboard line, and stop on ``iterations``, the experiment timeout, early stopping, the
exit score or a cancel. Then it builds the voting and stack ensembles as the last
iterations and ends the run with the best child named in its properties.

All the state is in the store, so a driver started again for the same run
(``resume_automl``) adopts the finished trials and goes on.
"""

from __future__ import annotations

import io
import json
import math
import sys
import time
from dataclasses import dataclass
from typing import Any

import joblib
import numpy as np
import pandas as pd

from jupyter_mlstudio.core.workspace import Workspace
from jupyter_mlstudio.errors import ConflictError, MlStudioError
from jupyter_mlstudio.execution.liveness import this_process
from jupyter_mlstudio.store import MetricPoint, RunsFilter, RunStatus
from jupyter_mlstudio.train._controller_process import ControllerProcess, serve
from jupyter_mlstudio.train.automl import scoring
from jupyter_mlstudio.train.automl._launch import DRIVER_PROPERTY
from jupyter_mlstudio.train.automl.config import DATA_PATH, DEFINITION_KEY
from jupyter_mlstudio.train.automl.executor import Finished, TrialExecutor, executor_for
from jupyter_mlstudio.train.automl.guardrails import check_guardrails, format_guardrails
from jupyter_mlstudio.train.automl.metrics import is_maximized
from jupyter_mlstudio.train.automl.models import MODELS
from jupyter_mlstudio.train.automl.problem import Problem, TabularProblem, TrialOutcome
from jupyter_mlstudio.train.automl.search import Candidate, SearchStrategy

__all__ = ["AutoMLDriver", "main"]

LOG_NAME = "logs/std_log.txt"
CHILD_RUN_TYPE = "automl.child"
GUARDRAILS_PATH = "automl/guardrails.json"
FEATURIZATION_PATH = "automl/featurization_summary.json"
OOF_PATH = "automl/oof.npy"
MODEL_PATH = "outputs/model.pkl"
POLL_SECONDS = 0.05
FAILURES_BEFORE_GIVING_UP = 3
EARLY_STOP_WINDOW = 15  # completed trials without improvement before stopping
ENSEMBLES = ("VotingEnsemble", "StackEnsemble")
# The baseline the final pick must clearly beat (its default configuration is tried first).
ANCHOR_MODEL = "HistGradientBoosting"


@dataclass
class Trial:
    """One iteration of the search: its configuration, child run and outcome."""

    n: int
    candidate: Candidate
    run_id: str
    started: float
    outcome: TrialOutcome | None = None
    score: float | None = None


def _is_anchor(candidate: Candidate) -> bool:
    """Whether ``candidate`` is the default HistGradientBoosting (the baseline)."""
    return candidate.model == ANCHOR_MODEL and candidate.source == "default"


def _pipeline_name(model: str) -> str:
    scaler = MODELS[model].scaler if model in MODELS else None
    return f"{scaler} {model}" if scaler else model


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class _Log:
    """Appends lines to the parent run's log, where ``show_output`` tails it."""

    def __init__(self, workspace: Workspace, run_id: str) -> None:
        self.artifacts = workspace._artifacts
        self.path = f"runs/{run_id}/{LOG_NAME}"
        self.local = self.artifacts.local_path(self.path)

    def write(self, text: str) -> None:
        data = (text + "\n").encode()
        if self.local is not None:
            self.local.parent.mkdir(parents=True, exist_ok=True)
            with self.local.open("ab") as fh:
                fh.write(data)
        else:  # object stores cannot append: the log is small, write it whole
            old = self.artifacts.read_bytes(self.path) if self.artifacts.exists(self.path) else b""
            self.artifacts.put_bytes(old + data, self.path)


class AutoMLDriver(ControllerProcess):
    """The search of one AutoML run, in its own process (see the module's description).

    Parameters
    ----------
    workspace : Workspace
        The run's workspace.
    run_id : str
        The parent run.
    generation : int
        Which start of the driver this is (0 first, then one more per resume); only one
        driver per generation claims the run.
    executor : TrialExecutor, optional
        Where trials run (default: the run's compute target's executor).
    """

    CLAIM_PROPERTY = DRIVER_PROPERTY

    def __init__(
        self,
        workspace: Workspace,
        run_id: str,
        generation: int,
        executor: TrialExecutor | None = None,
    ) -> None:
        """Read the parent run's settings; nothing runs until :meth:`run`."""
        super().__init__()
        self.ws = workspace
        self.tracking = workspace._store.tracking
        self.run_id = run_id
        self.generation = generation
        parent = self.tracking.get_run(run_id)
        self.settings: dict[str, Any] = parent.definition[DEFINITION_KEY]
        self.metric: str = self.settings["primary_metric"]
        self.maximize = is_maximized(self.metric)
        self.log = _Log(workspace, run_id)
        self.trials: dict[int, Trial] = {}
        self.done: list[Trial] = []  # completed, with an outcome
        self.failures = 0
        self.next_n = 0
        self.best: float | None = None
        self.since_best = 0
        self.stop_reason: str | None = None
        self.executor = executor
        self.target = parent.target or "local"
        self._running: set[int] = set()  # iterations in the executor

    # ---- set-up ------------------------------------------------------------------------
    def _frame(self, name: str) -> pd.DataFrame | None:
        path = f"runs/{self.run_id}/{DATA_PATH.format(name=name)}"
        if not self.ws._artifacts.exists(path):
            return None
        return pd.read_parquet(io.BytesIO(self.ws._artifacts.read_bytes(path)))

    def _problem(self) -> tuple[Problem, pd.DataFrame, np.ndarray]:
        from jupyter_mlstudio.train.automl._data import split_label, split_weights

        s = self.settings
        frame = self._frame("training_data")
        assert frame is not None
        X, y = split_label(frame, s["label_column_name"], s["task"])
        weights_column = s.get("weight_column_name")
        X, weights = split_weights(X, weights_column)
        valid = self._frame("validation_data")
        if s["task"] == "forecasting":
            from jupyter_mlstudio.train.automl.forecasting import ForecastProblem

            f = s["forecasting"]
            return (
                ForecastProblem(
                    X,
                    y,
                    self.metric,
                    time_column=f["time_column_name"],
                    horizon=f["forecast_horizon"],
                    grains=f["time_series_id_column_names"],
                    lags=f["target_lags"],
                    window=f["target_rolling_window_size"],
                    n_cross_validations=s["n_cross_validations"] or 3,
                    featurization=s["featurization"],
                    seed=s["seed"],
                ),
                X,
                y,
            )
        X_valid = y_valid = weights_valid = None
        if valid is not None:
            X_valid, y_valid = split_label(valid, s["label_column_name"], s["task"])
            X_valid, weights_valid = split_weights(X_valid, weights_column)
        return (
            TabularProblem(
                s["task"],
                X,
                y,
                self.metric,
                featurization=s["featurization"],
                n_cross_validations=s["n_cross_validations"],
                validation_size=s["validation_size"],
                X_valid=X_valid,
                y_valid=y_valid,
                seed=s["seed"],
                sample_weight=weights,
                sample_weight_valid=weights_valid,
                positive_label=s.get("positive_label"),
            ),
            X,
            y,
        )

    def _guardrails(self, problem: Problem, X: pd.DataFrame, y: np.ndarray) -> None:
        s = self.settings
        k = len(problem.fold_sizes)
        if s["has_validation_data"]:
            how = f"the validation data given ({problem.fold_sizes[0]} rows)"
        elif s["task"] == "forecasting":
            how = f"{k} rolling-origin folds of {s['forecasting']['forecast_horizon']} time steps"
        elif k > 1:
            how = f"{k}-fold cross-validation"
        else:
            how = f"a {problem.fold_sizes[0]}-row holdout (validation_size)"
        guardrails = check_guardrails(
            "classification" if s["task"] == "classification" else "regression",
            X,
            y,
            n_folds=k,
            validation_rows=sum(problem.fold_sizes),
            featurization=s["featurization"],
            validation=how,
        )
        self.ws._artifacts.put_bytes(
            json.dumps(guardrails, indent=1).encode(), f"runs/{self.run_id}/{GUARDRAILS_PATH}"
        )
        self.log.write(format_guardrails(guardrails))
        self._add_properties(
            {"guardrails": json.dumps({g["type"]: g["status"] for g in guardrails})}
        )

    def _featurization_summary(self, problem: Problem) -> None:
        transformer = getattr(problem, "transformer", None)
        if transformer is None:  # forecasting: each fold's model featurizes its rows
            from jupyter_mlstudio.train.automl.featurization import DataTransformer

            transformer = DataTransformer(self.settings["featurization"]).fit(problem.X)  # type: ignore[attr-defined]
        self.ws._artifacts.put_bytes(
            json.dumps(transformer.get_featurization_summary(), indent=1).encode(),
            f"runs/{self.run_id}/{FEATURIZATION_PATH}",
        )

    def _add_properties(self, props: dict[str, str]) -> None:
        try:
            self.tracking.add_properties(self.run_id, props)
        except ConflictError:
            pass  # a resumed driver: the first record stays

    # ---- the loop ----------------------------------------------------------------------
    def run(self) -> None:
        """Claim the run, search, build the ensembles and end the run with the best child.

        Returns at once if another driver claimed this generation or the run has ended.
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
        s = self.settings
        budget = float(s["experiment_timeout_minutes"]) * 60
        # The budget counts from submission: the user's wall clock, start-up included.
        self.deadline = parent.created_at + budget
        # Ensembles come last and must fit in the budget: keep a little time for them.
        ensembles = [
            e
            for e, on in zip(
                ENSEMBLES, (s["enable_voting_ensemble"], s["enable_stack_ensemble"]), strict=True
            )
            if on
        ]
        self.trial_deadline = self.deadline - (min(0.12 * budget, 30.0) if ensembles else 0)
        self.max_trials = max(1, int(s["iterations"]) - len(ensembles))
        try:
            problem, X, y = self._problem()
        except MlStudioError as exc:
            self._end(RunStatus.FAILED, str(exc), {"code": "UserError", "message": str(exc)})
            return
        self.problem = problem
        self._guardrails(problem, X, y)
        self._featurization_summary(problem)
        self.strategy = SearchStrategy(list(s["models"]), self.metric, seed=s["seed"])
        self.columns = [str(c) for c in X.columns]
        self._header()
        self._adopt_children()
        if self.executor is None:
            target = self.ws._store.assets.get_compute_target(self.target)
            self.executor = executor_for(
                self.ws, target.name, target.type, int(s["max_concurrent_iterations"])
            )
        try:
            if self._search():
                return
            if len(self.done) >= 2 and not self._cancel_requested():
                for kind in ensembles:
                    if kind != ensembles[0] and time.time() > self.deadline:
                        self.log.write(f"{kind} skipped: the experiment timeout was reached.")
                        continue
                    if self._ensemble(kind):
                        return
            self._finish()
        finally:
            self.executor.shutdown()

    def _search(self) -> bool:
        """Run trials until a stop condition; True if the run ended (canceled, failed)."""
        assert self.executor is not None
        conc = int(self.settings["max_concurrent_iterations"])
        while True:
            if self._cancel_requested():
                self._cancel_all()
                return True
            now = time.time()
            if self.stop_reason is None:
                self.stop_reason = self._why_stop(now)
            while (
                self.stop_reason is None
                and self.executor.running() < conc
                and (self.next_n < self.max_trials)
            ):
                self._launch(now)
            for finished in self.executor.poll():
                self._finished(finished)
            if self.failures >= FAILURES_BEFORE_GIVING_UP and not self.done:
                last = next(reversed(self.trials.values()))
                message = (
                    f"The first {self.failures} iterations failed and none completed; "
                    f"the last ({last.candidate.model}) said: {self.last_error}"
                )
                self._end(RunStatus.FAILED, message, {"code": "TrialsFailed", "message": message})
                return True
            if self.stop_reason is not None and now >= self.trial_deadline:
                for trial in self._active():
                    # The baseline may use the time kept for the ensembles: without it the
                    # pick has nothing to be measured against.
                    if _is_anchor(trial.candidate) and now < self.deadline:
                        continue
                    self.executor.cancel(trial.n)
            if self.executor.running() == 0 and (
                self.stop_reason is not None or self.next_n >= self.max_trials
            ):
                if self.stop_reason:
                    self.log.write(self.stop_reason)
                return False
            self.wake.wait(POLL_SECONDS)

    def _why_stop(self, now: float) -> str | None:
        s = self.settings
        if now >= self.trial_deadline:
            return (
                f"Stopping: experiment_timeout_minutes="
                f"{float(s['experiment_timeout_minutes']):g} reached."
            )
        if self.next_n >= self.max_trials:
            return None
        exit_score = s.get("experiment_exit_score")
        if (
            exit_score is not None
            and self.best is not None
            and ((self.best >= exit_score) if self.maximize else (self.best <= exit_score))
        ):
            return f"Stopping: experiment_exit_score {exit_score} reached."
        tried_defaults = len(self.done) >= len(s["models"])
        if s["enable_early_stopping"] and tried_defaults and self.since_best >= EARLY_STOP_WINDOW:
            return (
                f"Stopping early: the score has not improved in the last "
                f"{EARLY_STOP_WINDOW} iterations."
            )
        return None

    def _active(self) -> list[Trial]:
        return [self.trials[n] for n in sorted(self._running)]

    def _launch(self, now: float) -> None:
        assert self.executor is not None
        left = self.trial_deadline - now
        candidate = self.strategy.propose(seconds_left=left)
        n = self.next_n
        self.next_n += 1
        trial = Trial(n, candidate, f"{self.run_id}_{n}", time.time())
        self.trials[n] = trial
        self.tracking.create_run(
            self.tracking.get_run(self.run_id).experiment_name,
            trial.run_id,
            CHILD_RUN_TYPE,
            status=RunStatus.RUNNING,
            parent_run_id=self.run_id,
            target=self.target,
            started=True,
            process=this_process(),
            definition={
                DEFINITION_KEY: {
                    "iteration": n,
                    "model": candidate.model,
                    "params": candidate.params,
                    "source": candidate.source,
                }
            },
            properties={
                "iteration": str(n),
                "run_algorithm": candidate.model,
                "run_preprocessor": MODELS[candidate.model].scaler or "",
                "pipeline_spec": json.dumps(
                    {"model": candidate.model, "params": candidate.params}, default=str
                ),
            },
        )
        limit = self.settings.get("iteration_timeout_minutes")
        end = self.deadline if _is_anchor(candidate) else self.trial_deadline
        timeout = max(1.0, end - now)
        if limit:
            timeout = min(timeout, float(limit) * 60)
        self._running.add(n)
        self.executor.submit(n, self.problem.evaluate, (candidate.model, candidate.params), timeout)

    def _finished(self, finished: Finished) -> None:
        trial = self.trials[finished.key]
        self._running.discard(trial.n)
        if finished.error is not None:
            self._trial_failed(trial, finished)
            return
        outcome: TrialOutcome = finished.result
        score = outcome.metrics.get(self.metric)
        if score is None or not math.isfinite(score):
            finished.error = f"The primary metric {self.metric} could not be computed."
            self._trial_failed(trial, finished)
            return
        trial.outcome, trial.score = outcome, float(score)
        self.strategy.tell(trial.candidate, trial.score, finished.seconds)
        self._record_success(trial, outcome, finished.seconds)
        self.done.append(trial)

    def _record_success(self, trial: Trial, outcome: TrialOutcome, seconds: float) -> None:
        prefix = f"runs/{trial.run_id}"
        buffer = io.BytesIO()
        joblib.dump(outcome.model, buffer)
        self.ws._artifacts.put_bytes(buffer.getvalue(), f"{prefix}/{MODEL_PATH}")
        npy = io.BytesIO()
        np.save(npy, np.asarray(outcome.oof), allow_pickle=False)
        self.ws._artifacts.put_bytes(npy.getvalue(), f"{prefix}/{OOF_PATH}")
        algorithm = trial.candidate.model
        self.ws._artifacts.put_bytes(
            scoring.scoring_script(trial.run_id, algorithm, self.columns).encode(),
            f"{prefix}/{scoring.SCORING_FILE}",
        )
        self.ws._artifacts.put_bytes(scoring.conda_env().encode(), f"{prefix}/{scoring.ENV_FILE}")
        now = time.time()
        points = [
            MetricPoint(name, "scalar", 0, float(value), None, now)
            for name, value in outcome.metrics.items()
            if value is not None and math.isfinite(value)
        ]
        self.tracking.log_batch(trial.run_id, points)
        self.tracking.add_properties(
            trial.run_id,
            {
                "score": repr(trial.score),
                "fit_time": f"{outcome.fit_seconds:.3f}",
                "training_percent": "100",
            },
        )
        self.tracking.update_run(trial.run_id, status=RunStatus.COMPLETED, ended=True)
        assert trial.score is not None
        improved = self.best is None or (
            trial.score > self.best if self.maximize else trial.score < self.best
        )
        if improved:
            self.best, self.since_best = trial.score, 0
        else:
            self.since_best += 1
        self.log.write(
            f"{trial.n:>5}   {_pipeline_name(algorithm):<45}  {_duration(seconds):<16}"
            f"  {trial.score:>8.4f}  {self.best:>8.4f}"
        )

    last_error = ""

    def _trial_failed(self, trial: Trial, finished: Finished) -> None:
        self.strategy.tell(trial.candidate, None, finished.seconds)
        error = finished.error or ""
        if error in ("timeout", "canceled"):
            status = RunStatus.CANCELED
            why = (
                "iteration_timeout_minutes or the experiment timeout was reached"
                if error == "timeout"
                else "the experiment stopped"
            )
            message = f"Iteration {trial.n} was stopped: {why}."
        else:
            status = RunStatus.FAILED
            self.failures += 1
            last = [line for line in error.strip().splitlines() if line.strip()]
            message = last[-1] if last else "The iteration failed."
            self.last_error = message
        self.tracking.update_run(
            trial.run_id,
            status=status,
            ended=True,
            error={
                "code": "IterationFailed" if status == RunStatus.FAILED else "Canceled",
                "message": message,
                "traceback": error[-4000:],
            },
        )
        self.log.write(
            f"{trial.n:>5}   {_pipeline_name(trial.candidate.model):<45}  "
            f"{_duration(finished.seconds):<16}  {'nan':>8}  "
            f"{self.best if self.best is not None else math.nan:>8.4f}   ({message})"
        )

    # ---- ensembles -------------------------------------------------------------------------
    def _ensemble(self, kind: str) -> bool:
        """Run one ensemble iteration; True if the run was canceled meanwhile."""
        assert self.executor is not None
        ranked = sorted(self.done, key=lambda t: t.score or 0.0, reverse=self.maximize)
        members = [(t.n, t.outcome) for t in ranked if t.outcome is not None]
        n = self.next_n
        self.next_n += 1
        candidate = Candidate(kind, {}, "ensemble")
        trial = Trial(n, candidate, f"{self.run_id}_{n}", time.time())
        self.trials[n] = trial
        self.tracking.create_run(
            self.tracking.get_run(self.run_id).experiment_name,
            trial.run_id,
            CHILD_RUN_TYPE,
            status=RunStatus.RUNNING,
            parent_run_id=self.run_id,
            target=self.target,
            started=True,
            process=this_process(),
            definition={
                DEFINITION_KEY: {"iteration": n, "model": kind, "params": {}, "source": "ensemble"}
            },
            properties={"iteration": str(n), "run_algorithm": kind, "run_preprocessor": ""},
        )
        left = self.deadline - time.time()
        # The selection stops itself in time; the limit is for an ensemble that hangs.
        seconds = max(1.0, 0.6 * left)
        self.executor.submit(
            n, _build_ensemble, (self.problem, kind, members, seconds), max(15.0, 2 * left + 10)
        )
        while self.executor.running():
            if self._cancel_requested():
                self._cancel_all()
                return True
            for finished in self.executor.poll():
                if finished.error is not None:
                    self._trial_failed(trial, finished)
                    continue
                outcome, used, weights = finished.result
                score = outcome.metrics.get(self.metric)
                if score is None or not math.isfinite(score):
                    finished.error = "The ensemble's score could not be computed."
                    self._trial_failed(trial, finished)
                    continue
                trial.outcome, trial.score = outcome, float(score)
                self.tracking.add_properties(
                    trial.run_id,
                    {
                        "ensembled_iterations": json.dumps(used),
                        "ensembled_algorithms": json.dumps(
                            [self.trials[i].candidate.model for i in used]
                        ),
                        **({"ensemble_weights": json.dumps(weights)} if weights else {}),
                        "pipeline_spec": json.dumps({"model": kind, "members": used}),
                    },
                )
                self._record_success(trial, outcome, finished.seconds)
                self.done.append(trial)
            self.wake.wait(POLL_SECONDS)
        return False

    # ---- restart -------------------------------------------------------------------------
    def _adopt_children(self) -> None:
        """Take over the iterations of an earlier driver of this run."""
        children = self.tracking.search_runs(RunsFilter(parent_run_id=self.run_id))
        adopted = 0
        for record in sorted(children, key=lambda r: r.number):
            info = record.definition.get(DEFINITION_KEY) or {}
            if "iteration" not in info:
                continue
            n = int(info["iteration"])
            self.next_n = max(self.next_n, n + 1)
            candidate = Candidate(
                info["model"], dict(info.get("params") or {}), info.get("source", "default")
            )
            trial = Trial(n, candidate, record.run_id, record.started_at or time.time())
            self.trials[n] = trial
            if candidate.source == "ensemble":
                if not record.is_terminal:  # ensembles are rebuilt at the end
                    self.tracking.update_run(record.run_id, status=RunStatus.CANCELED, ended=True)
                continue
            self.strategy.skip_default(candidate.model)
            if record.status == RunStatus.COMPLETED:
                prefix = f"runs/{record.run_id}"
                oof = np.load(io.BytesIO(self.ws._artifacts.read_bytes(f"{prefix}/{OOF_PATH}")))
                model = joblib.load(
                    io.BytesIO(self.ws._artifacts.read_bytes(f"{prefix}/{MODEL_PATH}"))
                )
                metrics = {
                    k: v.value
                    for k, v in self.tracking.latest_metrics([record.run_id])[record.run_id].items()
                    if v.value is not None
                }
                trial.outcome = TrialOutcome(metrics, oof, model, 0.0)
                trial.score = metrics.get(self.metric)
                self.strategy.tell(candidate, trial.score, 0.0)
                self.done.append(trial)
                if trial.score is not None and (
                    self.best is None
                    or (trial.score > self.best if self.maximize else trial.score < self.best)
                ):
                    self.best = trial.score
                adopted += 1
            elif not record.is_terminal:
                self.tracking.update_run(
                    record.run_id,
                    status=RunStatus.CANCELED,
                    ended=True,
                    error={
                        "code": "DriverRestarted",
                        "message": "The AutoML driver restarted during this iteration.",
                    },
                )
        # Iterations are not repeated after a restart; ensembles are rebuilt at the end.
        self.next_n = max(self.next_n, 0)
        self.max_trials = max(self.max_trials, 0)
        if adopted:
            self.log.write(f"Resumed with {adopted} completed iterations.")

    # ---- the end -----------------------------------------------------------------------
    def _cancel_all(self) -> None:
        assert self.executor is not None
        self.executor.shutdown()
        for trial in self.trials.values():
            self.tracking.update_run(trial.run_id, status=RunStatus.CANCELED, ended=True)
        self._end(RunStatus.CANCELED, "The AutoML run was canceled.", None)

    def _header(self) -> None:
        bar = "*" * 100
        self.log.write(
            "\n".join(
                [
                    bar,
                    "ITER: The iteration being evaluated.",
                    "PIPELINE: A summary description of the pipeline being evaluated.",
                    "DURATION: Time taken for the current iteration.",
                    f"METRIC: The result of computing {self.metric} on the fitted pipeline.",
                    "BEST: The best observed score thus far.",
                    bar,
                    "",
                    f" {'ITER':>4}   {'PIPELINE':<45}  {'DURATION':<16}"
                    f"  {'METRIC':>8}  {'BEST':>8}",
                ]
            )
        )

    def _finish(self) -> None:
        if not self.done:
            message = "No iteration completed" + (
                f"; the last error: {self.last_error}"
                if self.last_error
                else " within the time budget."
            )
            self._end(
                RunStatus.FAILED, message, {"code": "NoIterationCompleted", "message": message}
            )
            return
        best = (max if self.maximize else min)(self.done, key=lambda t: t.score or 0.0)
        anchor = next((t for t in self.done if _is_anchor(t.candidate)), None)
        if anchor is not None and best is not anchor and not self._clearly_better(best, anchor):
            self.log.write(
                f"Keeping iteration {anchor.n} (the default {ANCHOR_MODEL}): iteration "
                f"{best.n}'s lead on {self.metric} is within one standard error of the "
                "fold-by-fold differences."
            )
            best = anchor
        self._add_properties(
            {
                "best_child_run_id": best.run_id,
                "score": repr(best.score),
                "best_iteration": str(best.n),
                "best_algorithm": best.candidate.model,
            }
        )
        self._end(
            RunStatus.COMPLETED,
            f"Best: iteration {best.n} ({best.candidate.model}) {self.metric} {best.score:.4f}.",
            None,
        )

    def _clearly_better(self, challenger: Trial, anchor: Trial) -> bool:
        """Whether ``challenger`` beats ``anchor`` by more than one standard error.

        The default HistGradientBoosting is a strong baseline; the best of many trials
        (or an ensemble of them) is ahead of it on the validation folds partly by luck.
        It replaces the baseline only when its lead, fold by fold, is larger than the
        folds' own spread says luck would give.
        """
        if challenger.outcome is None or anchor.outcome is None:
            return True
        return self.problem.clearly_better(
            np.asarray(challenger.outcome.oof), np.asarray(anchor.outcome.oof)
        )

    def _end(self, status: RunStatus, reason: str, error: dict[str, Any] | None) -> None:
        elapsed = time.time() - getattr(self, "started", time.time())
        self.log.write(
            f"\nAutoML {str(status).lower()} after {len(self.trials)} iterations in "
            f"{elapsed:.1f} s. {reason}"
        )
        self.tracking.update_run(self.run_id, status=status, ended=True, error=error)

    def abort(self, exc: BaseException) -> None:
        """End the run as failed after the driver itself crashed (its trials canceled).

        Parameters
        ----------
        exc : BaseException
            What the driver raised (its type and message go into the run's error).
        """
        if self.executor is not None:
            self.executor.shutdown()
        for trial in self.trials.values():
            self.tracking.update_run(trial.run_id, status=RunStatus.CANCELED, ended=True)
        self.tracking.update_run(
            self.run_id,
            status=RunStatus.FAILED,
            ended=True,
            error={
                "code": "AutoMLDriverError",
                "message": f"The AutoML driver failed: {type(exc).__name__}: {exc}",
            },
        )


def _build_ensemble(
    problem: Problem, kind: str, members: list[tuple[int, TrialOutcome]], seconds: float
) -> tuple[TrialOutcome, list[int], list[float]]:
    """Runs in a worker: the ensemble, its metrics and which iterations it holds."""
    from jupyter_mlstudio.train.automl.ensembles import build_stack, build_voting

    started = time.perf_counter()
    if kind == "VotingEnsemble":
        model, oof, used, weights = build_voting(problem, members, seconds)
    else:
        model, oof, used = build_stack(problem, members)
        weights = []
    return (
        TrialOutcome(problem.scores(oof), oof, model, time.perf_counter() - started),
        used,
        (weights),
    )


def main(argv: list[str] | None = None) -> int:
    """Run the driver for the JSON spec in ``argv[0]``; return the process's exit code.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default ``sys.argv[1:]``): one JSON object with ``workspace_config``,
        ``run_id`` and ``generation``.

    Returns
    -------
    int
        0, or 1 when the driver crashed (the run is then marked failed).
    """
    return serve(argv, AutoMLDriver)


if __name__ == "__main__":
    sys.exit(main())
