"""``PythonScriptStep``: a script run as a step, like a script job."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from jupyter_mlstudio.pipeline.steps.base import PipelineStep

__all__ = ["PythonScriptStep"]


class PythonScriptStep(PipelineStep):
    """Run ``script_name`` from ``source_directory`` with ``arguments``::

    PythonScriptStep(name="Clean", script_name="clean.py", source_directory="code",
                     arguments=["--out", cleaned], outputs=[cleaned])
    """

    kind: ClassVar[str] = "python_script"

    def __init__(
        self,
        script_name: str,
        name: str | None = None,
        arguments: Sequence[Any] | None = None,
        compute_target: Any = None,
        runconfig: Any = None,
        runconfig_pipeline_params: Any = None,
        inputs: Sequence[Any] | None = None,
        outputs: Sequence[Any] | None = None,
        params: dict[str, Any] | None = None,
        source_directory: str | None = None,
        allow_reuse: bool = True,
        version: str | None = None,
        hash_paths: Sequence[str] | None = None,
    ) -> None:
        super().__init__(
            name or script_name,
            inputs,
            outputs,
            compute_target,
            runconfig,
            allow_reuse,
            source_directory,
        )
        self.script_name = script_name
        self.arguments = list(arguments or [])
        self.params = dict(params or {})

    def _argument_values(self) -> list[Any]:
        return list(self.arguments)
