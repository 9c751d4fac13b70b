"""``HyperDriveConfig``: what a sweep runs, how it samples, when it stops.

Everything is checked here, before a run is created: a config that cannot run raises a
``ValidationError`` that says what to change. Submitting it stores the sweep as data on a
parent run of type ``hyperdrive`` and starts its controller process::

    cfg = HyperDriveConfig(run_config=src, hyperparameter_sampling=sampling,
                           policy=BanditPolicy(slack_factor=0.1),
                           primary_metric_name="AUC",
                           primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
                           max_total_runs=20, max_concurrent_runs=2)
    hd = Experiment(ws, "sweep").submit(cfg)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.core.script_run_config import ScriptRunConfig
from jupyter_mlstudio.errors import ValidationError
from jupyter_mlstudio.train.hyperdrive.policy import (
    EarlyTerminationPolicy,
    NoTerminationPolicy,
)
from jupyter_mlstudio.train.hyperdrive.sampling import (
    BayesianParameterSampling,
    GridParameterSampling,
    HyperParameterSampling,
)

if TYPE_CHECKING:
    from jupyter_mlstudio.core.experiment import Experiment
    from jupyter_mlstudio.train.hyperdrive.run import HyperDriveRun

__all__ = ["HyperDriveConfig", "PrimaryMetricGoal"]

RUN_TYPE = "hyperdrive"
DEFINITION_KEY = "hyperdrive"


class PrimaryMetricGoal(Enum):
    """Whether the primary metric should go up or down."""

    MAXIMIZE = "MAXIMIZE"
    MINIMIZE = "MINIMIZE"

    @staticmethod
    def _parse(value: Any) -> PrimaryMetricGoal:
        if isinstance(value, PrimaryMetricGoal):
            return value
        try:
            return PrimaryMetricGoal(str(getattr(value, "value", value)).upper())
        except ValueError:
            raise ValidationError(
                f"primary_metric_goal must be PrimaryMetricGoal.MAXIMIZE or MINIMIZE, "
                f"not {value!r}.",
            ) from None


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(f"{name} must be a positive integer, not {value!r}.")
    return value


class HyperDriveConfig:
    """A hyperparameter sweep (azureml.train.hyperdrive.HyperDriveConfig).

    Each trial is a child run of the sweep, running ``run_config`` (a ScriptRunConfig, or
    an Estimator's) with the sampled values appended to its arguments as ``<key> <value>``.
    """

    def __init__(
        self,
        hyperparameter_sampling: HyperParameterSampling,
        primary_metric_name: str,
        primary_metric_goal: PrimaryMetricGoal | str,
        max_total_runs: int | None = None,
        max_concurrent_runs: int | None = None,
        max_duration_minutes: float = 10080,
        policy: EarlyTerminationPolicy | None = None,
        estimator: Any = None,
        run_config: ScriptRunConfig | None = None,
        resume_from: Any = None,
        resume_child_runs: Any = None,
        pipeline: Any = None,
        debug_flag: Any = None,
        custom_run_id: str | None = None,
    ) -> None:
        if not isinstance(hyperparameter_sampling, HyperParameterSampling):
            raise ValidationError(
                "hyperparameter_sampling must be a RandomParameterSampling, "
                "GridParameterSampling or BayesianParameterSampling, not "
                f"{type(hyperparameter_sampling).__name__}.",
            )
        if not isinstance(primary_metric_name, str) or not primary_metric_name.strip():
            raise ValidationError(
                f"primary_metric_name must name the metric the trials log, "
                f"not {primary_metric_name!r}.",
                hint="The training script logs it with run.log(name, value).",
            )
        goal = PrimaryMetricGoal._parse(primary_metric_goal)
        if pipeline is not None:
            raise ValidationError(
                "Sweeping a pipeline is not supported yet.",
                hint="Sweep a ScriptRunConfig (run_config=) or an Estimator (estimator=).",
            )
        if resume_from is not None or resume_child_runs is not None:
            raise ValidationError(
                "Warm-starting a sweep (resume_from / resume_child_runs) is not supported yet.",
                hint="Submit the sweep without them.",
            )
        if (estimator is None) == (run_config is None):
            raise ValidationError(
                "HyperDriveConfig needs exactly one of run_config (a ScriptRunConfig) and "
                "estimator.",
            )
        trial = run_config if run_config is not None else getattr(estimator, "run_config", None)
        if not isinstance(trial, ScriptRunConfig):
            raise ValidationError(
                f"run_config must be a ScriptRunConfig, not {type(trial).__name__}.",
            )
        if policy is not None and not isinstance(policy, EarlyTerminationPolicy):
            raise ValidationError(
                "policy must be a BanditPolicy, MedianStoppingPolicy, TruncationSelectionPolicy "
                f"or NoTerminationPolicy, not {type(policy).__name__}.",
            )
        if isinstance(hyperparameter_sampling, BayesianParameterSampling) and not (
            policy is None or isinstance(policy, NoTerminationPolicy)
        ):
            raise ValidationError(
                f"Bayesian sampling does not support early termination ({policy!r}).",
                hint="Use policy=None (or NoTerminationPolicy()) with "
                "BayesianParameterSampling, or sample at random to stop trials early.",
            )
        if isinstance(hyperparameter_sampling, GridParameterSampling):
            size = hyperparameter_sampling.grid_size
            max_total_runs = size if max_total_runs is None else min(max_total_runs, size)
        if max_total_runs is None:
            raise ValidationError(
                "max_total_runs is needed with random and Bayesian sampling.",
                hint="Pass max_total_runs=20 (the number of trials to run at most).",
            )
        self.max_total_runs = _positive_int("max_total_runs", max_total_runs)
        if max_concurrent_runs is not None:
            max_concurrent_runs = min(
                _positive_int("max_concurrent_runs", max_concurrent_runs), self.max_total_runs
            )
        if (
            isinstance(max_duration_minutes, bool)
            or not isinstance(max_duration_minutes, int | float)
            or not max_duration_minutes > 0
        ):
            raise ValidationError(
                f"max_duration_minutes must be above 0, not {max_duration_minutes!r}."
            )
        self.max_concurrent_runs = max_concurrent_runs
        self.max_duration_minutes = max_duration_minutes
        self.hyperparameter_sampling = hyperparameter_sampling
        self.primary_metric_name = primary_metric_name
        self.primary_metric_goal = goal
        self.policy = policy or NoTerminationPolicy()
        self.run_config = trial
        self.estimator = estimator
        self.custom_run_id = custom_run_id

    # ---- submission --------------------------------------------------------------------
    def _definition(self, experiment: Experiment, max_concurrent: int) -> dict[str, Any]:
        """The sweep as data: what the controller reads from the parent run."""
        from jupyter_mlstudio.core._job_inputs import JobInputs
        from jupyter_mlstudio.core._job_submission import job_argument

        src = self.run_config
        ws = experiment.workspace
        env = src.environment
        command = src.command
        # Datasets and outputs in the arguments: resolved once here, given to every trial.
        inputs = JobInputs()
        arguments = [job_argument(ws, a, inputs) for a in src.arguments]
        return {
            "sampling": self.hyperparameter_sampling.to_json(),
            "policy": self.policy.to_json(),
            "primary_metric_name": self.primary_metric_name,
            "primary_metric_goal": self.primary_metric_goal.value,
            "max_total_runs": self.max_total_runs,
            "max_concurrent_runs": max_concurrent,
            "max_duration_minutes": self.max_duration_minutes,
            "trial": {
                "script": src.script,
                "arguments": arguments,
                "inputs": inputs.to_json(),
                "command": command
                if command is None or isinstance(command, str)
                else [str(c) for c in command],
                "compute_target": _target_name(src.compute_target),
                "environment": env.get_definition(),
                "environment_version": env.version,
                "max_run_duration_seconds": src.max_run_duration_seconds,
                "source_directory": str(Path(src.source_directory).expanduser().resolve()),
            },
        }

    def _submit(
        self, experiment: Experiment, tags: Mapping[str, str] | None = None, **kwargs: Any
    ) -> HyperDriveRun:
        from jupyter_mlstudio.core._job_submission import _command
        from jupyter_mlstudio.core._snapshot import list_snapshot_files, snapshot_prefix
        from jupyter_mlstudio.core.experiment import new_run_id
        from jupyter_mlstudio.core.run import Run
        from jupyter_mlstudio.store import RunStatus
        from jupyter_mlstudio.train.hyperdrive._launch import launch_controller

        ws = experiment.workspace
        src = self.run_config
        source = Path(src.source_directory).expanduser().resolve()
        _command(src, source)  # the script exists: say so now, not in every trial
        files = list_snapshot_files(source)  # and the source folder is within the limits
        target = ws._store.assets.get_compute_target(_target_name(src.compute_target))
        max_concurrent = self.max_concurrent_runs or min(
            self.max_total_runs, target.max_concurrency
        )
        definition = {DEFINITION_KEY: self._definition(experiment, max_concurrent)}
        goal = self.primary_metric_goal.value.lower()
        record = ws._store.tracking.create_run(
            experiment.name,
            self.custom_run_id or new_run_id(experiment.name),
            RUN_TYPE,
            status=RunStatus.NOT_STARTED,
            target=target.name,
            definition=definition,
            tags=tags,
            properties={
                "primary_metric_config": json.dumps(
                    {"name": self.primary_metric_name, "goal": goal}
                ),
                "runTemplate": "HyperDrive",
                "azureml.runsource": "hyperdrive",
            },
            experiment=experiment._record,
        )
        # One snapshot for the sweep: every trial runs the code as it was at submit time.
        for path, rel in files:
            ws._artifacts.put_file(path, f"{snapshot_prefix(record.run_id)}/{rel}")
        launch_controller(ws, record.run_id, generation=0)
        return Run._for_record(experiment, ws._store.tracking.get_run(record.run_id))  # type: ignore[return-value]


def _target_name(target: Any) -> str:
    from jupyter_mlstudio.core._job_submission import _target_name as name

    return name(target)
