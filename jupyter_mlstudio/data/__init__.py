"""Data references and dataset configs (azureml.data)."""

from jupyter_mlstudio.data.data_reference import DataReference

__all__ = ["DataReference"]
