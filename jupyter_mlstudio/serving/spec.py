"""What a supervisor runs: the endpoint's spec, written as ``spec.json`` in its runtime folder.

The SDK writes it; the supervisor reads it at start and again on SIGHUP (an update); workers
read their own deployment from it. Plain dataclasses and JSON, so the scoring processes
never import the store.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "die_with_parent",
    "DeploymentSpec",
    "EndpointSpec",
    "read_json",
    "write_json_atomic",
]

DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024


@dataclass
class DeploymentSpec:
    """One deployment: a score.py with its source folder and its models' folder."""

    name: str
    source_dir: str
    entry_script: str
    model_dir: str
    workers: int = 1
    traffic: int = 100
    env: dict[str, str] = field(default_factory=dict)
    sample_input: Any = None
    python: str | None = None  # the environment's interpreter (None: the supervisor's)


@dataclass
class EndpointSpec:
    """An endpoint: where it listens, its limits, and its deployments (one generation)."""

    name: str
    host: str
    port: int
    generation: int
    deployments: list[DeploymentSpec]
    runtime_dir: str
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    init_timeout: float = 600.0

    @property
    def keys_file(self) -> Path:
        """``keys.json`` in the runtime folder: the key digests and whether auth is on."""
        return Path(self.runtime_dir) / "keys.json"

    @property
    def state_file(self) -> Path:
        """``state.json`` in the runtime folder, where the supervisor reports."""
        return Path(self.runtime_dir) / "state.json"

    @property
    def log_file(self) -> Path:
        """``logs/endpoint.log`` in the runtime folder: the supervisor's and workers' output."""
        return Path(self.runtime_dir) / "logs" / "endpoint.log"

    def deployment(self, name: str) -> DeploymentSpec:
        """The deployment called ``name``.

        Raises
        ------
        KeyError
            If the endpoint has no deployment of that name.
        """
        for dep in self.deployments:
            if dep.name == name:
                return dep
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain JSON-ready data, deployments included."""
        return asdict(self)

    @staticmethod
    def from_dict(data: dict[str, Any]) -> EndpointSpec:
        """The spec :meth:`to_dict` gave.

        Parameters
        ----------
        data : dict
            The spec's fields, with ``deployments`` as a list of dicts.

        Returns
        -------
        EndpointSpec
        """
        deps = [DeploymentSpec(**d) for d in data["deployments"]]
        return EndpointSpec(**{**data, "deployments": deps})

    @staticmethod
    def load(runtime_dir: str | os.PathLike[str]) -> EndpointSpec:
        """Read ``spec.json`` from an endpoint's runtime folder.

        Parameters
        ----------
        runtime_dir : str or path-like
            The endpoint's runtime folder.

        Returns
        -------
        EndpointSpec

        Raises
        ------
        OSError
            If the file cannot be read.
        ValueError
            If it is not JSON.
        TypeError
            If its fields are not a spec's.
        KeyError
            If it has no ``deployments``.
        """
        return EndpointSpec.from_dict(read_json(Path(runtime_dir) / "spec.json"))

    def save(self) -> None:
        """Write ``spec.json`` in the runtime folder, atomically (readers never see half)."""
        write_json_atomic(Path(self.runtime_dir) / "spec.json", self.to_dict())


def die_with_parent() -> None:
    """Ask Linux to send this process SIGTERM when its parent (the supervisor) dies, so no
    worker outlives its supervisor holding the endpoint's port."""
    import ctypes
    import signal
    import sys

    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


def write_json_atomic(path: Path, data: Any, mode: int | None = None) -> None:
    """Write JSON under a temporary name, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w") as fh:
        if mode is not None:
            os.chmod(tmp, mode)
        json.dump(data, fh)
    os.replace(tmp, path)


def read_json(path: Path) -> Any:
    """The JSON in the file at ``path``.

    Raises
    ------
    OSError
        If the file cannot be read (``FileNotFoundError`` if there is none).
    ValueError
        If it is not JSON.
    """
    with open(path) as fh:
        return json.load(fh)
