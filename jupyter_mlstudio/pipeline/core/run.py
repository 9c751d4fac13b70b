"""``PipelineRun`` and ``StepRun``: a pipeline's run and its steps' child runs."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.core.script_run import ScriptRun
from jupyter_mlstudio.errors import ValidationError
from jupyter_mlstudio.store import TERMINAL_STATUSES

if TYPE_CHECKING:
    from jupyter_mlstudio.pipeline.core.published import PublishedPipeline

__all__ = ["PipelineRun", "PortDataReference", "StepRun"]


class StepRun(ScriptRun):
    """The run of one pipeline step: its logs, metrics, outputs; reused or not."""

    @property
    def step_name(self) -> str:
        """The name of the pipeline step this run ran."""
        return self._record.properties.get("mlstudio.step_name", self.name or self.id)

    @property
    def reused_run_id(self) -> str | None:
        """The earlier run whose outputs this step reused, if it did not run itself."""
        return self._record.properties.get("azureml.reusedrunid")

    def get_output_data(self, name: str) -> PortDataReference:
        """The pipeline data ``name`` this step wrote."""
        source = self._record.properties.get("mlstudio.outputs_run", self.id)
        outputs = [o for o in (self._record.definition.get("step") or {}).get("outputs", [])]
        if outputs and name not in outputs:
            raise ValidationError(
                f"Step {self.step_name!r} has no output {name!r}.",
                hint=f"Its outputs are: {', '.join(outputs)}.",
            )
        return PortDataReference(self._workspace, source, name)


class PortDataReference:
    """Where a step's output is: ``download(local_path)`` copies it."""

    def __init__(self, workspace: Any, run_id: str, name: str) -> None:
        self._workspace = workspace
        self.run_id = run_id
        self.name = name
        self.path_on_datastore = f"runs/{run_id}/pipeline_data/{name}"

    def files(self) -> list[str]:
        """The output's files, as paths relative to its folder, sorted."""
        return self._workspace._artifacts.list(self.path_on_datastore)

    def download(self, local_path: str, overwrite: bool = False, show_progress: bool = True) -> str:
        """Copy the output's files to ``local_path/<name>``; returns that folder's path.

        Azure ML downloads from the datastore; here the files come from the workspace's
        artifact store (``path_on_datastore``). ``overwrite`` and ``show_progress`` are
        accepted for compatibility: existing files are always replaced and no progress is shown.
        """
        from pathlib import Path

        target = Path(local_path) / self.name
        for rel in self.files():
            self._workspace._artifacts.get_file(f"{self.path_on_datastore}/{rel}", target / rel)
        return str(target)


class PipelineRun(ScriptRun):
    """The run of a pipeline; each step is a child ``StepRun``."""

    def get_steps(self) -> list[StepRun]:
        """The step runs, in the order the graph lists the steps."""
        order = {n["name"]: i for i, n in enumerate(self._graph()["steps"])}
        steps = [c for c in self.get_children() if isinstance(c, StepRun)]
        return sorted(steps, key=lambda s: order.get(s.step_name, len(order)))

    def find_step_run(self, name: str) -> list[StepRun]:
        """The step runs of the step named ``name`` (an empty list when there is none)."""
        return [s for s in self.get_steps() if s.step_name == name]

    def _graph(self) -> dict[str, Any]:
        return self._record.definition.get("graph") or {"steps": []}

    def publish_pipeline(
        self, name: str, description: str | None = None, version: str | None = None, **kwargs: Any
    ) -> PublishedPipeline:
        """Publish the pipeline this run ran (the same graph and source snapshots)."""
        from jupyter_mlstudio.pipeline.core.published import PublishedPipeline

        return PublishedPipeline._publish(
            self._workspace, self._graph(), name, description, version, self.id
        )

    def wait_for_completion(
        self,
        show_output: bool = True,
        timeout_seconds: float = sys.maxsize,
        raise_on_error: bool = True,
        **kwargs: Any,
    ) -> str:
        """Wait for the pipeline; ``show_output`` prints each step's status as it changes.
        Returns the final status."""
        deadline = time.monotonic() + timeout_seconds
        seen: dict[str, str] = {}
        if show_output:
            print(f"PipelineRunId: {self.id}")
        while True:
            record = self._refresh()
            if show_output:
                for step in self.get_steps():
                    status = step._record.status
                    if seen.get(step.id) != status:
                        seen[step.id] = status
                        reused = f" (reused {step.reused_run_id})" if step.reused_run_id else ""
                        print(f"  {step.step_name}: {status}{reused}")
            if record.status in TERMINAL_STATUSES:
                break
            if time.monotonic() > deadline:
                return record.status
            time.sleep(0.1)  # one small query a poll; the end is seen within 0.1 s
        if show_output:
            error = (record.error or {}).get("message")
            print(f"PipelineRun {self.id} {record.status}" + (f": {error}" if error else ""))
        if raise_on_error:
            self._raise_if_failed()
        return record.status
