"""``PipelineData`` and ``PipelineParameter``: the edges and the knobs of a pipeline."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.core._names import check_name
from jupyter_mlstudio.errors import ValidationError

if TYPE_CHECKING:
    from jupyter_mlstudio.pipeline.steps.base import PipelineStep

__all__ = ["OutputPortBinding", "PipelineData", "PipelineParameter"]

_PARAM_TYPES = (bool, int, float, str)


class PipelineData:
    """Intermediate data: a folder one step writes and later steps read.

    Passed in a step's ``arguments`` (or notebook ``parameters``) it becomes a local folder:
    empty and writable for the step that lists it in ``outputs``, holding that step's files
    for the steps that list it in ``inputs``.
    """

    def __init__(
        self,
        name: str,
        datastore: Any = None,
        output_name: str | None = None,
        output_mode: str = "mount",
        output_path_on_compute: str | None = None,
        output_overwrite: bool | None = None,
        data_type: str | None = None,
        is_directory: bool | None = None,
        pipeline_output_name: str | None = None,
        training_output: Any = None,
    ) -> None:
        self.name = check_name("pipeline data", name)
        self.datastore = datastore
        self.output_name = output_name or name
        self.output_mode = output_mode
        self._producer: PipelineStep | None = None
        self._input_name: str | None = None

    def as_input(self, input_name: str | None = None) -> PipelineData:
        """Use the data as a step input (azureml ``PipelineData.as_input``); returns this object.

        ``input_name`` is kept but not used: locally the step gets the folder's path wherever
        the object appears in its arguments.
        """
        self._input_name = input_name
        return self

    def as_mount(self) -> PipelineData:
        """Read the data as a mount (azureml); locally it is always a folder on disk, so a no-op."""
        return self

    def as_download(
        self,
        input_name: str | None = None,
        path_on_compute: str | None = None,
        overwrite: bool | None = None,
    ) -> PipelineData:
        """Read the data as a download (azureml); locally it is always a folder on disk, so a no-op.

        The arguments are accepted for compatibility and ignored; returns this object.
        """
        return self

    def __repr__(self) -> str:
        return f"PipelineData(name={self.name!r})"


class OutputPortBinding(PipelineData):
    """``OutputPortBinding(name, ...)``: another way to name a step output."""


class PipelineParameter:
    """A value chosen when the pipeline is submitted (``pipeline_parameters={...}``)."""

    def __init__(self, name: str, default_value: Any) -> None:
        self.name = check_name("pipeline parameter", name)
        if not isinstance(default_value, _PARAM_TYPES):
            raise ValidationError(
                f"The default of pipeline parameter {name!r} is a "
                f"{type(default_value).__name__}; it must be a bool, int, float or str."
            )
        self.default_value = default_value

    @property
    def type_name(self) -> str:
        """The default value's type name (``"bool"``, ``"int"``, ``"float"`` or ``"str"``)."""
        return type(self.default_value).__name__

    def __repr__(self) -> str:
        return f"PipelineParameter(name={self.name!r}, default_value={self.default_value!r})"


def check_parameter_value(name: str, expected: str, value: Any) -> Any:
    """``value`` as the parameter's type; ints are fine for floats, nothing else converts."""
    if expected == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if type(value).__name__ != expected:
        raise ValidationError(
            f"Pipeline parameter {name!r} takes a {expected}, not {value!r} "
            f"({type(value).__name__}).",
            hint="Pass a value of the default's type in pipeline_parameters.",
            name=name,
        )
    return value
