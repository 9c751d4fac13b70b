"""Environments: the Python and packages a run uses (azureml.core.Environment).

A definition (pip and conda packages, variables, docker settings) is recorded and versioned
with ``register``. When a run starts, its supervisor materializes the definition
(``jupyter_mlstudio.execution.environments``): packages this Python already has need no
build; otherwise a virtual environment is built once per definition and shared by every
job, step, trial and endpoint using it, with a Jupyter kernel of its own. With
``env.python.user_managed_dependencies = True`` the interpreter in
``env.python.interpreter_path`` runs as it is.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.core._names import check_name
from jupyter_mlstudio.core.conda_dependencies import CondaDependencies
from jupyter_mlstudio.errors import ValidationError

if TYPE_CHECKING:
    from jupyter_mlstudio.core.workspace import Workspace

__all__ = ["DockerSection", "Environment", "PythonSection"]


class PythonSection:
    """``env.python``: how the environment's Python is set up."""

    def __init__(self) -> None:
        self.user_managed_dependencies = False
        self.interpreter_path = "python"
        self.conda_dependencies_file: str | None = None
        self.base_conda_environment: str | None = None
        self.conda_dependencies = CondaDependencies()

    def to_dict(self) -> dict[str, Any]:
        """Return the section as the JSON of an environment definition (camelCase keys)."""
        return {
            "userManagedDependencies": self.user_managed_dependencies,
            "interpreterPath": self.interpreter_path,
            "condaDependencies": self.conda_dependencies.as_dict(),
            "baseCondaEnvironment": self.base_conda_environment,
        }


class DockerSection:
    """``env.docker``: recorded for compatibility; local runs do not use containers."""

    def __init__(self) -> None:
        self.enabled = False
        self.base_image: str | None = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04"
        self.base_dockerfile: str | None = None
        self.shm_size = "2g"
        self.arguments: list[str] = []

    def to_dict(self) -> dict[str, Any]:
        """Return the section as the JSON of an environment definition (camelCase keys)."""
        return {
            "enabled": self.enabled,
            "baseImage": self.base_image,
            "baseDockerfile": self.base_dockerfile,
            "shmSize": self.shm_size,
            "arguments": list(self.arguments),
        }


class Environment:
    """A named, versioned description of the Python environment a run uses."""

    def __init__(self, name: str, **kwargs: Any) -> None:
        check_name("environment", name)
        self.name = name
        self.version: str | None = None
        self.python = PythonSection()
        self.docker = DockerSection()
        self.environment_variables: dict[str, str] = {}
        self.inferencing_stack_version: str | None = None
        self.spark: Any = None
        self.r: Any = None

    # ---- factories ---------------------------------------------------------------------
    @staticmethod
    def from_pip_requirements(
        name: str, file_path: str | os.PathLike[str], pip_version: str | None = None
    ) -> Environment:
        """An environment with the packages of a pip requirements file.

        Parameters
        ----------
        name : str
            The environment's name.
        file_path : str or path
            A ``requirements.txt``; comments and blank lines are skipped.
        pip_version : str, optional
            Recorded as a ``pip=<version>`` conda package.
        """
        path = Path(file_path)
        if not path.is_file():
            raise ValidationError(f"The requirements file {path} does not exist.", path=str(path))
        env = Environment(name)
        for line in path.read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                env.python.conda_dependencies.add_pip_package(line)
        if pip_version:
            env.python.conda_dependencies.add_conda_package(f"pip={pip_version}")
        return env

    @staticmethod
    def from_conda_specification(name: str, file_path: str | os.PathLike[str]) -> Environment:
        """An environment from a conda YAML file (``dependencies:`` with an optional ``pip:``).

        Without conda on this machine, conda packages are installed from PyPI under the same
        name (a few known renames, e.g. ``pytorch`` -> ``torch``); one that is not on PyPI
        fails the run's build with a message that says so.
        """
        path = Path(file_path)
        if not path.is_file():
            raise ValidationError(f"The conda file {path} does not exist.", path=str(path))
        env = Environment(name)
        env.python.conda_dependencies = CondaDependencies(path)
        return env

    @staticmethod
    def from_existing_conda_environment(name: str, conda_environment_name: str) -> Environment:
        """An environment that runs an existing conda environment's Python as it is (by name,
        found with ``conda env list``, or by its folder)."""
        env = Environment(name)
        env.python.user_managed_dependencies = True
        env.python.base_conda_environment = conda_environment_name
        return env

    @staticmethod
    def from_docker_image(
        name: str,
        image: str,
        container_registry: Any = None,
        conda_specification: str | None = None,
        pip_requirements: str | None = None,
    ) -> Environment:
        """Make an environment recorded with a docker base image.

        Local runs use no containers: ``image`` is only recorded in ``env.docker.base_image``;
        the packages come from ``conda_specification`` or ``pip_requirements`` (a file path;
        the first given wins), as in :meth:`from_conda_specification` and
        :meth:`from_pip_requirements`. ``container_registry`` is accepted and ignored.

        Returns
        -------
        Environment
            The new, unregistered environment.
        """
        if conda_specification:
            env = Environment.from_conda_specification(name, conda_specification)
        elif pip_requirements:
            env = Environment.from_pip_requirements(name, pip_requirements)
        else:
            env = Environment(name)
        env.docker.base_image = image
        return env

    def clone(self, new_name: str) -> Environment:
        """Return a deep copy under ``new_name``, without a version (not registered yet).

        Raises
        ------
        ValidationError
            ``new_name`` is not a valid environment name.
        """
        env = copy.deepcopy(self)
        env.name = check_name("environment", new_name)
        env.version = None
        return env

    # ---- definition --------------------------------------------------------------------
    def get_definition(self) -> dict[str, Any]:
        """Return the environment as a JSON-ready dict.

        Returns
        -------
        dict
            ``name``, ``python``, ``docker``, ``environmentVariables`` and
            ``inferencingStackVersion``: what :meth:`register` stores.
        """
        return {
            "name": self.name,
            "python": self.python.to_dict(),
            "docker": self.docker.to_dict(),
            "environmentVariables": dict(self.environment_variables),
            "inferencingStackVersion": self.inferencing_stack_version,
        }

    def fingerprint(self) -> str:
        """Return a SHA-256 hex digest of the definition, leaving out the name.

        Two environments with the same packages, variables and settings share a fingerprint,
        and so share one built virtual environment.
        """
        definition = self.get_definition()
        definition.pop("name")
        return hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()

    @staticmethod
    def _from_definition(definition: dict[str, Any], version: int | None = None) -> Environment:
        env = Environment(definition["name"])
        py = definition.get("python") or {}
        env.python.user_managed_dependencies = bool(py.get("userManagedDependencies"))
        env.python.interpreter_path = py.get("interpreterPath") or "python"
        env.python.base_conda_environment = py.get("baseCondaEnvironment")
        env.python.conda_dependencies = CondaDependencies(
            _underlying_structure=py.get("condaDependencies") or None
        )
        docker = definition.get("docker") or {}
        env.docker.enabled = bool(docker.get("enabled"))
        env.docker.base_image = docker.get("baseImage")
        env.docker.base_dockerfile = docker.get("baseDockerfile")
        env.environment_variables = dict(definition.get("environmentVariables") or {})
        env.inferencing_stack_version = definition.get("inferencingStackVersion")
        env.version = None if version is None else str(version)
        return env

    def build_local(
        self, workspace: Workspace | None = None, useDocker: bool = False, **kwargs: Any
    ) -> str:
        """Materialize this environment on this machine now; returns its Python.

        The build output is printed; a later run with the same definition reuses the
        result. Raises ``EnvironmentBuildError`` (with pip's reason) when it fails.
        """
        from jupyter_mlstudio.execution.environments import materialize

        result = materialize(self.get_definition(), self.fingerprint(), print)
        return result.python

    def python_executable(self) -> str:
        """The interpreter a run in this environment uses."""
        path = self.python.interpreter_path
        if self.python.user_managed_dependencies and path and path != "python":
            return path
        return sys.executable

    # ---- registry ----------------------------------------------------------------------
    def register(self, workspace: Workspace) -> Environment:
        """Store this definition; the version goes up only when the definition changed."""
        record = workspace._store.assets.register_environment(
            self.name, self.get_definition(), self.fingerprint()
        )
        self.version = str(record.version)
        return Environment._from_definition(record.definition, record.version)

    @staticmethod
    def get(
        workspace: Workspace, name: str, version: str | int | None = None, label: str | None = None
    ) -> Environment:
        """A registered environment (the latest version unless ``version``), or a curated one
        (``mlstudio-sklearn``, ``AzureML-Minimal``...) that this Python satisfies."""
        if name in CURATED:
            return CURATED[name]()
        record = workspace._store.assets.get_environment(
            name, int(version) if version is not None else None
        )
        return Environment._from_definition(record.definition, record.version)

    @staticmethod
    def list(workspace: Workspace) -> dict[str, Environment]:
        """The curated environments and the latest version of each registered one."""
        found = {
            r.name: Environment._from_definition(r.definition, r.version)
            for r in workspace._store.assets.list_environments()
        }
        return {**{name: make() for name, make in CURATED.items()}, **found}

    def save_to_directory(self, path: str | os.PathLike[str], overwrite: bool = False) -> None:
        """Write the definition to ``azureml_environment.json`` in ``path``.

        Parameters
        ----------
        path : str or os.PathLike
            The folder; made when missing.
        overwrite : bool
            Replace the file when it exists.

        Raises
        ------
        ValidationError
            The file exists and ``overwrite`` is ``False``.
        """
        folder = Path(path)
        target = folder / "azureml_environment.json"
        if target.exists() and not overwrite:
            raise ValidationError(f"{target} exists.", hint="Pass overwrite=True.")
        folder.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(self.get_definition(), indent=2))

    @staticmethod
    def load_from_directory(path: str | os.PathLike[str]) -> Environment:
        """Read an environment saved with :meth:`save_to_directory`.

        Parameters
        ----------
        path : str or os.PathLike
            The folder holding ``azureml_environment.json``.

        Returns
        -------
        Environment
            The environment, without a version.

        Raises
        ------
        ValidationError
            The folder has no ``azureml_environment.json``.
        """
        target = Path(path) / "azureml_environment.json"
        if not target.is_file():
            raise ValidationError(f"{target} does not exist.", path=str(target))
        return Environment._from_definition(json.loads(target.read_text()))

    def __repr__(self) -> str:
        return json.dumps({**self.get_definition(), "version": self.version}, indent=4)


def _curated_sklearn() -> Environment:
    env = Environment("mlstudio-sklearn")
    env.python.conda_dependencies = CondaDependencies.create(
        pip_packages=["scikit-learn", "pandas", "joblib"]
    )
    env.version = "1"
    return env


def _curated_minimal() -> Environment:
    env = Environment("AzureML-Minimal")
    env.version = "1"
    return env


def _curated_named(name: str, packages: list[str]) -> Any:
    def make() -> Environment:
        env = Environment(name)
        env.python.conda_dependencies = CondaDependencies.create(pip_packages=packages)
        env.version = "1"
        return env

    return make


# Named environments whose packages this Python has: they need no build.
CURATED = {
    "mlstudio-sklearn": _curated_sklearn,
    "mlstudio-minimal": _curated_named("mlstudio-minimal", []),
    "mlstudio-notebook": _curated_named("mlstudio-notebook", ["papermill", "ipykernel"]),
    "AzureML-Minimal": _curated_minimal,
    "AzureML-sklearn-1.0-ubuntu20.04-py38-cpu": _curated_named(
        "AzureML-sklearn-1.0-ubuntu20.04-py38-cpu", ["scikit-learn", "pandas", "joblib"]
    ),
}
