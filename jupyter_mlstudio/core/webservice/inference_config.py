"""InferenceConfig (``azureml.core.model.InferenceConfig``): the scoring script and its
environment. Re-exported from :mod:`jupyter_mlstudio.core.model`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.errors import ValidationError

if TYPE_CHECKING:
    from jupyter_mlstudio.core.environment import Environment

__all__ = ["InferenceConfig"]


class InferenceConfig:
    """``entry_script`` (a score.py with ``init()`` and ``run(raw_data)``) in
    ``source_directory``, with an ``environment`` or a ``conda_file``.

    Endpoints run in the environment (or the conda file's): a definition this Python
    satisfies runs here, any other is built once as a virtual environment (shared with jobs
    that use it) when the endpoint is deployed. Its variables are set for the scoring process;
    ``Model.package`` pins its packages.
    """

    def __init__(
        self,
        entry_script: str,
        runtime: str | None = None,
        conda_file: str | None = None,
        extra_docker_file_steps: str | None = None,
        source_directory: str | os.PathLike[str] | None = None,
        enable_gpu: bool | None = None,
        description: str | None = None,
        base_image: str | None = None,
        base_image_registry: Any = None,
        cuda_version: str | None = None,
        environment: Environment | None = None,
        **kwargs: Any,
    ) -> None:
        if runtime is not None and runtime.lower() not in ("python", "spark-py"):
            raise ValidationError(
                f"runtime must be 'python' or 'spark-py', not {runtime!r}.",
                hint="Leave runtime out and pass an environment.",
            )
        if environment is not None and (conda_file or runtime):
            raise ValidationError(
                "InferenceConfig takes an environment, or runtime and conda_file, not both."
            )
        self.entry_script = str(entry_script)
        self.runtime = runtime
        self.conda_file = conda_file
        self.extra_docker_file_steps = extra_docker_file_steps
        self.source_directory = (
            str(Path(source_directory).expanduser().resolve()) if source_directory else None
        )
        self.enable_gpu = enable_gpu
        self.description = description
        self.base_image = base_image
        self.cuda_version = cuda_version
        self.environment = environment
        self.sample_input = kwargs.pop("sample_input", None)
        script = self.entry_script_path
        if not script.is_file():
            where = f" in {self.source_directory}" if self.source_directory else ""
            raise ValidationError(
                f"The entry script {self.entry_script!r} was not found{where}.",
                hint="Pass entry_script relative to source_directory (e.g. 'score.py').",
                path=str(script),
            )
        if conda_file and not self._resolve(conda_file).is_file():
            raise ValidationError(
                f"The conda file {conda_file!r} was not found.",
                hint="Pass conda_file relative to source_directory.",
            )

    def _resolve(self, rel: str) -> Path:
        base = Path(self.source_directory) if self.source_directory else Path.cwd()
        return (base / rel).resolve()

    @property
    def entry_script_path(self) -> Path:
        """The entry script's absolute path (``entry_script`` under ``source_directory``)."""
        return self._resolve(self.entry_script)

    def environment_variables(self) -> dict[str, str]:
        """Return the variables of ``environment`` (empty without one), as strings."""
        if self.environment is None:
            return {}
        return {str(k): str(v) for k, v in (self.environment.environment_variables or {}).items()}

    def requirements(self) -> list[str]:
        """Pip requirements named by the conda file or environment (for Model.package)."""
        import yaml

        if self.environment is not None:
            definition = self.environment.get_definition()
            deps = (definition.get("python") or {}).get("condaDependencies") or {}
        elif self.conda_file:
            deps = yaml.safe_load(self._resolve(self.conda_file).read_text()) or {}
        else:
            return []
        found: list[str] = []
        for item in deps.get("dependencies") or []:
            if isinstance(item, dict):
                found += [str(p) for p in item.get("pip") or []]
            elif isinstance(item, str) and not item.startswith(("python", "pip")):
                found.append(item.replace("=", "==", 1) if item.count("=") == 1 else item)
        return found

    def runtime_environment(self) -> Environment | None:
        """The environment the scoring process runs in (None: this Python as it is)."""
        from jupyter_mlstudio.core.environment import Environment

        if self.environment is not None:
            return self.environment
        if self.conda_file:
            return Environment.from_conda_specification(
                "inference", str(self._resolve(self.conda_file))
            )
        return None

    def to_dict(self) -> dict[str, Any]:
        """Return the configuration as a JSON-ready dict.

        Returns
        -------
        dict
            The script, runtime, conda file, source folder, description and sample input, the
            environment's name, variables, definition and fingerprint (``None`` without one).
        """
        env = self.runtime_environment()
        return {
            "environment_definition": env.get_definition() if env is not None else None,
            "environment_fingerprint": env.fingerprint() if env is not None else None,
            "entry_script": self.entry_script,
            "runtime": self.runtime,
            "conda_file": self.conda_file,
            "source_directory": self.source_directory,
            "description": self.description,
            "environment": self.environment.name if self.environment is not None else None,
            "environment_variables": self.environment_variables(),
            "sample_input": self.sample_input,
        }

    def __repr__(self) -> str:
        return (
            f"InferenceConfig(entry_script={self.entry_script!r}, "
            f"source_directory={self.source_directory!r}, runtime={self.runtime!r}, "
            f"conda_file={self.conda_file!r})"
        )
