"""How a run consumes a dataset: directly, mounted or downloaded."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.errors import ValidationError

if TYPE_CHECKING:
    from jupyter_mlstudio.core.workspace import Workspace
    from jupyter_mlstudio.data.abstract_dataset import AbstractDataset

__all__ = ["DatasetConsumptionConfig"]


class DatasetConsumptionConfig:
    """``dataset.as_named_input(name)``, optionally ``.as_mount()`` or ``.as_download()``.

    Passed in a script's arguments it becomes, inside the job, the local folder of a file
    dataset, or the id of a tabular dataset (``run.input_datasets[name]`` is the dataset).
    """

    def __init__(
        self,
        name: str,
        dataset: AbstractDataset,
        mode: str = "direct",
        path_on_compute: str | None = None,
    ) -> None:
        self.name = name
        self.dataset = dataset
        self.mode = mode
        self.path_on_compute = path_on_compute

    def as_mount(self, path_on_compute: str | None = None) -> DatasetConsumptionConfig:
        """Give the job the file dataset's files in a folder, linked where they are on this disk.

        A dataset that is exactly one local folder (no steps applied) is given as that folder;
        otherwise the job gets a folder of its own with links to local files and copies of
        remote ones, made before the script starts (no FUSE mount). ``path_on_compute`` is
        kept but not used.

        Raises
        ------
        ValidationError
            The dataset is tabular (pass it as it is and read it with
            ``run.input_datasets[name].to_pandas_dataframe()``).
        """
        return self._with("mount", path_on_compute)

    def as_download(self, path_on_compute: str | None = None) -> DatasetConsumptionConfig:
        """Give the job a copy of the file dataset's files, in a folder of its own.

        The files are copied before the script starts. ``path_on_compute`` is kept but not
        used.

        Raises
        ------
        ValidationError
            The dataset is tabular (pass it as it is and read it with
            ``run.input_datasets[name].to_pandas_dataframe()``).
        """
        return self._with("download", path_on_compute)

    def _with(self, mode: str, path_on_compute: str | None) -> DatasetConsumptionConfig:
        if self.dataset._kind == "tabular":
            raise ValidationError(
                f"The tabular dataset input {self.name!r} cannot be mounted or downloaded.",
                hint="Pass it as it is (as_named_input(name)) and read it in the script with "
                "run.input_datasets[name].to_pandas_dataframe().",
            )
        return DatasetConsumptionConfig(self.name, self.dataset, mode, path_on_compute)

    def _to_job_argument(self, workspace: Workspace, inputs: Any = None) -> str:
        from jupyter_mlstudio.core._job_inputs import JobInputs

        collector = inputs if isinstance(inputs, JobInputs) else JobInputs()
        return collector.add_dataset(workspace, self)

    def __repr__(self) -> str:
        return f"DatasetConsumptionConfig(name={self.name!r}, mode={self.mode!r})"
