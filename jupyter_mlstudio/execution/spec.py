"""What a job supervisor needs to know, passed to it as JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class JobSpec:
    """What a job supervisor needs to know, passed to it as JSON (see :mod:`.job`).

    Attributes
    ----------
    run_id : str
        The run the supervisor drives.
    metadata_url, artifact_root, artifact_options
        Where the workspace's metadata and files are.
    workspace_config : str
        The path of the workspace's config file, given to the job as
        ``MLSTUDIO_WORKSPACE_CONFIG`` (so ``Run.get_context()`` finds the workspace).
    target : str
        The compute target whose slots the job takes.
    max_concurrency : int
        Jobs at once on that target.
    python : str
        The interpreter ``command`` starts with; a built environment's Python replaces it.
    command : list of str
        The program and its arguments, run in a copy of the run's snapshot.
    environment_variables : dict of str to str
        Set for the command.
    max_run_duration_seconds : float, optional
        The time limit; the command is stopped after it.
    inputs : list of dict
        Dataset files put under ``inputs/<name>`` before the command runs.
    outputs : list of str
        Folders the command writes (pipeline data); one left empty fails the run.
    environment, environment_fingerprint
        The environment's definition and fingerprint, built before the command runs.
    """

    run_id: str
    metadata_url: str
    artifact_root: str
    workspace_config: str
    target: str
    max_concurrency: int
    python: str
    command: list[str]  # the program and its arguments, run in the snapshot's copy
    environment_variables: dict[str, str] = field(default_factory=dict)
    max_run_duration_seconds: float | None = None
    artifact_options: dict[str, Any] | None = None
    # Dataset files to put under inputs/<name> before the command runs (see job.py).
    inputs: list[dict[str, Any]] = field(default_factory=list)
    # Folders the command writes (pipeline data), uploaded as pipeline_data/<name>; a
    # declared output left empty fails the run.
    outputs: list[str] = field(default_factory=list)
    # The environment definition (Environment.get_definition()) and its fingerprint: the
    # supervisor materializes it (execution/environments.py) and runs the command with its
    # Python. None: run with ``python`` as it is.
    environment: dict[str, Any] | None = None
    environment_fingerprint: str | None = None

    def to_json(self) -> str:
        """Return the spec as JSON text."""
        return json.dumps(asdict(self))

    @staticmethod
    def from_json(text: str) -> JobSpec:
        """Read a spec from :meth:`to_json`'s text."""
        return JobSpec(**json.loads(text))
