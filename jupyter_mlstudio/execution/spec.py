"""What a job supervisor needs to know, passed to it as JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class JobSpec:
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
        return json.dumps(asdict(self))

    @staticmethod
    def from_json(text: str) -> JobSpec:
        return JobSpec(**json.loads(text))
