"""Run configuration classes (azureml.core.runconfig)."""

from __future__ import annotations

from typing import Any

from jupyter_mlstudio.core.environment import Environment

__all__ = [
    "DockerConfiguration",
    "MpiConfiguration",
    "PyTorchConfiguration",
    "RunConfiguration",
    "TensorflowConfiguration",
]


class DockerConfiguration:
    """Recorded for compatibility: local runs do not use containers."""

    def __init__(
        self,
        use_docker: bool = False,
        shared_volumes: bool = True,
        arguments: list[str] | None = None,
        shm_size: str | None = None,
    ) -> None:
        self.use_docker = use_docker
        self.shared_volumes = shared_volumes
        self.arguments = list(arguments or [])
        self.shm_size = shm_size


class MpiConfiguration:
    """An MPI job's layout (azureml.core.runconfig.MpiConfiguration).

    Recorded for compatibility: locally the script runs as one process, without an MPI
    launcher.

    Parameters
    ----------
    process_count_per_node : int
        Processes per node.
    node_count : int
        Nodes.
    """

    def __init__(self, process_count_per_node: int = 1, node_count: int = 1) -> None:
        self.process_count_per_node = process_count_per_node
        self.node_count = node_count


class PyTorchConfiguration(MpiConfiguration):
    """A distributed PyTorch job's layout (azureml.core.runconfig.PyTorchConfiguration).

    Recorded for compatibility: locally the script runs as one process; no process group
    is launched for it.

    Parameters
    ----------
    communication_backend : str
        ``Nccl`` or ``Gloo``.
    process_count : int, optional
        Processes in all.
    node_count : int
        Nodes.
    """

    def __init__(
        self,
        communication_backend: str = "Nccl",
        process_count: int | None = None,
        node_count: int = 1,
    ) -> None:
        super().__init__(1, node_count)
        self.communication_backend = communication_backend
        self.process_count = process_count


class TensorflowConfiguration(MpiConfiguration):
    """A distributed TensorFlow job's layout (azureml.core.runconfig.TensorflowConfiguration).

    Recorded for compatibility: locally the script runs as one process.

    Parameters
    ----------
    worker_count : int
        Workers.
    parameter_server_count : int
        Parameter servers.
    """

    def __init__(self, worker_count: int = 1, parameter_server_count: int = 1) -> None:
        super().__init__(1, 1)
        self.worker_count = worker_count
        self.parameter_server_count = parameter_server_count


class RunConfiguration:
    """How a script runs: target, environment, and the script and arguments themselves."""

    def __init__(
        self,
        script: str | None = None,
        arguments: list[Any] | None = None,
        framework: str | None = None,
        communicator: str | None = None,
        conda_dependencies: Any = None,
        _history_enabled: bool | None = None,
        _path: str | None = None,
        _name: str | None = None,
        command: str | list[str] | None = None,
    ) -> None:
        self.script = script
        self.arguments = list(arguments or [])
        self.framework = framework or "Python"
        self.communicator = communicator or "None"
        self.command = command
        self.target: Any = "local"
        self.node_count = 1
        self.max_run_duration_seconds: int | None = None
        self.docker = DockerConfiguration()
        self.environment = Environment("default-environment")
        if conda_dependencies is not None:
            self.environment.python.conda_dependencies = conda_dependencies
        self.data: dict[str, Any] = {}
        self.data_references: dict[str, Any] = {}
        self.output_data: dict[str, Any] = {}

    @property
    def environment_variables(self) -> dict[str, str]:
        """Variables set for the run's process (those of ``environment``)."""
        return self.environment.environment_variables

    @environment_variables.setter
    def environment_variables(self, value: dict[str, str]) -> None:
        self.environment.environment_variables = dict(value)
