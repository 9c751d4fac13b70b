"""``NotebookStep``: a notebook executed by papermill as a step.

The notebook's ``parameters``-tagged cell receives ``parameters`` (pipeline parameters and
data folders included); the executed copy is kept with the step run, never written over the
source notebook.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from jupyter_mlstudio.pipeline.steps.base import PipelineStep

__all__ = ["NotebookStep"]


class NotebookStep(PipelineStep):
    """Run ``notebook`` (a path inside ``source_directory``) with ``parameters``."""

    kind: ClassVar[str] = "notebook"

    def __init__(
        self,
        notebook: str,
        name: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        inputs: Sequence[Any] | None = None,
        outputs: Sequence[Any] | None = None,
        compute_target: Any = None,
        runconfig: Any = None,
        source_directory: str | None = None,
        allow_reuse: bool = True,
        kernel_name: str | None = None,
    ) -> None:
        super().__init__(
            name or notebook,
            inputs,
            outputs,
            compute_target,
            runconfig,
            allow_reuse,
            source_directory,
        )
        self.notebook = notebook
        self.parameters = dict(parameters or {})
        self.kernel_name = kernel_name

    def _argument_values(self) -> list[Any]:
        return list(self.parameters.values())
