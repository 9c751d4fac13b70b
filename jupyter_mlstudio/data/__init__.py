"""Datasets and data references (azureml.data)."""

from jupyter_mlstudio.data.data_reference import DataReference
from jupyter_mlstudio.data.datapath import DataPath
from jupyter_mlstudio.data.dataset_consumption_config import DatasetConsumptionConfig
from jupyter_mlstudio.data.file_dataset import FileDataset
from jupyter_mlstudio.data.tabular_dataset import TabularDataset

__all__ = [
    "DataPath",
    "DataReference",
    "DatasetConsumptionConfig",
    "FileDataset",
    "TabularDataset",
]
