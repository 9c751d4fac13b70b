"""What every step kind shares: a name, inputs and outputs, ordering, reuse."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from jupyter_mlstudio.errors import ValidationError
from jupyter_mlstudio.pipeline.core.graph_data import PipelineData

__all__ = ["PipelineStep"]


class PipelineStep:
    """Base of the step kinds (azureml.pipeline.core.PipelineStep)."""

    kind: ClassVar[str] = ""

    def __init__(
        self,
        name: str,
        inputs: Sequence[Any] | None,
        outputs: Sequence[Any] | None,
        compute_target: Any,
        runconfig: Any,
        allow_reuse: bool,
        source_directory: str | None,
    ) -> None:
        if not isinstance(name, str) or not name.strip():
            raise ValidationError("A pipeline step needs a name.")
        self.name = name
        self.inputs = list(inputs or [])
        self.outputs = list(outputs or [])
        self.compute_target = compute_target
        self.runconfig = runconfig
        self.allow_reuse = allow_reuse
        self.source_directory = source_directory
        self._after: list[PipelineStep] = []
        for output in self.outputs:
            if isinstance(output, PipelineData):
                if output._producer is not None and output._producer is not self:
                    raise ValidationError(
                        f"PipelineData {output.name!r} is an output of step "
                        f"{output._producer.name!r} already; step {name!r} cannot write it too.",
                        hint="Give each step its own PipelineData outputs.",
                    )
                output._producer = self

    def run_after(self, step: PipelineStep) -> None:
        """Run this step after ``step`` even if no data connects them."""
        self._after.append(step)

    def upstream(self) -> list[PipelineStep]:
        """Steps this one needs: producers of its inputs and its ``run_after`` steps."""
        found: list[PipelineStep] = list(self._after)
        for item in (*self.inputs, *self._argument_values()):
            if (
                isinstance(item, PipelineData)
                and item._producer is not None
                and item._producer is not self
                and item._producer not in found
            ):
                found.append(item._producer)
        return found

    def _argument_values(self) -> list[Any]:
        return []

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"
