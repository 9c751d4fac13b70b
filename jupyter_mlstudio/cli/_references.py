"""What the ``azureml:`` references of Azure ML CLI v2 specs name in a workspace:
environments, compute targets, datasets and models."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.cli._yaml import KeyPath, Spec

if TYPE_CHECKING:
    from jupyter_mlstudio.core import Environment, Workspace

__all__ = ["asset_reference", "compute_name", "environment", "is_local_path"]

ENVIRONMENT_FIELDS = [
    "image",
    "conda_file",
    "build",
    "description",
    "tags",
    "os_type",
    "inference_config",
    "name",
    "version",
]

_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def is_local_path(path: str) -> bool:
    """True for a path on this machine (not ``azureml:...`` and not a URL)."""
    return not path.startswith("azureml:") and not _URL.match(path)


def asset_reference(text: str) -> tuple[str, str | None]:
    """``azureml:wine:2`` -> (wine, '2'); ``azureml:wine@latest`` or ``wine`` -> (wine, None)."""
    body = text.removeprefix("azureml:")
    if body.endswith("@latest"):
        return body[: -len("@latest")], None
    name, sep, version = body.rpartition(":")
    if sep and version.isdigit():
        return name, version
    return body, None


def compute_name(value: Any, spec: Spec, key_path: KeyPath) -> str:
    """``azureml:cpu-cluster`` -> ``cpu-cluster``; nothing -> ``local``."""
    if value in (None, ""):
        return "local"
    if not isinstance(value, str):
        raise spec.error(key_path, f"compute must be a name such as 'local', not {value!r}.")
    return value.removeprefix("azureml:")


def environment(
    ws: Workspace, value: Any, spec: Spec, key_path: KeyPath, notes: list[str]
) -> Environment | None:
    """The Environment a spec's ``environment`` names, or defines inline."""
    from jupyter_mlstudio.core import Environment
    from jupyter_mlstudio.core.conda_dependencies import CondaDependencies
    from jupyter_mlstudio.errors import EnvironmentNotFoundError

    if value in (None, ""):
        return None
    if isinstance(value, str):
        name, version = asset_reference(value)
        try:
            return Environment.get(ws, name, version)
        except EnvironmentNotFoundError:
            if name.startswith("AzureML-"):
                # A curated cloud image: its packages are what this Python has.
                notes.append(
                    f"The curated environment {name!r} runs as this Python environment "
                    "on this machine."
                )
                return Environment(name)
            raise spec.error(
                key_path,
                f"no environment named {name!r}"
                + (f" with version {version}" if version else "")
                + " is registered in this workspace.",
                hint="Register it first (Environment(...).register(ws)), or define it "
                "inline with conda_file: and image:.",
            ) from None
    fields = spec.check_keys(key_path, value, ENVIRONMENT_FIELDS, "the environment")
    env = Environment(str(fields.get("name") or "cli-inline-environment"))
    conda = fields.get("conda_file")
    if isinstance(conda, dict):
        env.python.conda_dependencies = CondaDependencies(_underlying_structure=conda)
    elif isinstance(conda, str):
        file = (spec.folder / conda).resolve()
        if not file.is_file():
            raise spec.error(
                (*key_path, "conda_file"),
                f"the conda file {conda!r} does not exist (looked in {spec.folder}).",
                hint="Paths in a spec are relative to the spec file's folder.",
            )
        env.python.conda_dependencies = CondaDependencies(str(file))
    elif conda is not None:
        raise spec.error((*key_path, "conda_file"), "conda_file must be a path or a mapping.")
    if fields.get("image"):
        env.docker.base_image = str(fields["image"])
    if fields.get("build") or fields.get("image"):
        notes.append(
            "Jobs run in this Python environment on this machine: the image and build "
            "context are recorded, not used."
        )
    return env


def local_path(spec: Spec, key_path: KeyPath, path: str, must_exist: bool = True) -> Path:
    """A spec's relative path resolved from the spec file's folder."""
    resolved = (spec.folder / Path(path).expanduser()).resolve()
    if must_exist and not resolved.exists():
        raise spec.error(
            key_path,
            f"the path {path!r} does not exist (looked in {spec.folder}).",
            hint="Paths in a spec are relative to the spec file's folder.",
        )
    return resolved
