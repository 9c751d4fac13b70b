"""``Estimator`` (deprecated in Azure ML, still in its tutorials): a script plus packages.

It becomes a :class:`~jupyter_mlstudio.core.ScriptRunConfig` when submitted;
``script_params={'--max-depth': 10}`` become the script's arguments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.core.conda_dependencies import CondaDependencies
from jupyter_mlstudio.core.environment import Environment
from jupyter_mlstudio.core.script_run_config import ScriptRunConfig

if TYPE_CHECKING:
    from jupyter_mlstudio.core.experiment import Experiment
    from jupyter_mlstudio.core.run import Run

__all__ = ["Estimator"]


class Estimator:
    """A training script with its packages (azureml.train.estimator.Estimator)."""

    _framework = "Python"

    def __init__(
        self,
        source_directory: str,
        *,
        compute_target: Any = None,
        vm_size: str | None = None,
        vm_priority: str | None = None,
        entry_script: str | None = None,
        script_params: Mapping[str, Any] | None = None,
        node_count: int = 1,
        process_count_per_node: int = 1,
        distributed_backend: Any = None,
        distributed_training: Any = None,
        use_gpu: bool = False,
        use_docker: bool = True,
        custom_docker_base_image: str | None = None,
        custom_docker_image: str | None = None,
        image_registry_details: Any = None,
        user_managed: bool = False,
        conda_packages: Sequence[str] | None = None,
        pip_packages: Sequence[str] | None = None,
        conda_dependencies_file_path: str | None = None,
        pip_requirements_file_path: str | None = None,
        conda_dependencies_file: str | None = None,
        pip_requirements_file: str | None = None,
        environment_variables: Mapping[str, str] | None = None,
        environment_definition: Environment | None = None,
        inputs: Any = None,
        source_directory_data_store: Any = None,
        shm_size: str | None = None,
        resume_from: Any = None,
        max_run_duration_seconds: int | None = None,
        framework_version: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.source_directory = source_directory
        self.entry_script = entry_script
        self.script_params = dict(script_params or {})
        self.compute_target = compute_target
        self.node_count = node_count
        self.max_run_duration_seconds = max_run_duration_seconds
        self.framework_version = framework_version
        if environment_definition is not None:
            env = environment_definition
        else:
            env = Environment(f"{type(self).__name__.lower()}-environment")
            env.python.user_managed_dependencies = user_managed
            conda_file = conda_dependencies_file_path or conda_dependencies_file
            if conda_file:
                env.python.conda_dependencies = CondaDependencies(conda_file)
            for package in conda_packages or ():
                env.python.conda_dependencies.add_conda_package(package)
            for package in [*self._default_pip_packages(), *(pip_packages or ())]:
                env.python.conda_dependencies.add_pip_package(package)
            if custom_docker_image or custom_docker_base_image:
                env.docker.base_image = custom_docker_image or custom_docker_base_image
        if environment_variables:
            env.environment_variables.update({k: str(v) for k, v in environment_variables.items()})
        self.environment = env

    def _default_pip_packages(self) -> list[str]:
        return []

    def _arguments(self) -> list[Any]:
        arguments: list[Any] = []
        for key, value in self.script_params.items():
            arguments.append(key)
            if value is not None and value != "":
                arguments.append(value)
        return arguments

    @property
    def run_config(self) -> ScriptRunConfig:
        """The equivalent ScriptRunConfig."""
        return ScriptRunConfig(
            source_directory=self.source_directory,
            script=self.entry_script,
            arguments=self._arguments(),
            compute_target=self.compute_target,
            environment=self.environment,
            max_run_duration_seconds=self.max_run_duration_seconds
            or ScriptRunConfig.MAX_DURATION_SECONDS_DEFAULT,
        )

    def _submit(
        self, experiment: Experiment, tags: Mapping[str, str] | None = None, **kwargs: Any
    ) -> Run:
        from jupyter_mlstudio.core._job_submission import submit_script

        return submit_script(
            experiment,
            self.run_config,
            tags=tags,
            properties={"azureml.estimator": type(self).__name__},
            **kwargs,
        )
