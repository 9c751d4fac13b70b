"""``Dataset`` (azureml.core.Dataset): make, register, version and find datasets.

::

    ds = ws.get_default_datastore()
    wine = Dataset.Tabular.from_delimited_files((ds, "winedata/*.csv"))
    wine = wine.register(ws, "wine", description="red wine quality")
    df = Dataset.get_by_name(ws, "wine").to_pandas_dataframe()
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jupyter_mlstudio.data.abstract_dataset import AbstractDataset
from jupyter_mlstudio.data.dataset_factory import FileDatasetFactory, TabularDatasetFactory
from jupyter_mlstudio.data.file_dataset import FileDataset
from jupyter_mlstudio.data.tabular_dataset import TabularDataset

if TYPE_CHECKING:
    from jupyter_mlstudio.core.workspace import Workspace
    from jupyter_mlstudio.store.datasets import DatasetRecord

__all__ = ["Dataset"]


def _from_record(workspace: Workspace, record: DatasetRecord) -> AbstractDataset:
    cls = TabularDataset if record.kind == "tabular" else FileDataset
    return cls(record.definition, workspace, record)


class Dataset:
    """Entry point to datasets: ``Dataset.Tabular``, ``Dataset.File`` and the registry."""

    Tabular = TabularDatasetFactory
    File = FileDatasetFactory

    @staticmethod
    def get_by_name(
        workspace: Workspace, name: str, version: int | str = "latest"
    ) -> AbstractDataset:
        """A registered dataset; ``version`` is a number or ``"latest"``."""
        wanted = None if version in (None, "latest") else int(version)
        return _from_record(workspace, workspace._store.datasets.get(name, wanted))

    @staticmethod
    def get_by_id(workspace: Workspace, id: str | int) -> AbstractDataset:
        """By ``name:version`` (the ``id`` property) or by the store's numeric id."""
        text = str(id)
        if ":" in text:
            name, _, version = text.rpartition(":")
            return Dataset.get_by_name(workspace, name, version)
        return _from_record(workspace, workspace._store.datasets.get_by_id(int(text)))

    @staticmethod
    def get_all(workspace: Workspace) -> dict[str, AbstractDataset]:
        """The latest version of every registered dataset, by name."""
        return {r.name: _from_record(workspace, r) for r in workspace._store.datasets.list_latest()}

    @staticmethod
    def get_versions(workspace: Workspace, name: str) -> list[AbstractDataset]:
        """Every version of ``name``, newest first, each with its tags and profile."""
        return [_from_record(workspace, r) for r in workspace._store.datasets.list_versions(name)]
