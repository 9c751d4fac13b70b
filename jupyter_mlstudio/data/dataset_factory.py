"""``Dataset.Tabular`` and ``Dataset.File``: the ways to make a dataset."""

from __future__ import annotations

import os
import posixpath
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.data.datapath import DataPath, expand, to_sources
from jupyter_mlstudio.data.file_dataset import FileDataset
from jupyter_mlstudio.data.tabular_dataset import TabularDataset
from jupyter_mlstudio.errors import ValidationError

if TYPE_CHECKING:
    import pandas as pd

    from jupyter_mlstudio.core.workspace import Workspace

__all__ = ["FileDatasetFactory", "TabularDatasetFactory"]


def _workspace_of(path: Any) -> Workspace | None:
    """The workspace of the first datastore named in ``path``, if any."""
    for item in path if isinstance(path, list) else [path]:
        store = item[0] if isinstance(item, tuple) else getattr(item, "datastore", None)
        if store is not None and getattr(store, "workspace", None) is not None:
            return store.workspace
    return None


def _definition(kind: str, path: Any, fmt: dict[str, Any] | None) -> dict[str, Any]:
    definition: dict[str, Any] = {"kind": kind, "sources": to_sources(path), "transforms": []}
    if fmt is not None:
        definition["format"] = fmt
    return definition


class TabularDatasetFactory:
    """``Dataset.Tabular``: tables from delimited, Parquet or JSON-lines files."""

    @staticmethod
    def _make(path: Any, fmt: dict[str, Any], validate: bool) -> TabularDataset:
        workspace = _workspace_of(path)
        dataset = TabularDataset(_definition("tabular", path, fmt), workspace)
        if validate:
            dataset.take(5)._to_arrow()  # a missing file or a malformed row, said now
        return dataset

    @staticmethod
    def from_delimited_files(
        path: Any,
        validate: bool = True,
        include_path: bool = False,
        infer_column_types: bool = True,
        set_column_types: Mapping[str, Any] | None = None,
        separator: str = ",",
        header: bool | str = True,
        partition_format: str | None = None,
        support_multi_line: bool = False,
        empty_as_string: bool = False,
        encoding: str = "utf8",
    ) -> TabularDataset:
        """CSV (or other separator) files; ``path`` may use globs: ``(ds, 'wine/*.csv')``."""
        fmt = {
            "type": "delimited",
            "separator": separator,
            "header": header not in (False, "NO_HEADER", "no_header"),
            "include_path": include_path,
            "infer_column_types": infer_column_types,
            "set_column_types": {
                k: str(getattr(v, "name", v)) for k, v in (set_column_types or {}).items()
            },
            "support_multi_line": support_multi_line,
            "empty_as_string": empty_as_string,
            "encoding": encoding,
        }
        return TabularDatasetFactory._make(path, fmt, validate)

    @staticmethod
    def from_parquet_files(
        path: Any,
        validate: bool = True,
        include_path: bool = False,
        set_column_types: Mapping[str, Any] | None = None,
        partition_format: str | None = None,
    ) -> TabularDataset:
        """Make a tabular dataset from Parquet files.

        Parameters
        ----------
        path : DataPath, (Datastore, str), str, or a list of them
            The files; globs allowed, e.g. ``(ds, 'wine/*.parquet')``, or local paths and URLs.
        validate : bool
            Read the first rows now, so that a missing or bad file is reported at once.
        include_path : bool
            Add a ``Path`` column with the file each row comes from.
        set_column_types, partition_format
            Accepted for ``azureml`` compatibility and ignored (Parquet keeps its own types).

        Returns
        -------
        TabularDataset
            An unregistered dataset; nothing is read until it is used (beyond ``validate``).
        """
        fmt = {"type": "parquet", "include_path": include_path}
        return TabularDatasetFactory._make(path, fmt, validate)

    @staticmethod
    def from_json_lines_files(
        path: Any,
        validate: bool = True,
        include_path: bool = False,
        set_column_types: Mapping[str, Any] | None = None,
        partition_format: str | None = None,
        invalid_lines: str = "error",
        encoding: str = "utf8",
    ) -> TabularDataset:
        """Make a tabular dataset from JSON-lines files (one JSON object per line).

        Parameters
        ----------
        path : DataPath, (Datastore, str), str, or a list of them
            The files; globs allowed, e.g. ``(ds, 'logs/*.jsonl')``, or local paths and URLs.
        validate : bool
            Read the first rows now, so that a missing or bad file is reported at once.
        include_path : bool
            Add a ``Path`` column with the file each row comes from.
        set_column_types, partition_format, invalid_lines, encoding
            Accepted for ``azureml`` compatibility and ignored: types are inferred, files are
            read as UTF-8, and a bad line is an error.

        Returns
        -------
        TabularDataset
            An unregistered dataset; nothing is read until it is used (beyond ``validate``).
        """
        fmt = {"type": "json_lines", "include_path": include_path}
        return TabularDatasetFactory._make(path, fmt, validate)

    @staticmethod
    def register_pandas_dataframe(
        dataframe: pd.DataFrame,
        target: Any,
        name: str,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        show_progress: bool = True,
    ) -> TabularDataset:
        """Write ``dataframe`` as Parquet to ``target`` (a datastore, or (datastore, path))
        and register it (a new version if the name exists)."""
        import io

        from jupyter_mlstudio.core._names import check_name

        check_name("dataset", name)
        datastore, prefix = (
            target
            if isinstance(target, tuple)
            else (target.datastore, target.path_on_datastore)
            if isinstance(target, DataPath)
            else (target, "")
        )
        folder = posixpath.join(prefix or "", name, uuid.uuid4().hex)
        buffer = io.BytesIO()
        dataframe.to_parquet(buffer, index=False)
        datastore._store.put_bytes(buffer.getvalue(), f"{folder}/part-00000.parquet")
        dataset = TabularDatasetFactory.from_parquet_files((datastore, f"{folder}/*.parquet"))
        return dataset.register(
            datastore.workspace, name, description=description, tags=tags, create_new_version=True
        )  # type: ignore[return-value]


class FileDatasetFactory:
    """``Dataset.File``: any files."""

    @staticmethod
    def from_files(
        path: Any, validate: bool = True, partition_format: str | None = None, is_file: bool = False
    ) -> FileDataset:
        """Files named by ``path`` (globs and folders expand to the files under them)."""
        workspace = _workspace_of(path)
        dataset = FileDataset(_definition("file", path, None), workspace)
        if validate:
            expand(workspace, dataset._definition["sources"])
        return dataset

    @staticmethod
    def upload_directory(
        src_dir: str | os.PathLike[str],
        target: Any,
        pattern: str | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> FileDataset:
        """Upload a local folder to ``target`` ((datastore, path) or DataPath) and return it
        as a FileDataset."""
        import fnmatch
        from pathlib import Path

        datastore, prefix = (
            target if isinstance(target, tuple) else (target.datastore, target.path_on_datastore)
        )
        source = Path(src_dir)
        if not source.is_dir():
            raise ValidationError(f"Cannot upload {source}: no such folder.", path=str(source))
        files = [
            p
            for p in sorted(source.rglob("*"))
            if p.is_file() and (pattern is None or fnmatch.fnmatch(p.name, pattern))
        ]
        datastore.upload_files(
            [str(f) for f in files],
            relative_root=str(source),
            target_path=prefix,
            overwrite=overwrite,
            show_progress=show_progress,
        )
        return FileDatasetFactory.from_files((datastore, prefix))
