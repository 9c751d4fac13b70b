"""``ScriptRunConfig``: a script, its arguments, where and in which environment it runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.core.runconfig import RunConfiguration

if TYPE_CHECKING:
    from jupyter_mlstudio.core.environment import Environment
    from jupyter_mlstudio.core.experiment import Experiment
    from jupyter_mlstudio.core.run import Run

__all__ = ["ScriptRunConfig"]


class ScriptRunConfig:
    """What to run for a script run (azureml.core.ScriptRunConfig)::

    src = ScriptRunConfig(source_directory="code", script="train.py",
                          arguments=["--max-depth", 5], compute_target="local")
    run = Experiment(ws, "wine").submit(src)
    """

    MAX_DURATION_SECONDS_DEFAULT = 2592000

    def __init__(
        self,
        source_directory: str | None = None,
        script: str | None = None,
        arguments: Sequence[Any] | None = None,
        run_config: RunConfiguration | None = None,
        _telemetry_values: Any = None,
        compute_target: Any = None,
        environment: Environment | None = None,
        distributed_job_config: Any = None,
        resume_from: Any = None,
        max_run_duration_seconds: int | None = MAX_DURATION_SECONDS_DEFAULT,
        command: str | Sequence[str] | None = None,
        docker_runtime_config: Any = None,
    ) -> None:
        self.source_directory = source_directory or "."
        self.run_config = run_config or RunConfiguration()
        self.script = script or self.run_config.script
        self.arguments = list(arguments if arguments is not None else self.run_config.arguments)
        self.command = command if command is not None else self.run_config.command
        if compute_target is not None:
            self.run_config.target = compute_target
        if environment is not None:
            self.run_config.environment = environment
        self.distributed_job_config = distributed_job_config
        self.max_run_duration_seconds = max_run_duration_seconds
        self.docker_runtime_config = docker_runtime_config

    @property
    def compute_target(self) -> Any:
        """Where the script runs (``run_config.target``): ``'local'`` or a target or its name."""
        return self.run_config.target

    @property
    def environment(self) -> Environment:
        """The environment the script runs in (``run_config.environment``)."""
        return self.run_config.environment

    def _submit(
        self, experiment: Experiment, tags: Mapping[str, str] | None = None, **kwargs: Any
    ) -> Run:
        from jupyter_mlstudio.core._job_submission import submit_script

        return submit_script(experiment, self, tags=tags, **kwargs)
