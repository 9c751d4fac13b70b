"""Datastores: named storage locations of a workspace (azureml.core.Datastore).

Every workspace has ``workspaceblobstore``, a folder under its artifact root. Uploads go
through the workspace's atomic writer, with a progress bar.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.data.data_reference import DataReference
from jupyter_mlstudio.errors import ConflictError, ValidationError

if TYPE_CHECKING:
    from jupyter_mlstudio.core.workspace import Workspace
    from jupyter_mlstudio.store import ArtifactStore, DatastoreRecord

__all__ = ["DEFAULT_DATASTORE", "Datastore"]

DEFAULT_DATASTORE = "workspaceblobstore"


class Datastore:
    """A named storage location. ``Datastore(ws)`` is the default one."""

    def __init__(self, workspace: Workspace, name: str | None = None) -> None:
        record = workspace._store.assets.get_datastore(name)
        self._load(workspace, record)

    def _load(self, workspace: Workspace, record: DatastoreRecord) -> None:
        self.workspace = workspace
        self.name = record.name
        self.datastore_type = record.type
        self.root = record.root
        self.options = dict(record.options)
        self.container_name = record.options.get("container_name", record.name)
        self.account_name = record.options.get("account_name", "local")
        self.is_default = record.is_default
        self._files: ArtifactStore | None = None

    @classmethod
    def _from_record(cls, workspace: Workspace, record: DatastoreRecord) -> Datastore:
        ds = object.__new__(cls)
        ds._load(workspace, record)
        return ds

    @staticmethod
    def get(workspace: Workspace, datastore_name: str) -> Datastore:
        return Datastore(workspace, datastore_name)

    @staticmethod
    def get_default(workspace: Workspace) -> Datastore:
        return Datastore(workspace)

    @property
    def _store(self) -> ArtifactStore:
        if self._files is None:
            from jupyter_mlstudio.store import ArtifactStore

            self._files = ArtifactStore(self.root, self.options.get("storage_options"))
        return self._files

    def _local_root(self) -> Path | None:
        return Path(self._store.root) if self._store.is_local else None

    # ---- references ----------------------------------------------------------------------
    def path(
        self,
        path: str | None = None,
        data_reference_name: str | None = None,
    ) -> DataReference:
        return DataReference(self, data_reference_name, path)

    def as_mount(self) -> DataReference:
        return DataReference(self, mode="mount")

    def as_download(self, path_on_compute: str | None = None) -> DataReference:
        return DataReference(self, mode="download", path_on_compute=path_on_compute)

    # ---- moving files ------------------------------------------------------------------
    def upload(
        self,
        src_dir: str | os.PathLike[str],
        target_path: str | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> DataReference:
        """Upload every file under ``src_dir`` to ``target_path`` on this datastore."""
        source = Path(src_dir)
        if not source.is_dir():
            raise ValidationError(
                f"Cannot upload {source}: no such folder.",
                hint="Give the folder to upload as src_dir.",
                path=str(source),
            )
        files = sorted(p for p in source.rglob("*") if p.is_file())
        self._upload(files, source, target_path, overwrite, show_progress)
        return DataReference(self, path_on_datastore=target_path)

    def upload_files(
        self,
        files: Sequence[str | os.PathLike[str]],
        relative_root: str | os.PathLike[str] | None = None,
        target_path: str | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> DataReference:
        paths = [Path(f) for f in files]
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            raise ValidationError(f"Cannot upload: no such file {missing[0]}.", path=missing[0])
        root = (
            Path(relative_root)
            if relative_root
            else Path(os.path.commonpath([p.resolve().parent for p in paths]))
            if paths
            else Path(".")
        )
        self._upload(paths, root, target_path, overwrite, show_progress)
        return DataReference(self, path_on_datastore=target_path)

    def _upload(
        self,
        files: list[Path],
        root: Path,
        target_path: str | None,
        overwrite: bool,
        show_progress: bool,
    ) -> None:
        from tqdm.auto import tqdm

        names = [
            posixpath.join(target_path or "", f.resolve().relative_to(root.resolve()).as_posix())
            for f in files
        ]
        if not overwrite:
            taken = [n for n in names if self._store.exists(n)]
            if taken:
                raise ConflictError(
                    f"{len(taken)} of the files exist on datastore {self.name!r} already "
                    f"(first: {taken[0]}).",
                    hint="Pass overwrite=True to replace them.",
                    path=taken[0],
                )
        total = sum(f.stat().st_size for f in files)
        with tqdm(
            total=total,
            unit="B",
            unit_scale=True,
            disable=not show_progress,
            desc=f"Uploading to {self.name}",
        ) as bar:
            for file, name in zip(files, names, strict=True):
                self._store.put_file(file, name)
                bar.update(file.stat().st_size)

    def download(
        self,
        target_path: str | os.PathLike[str],
        prefix: str | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> int:
        """Download the files under ``prefix`` into ``target_path``; returns how many."""
        from tqdm.auto import tqdm

        names = [n for n in self._store.list("") if prefix is None or n.startswith(prefix)]
        count = 0
        for name in tqdm(
            names, disable=not show_progress, unit="file", desc=f"Downloading from {self.name}"
        ):
            target = Path(target_path) / name
            if target.exists() and not overwrite:
                continue
            self._store.get_file(name, target)
            count += 1
        return count

    def __repr__(self) -> str:
        return f"Datastore(name={self.name!r}, type={self.datastore_type!r}, root={self.root!r})"

    def _repr_html_(self) -> str:
        from jupyter_mlstudio.core._html import table

        return table(
            ["Name", "Type", "Root", "Default"],
            [[self.name, self.datastore_type, self.root, self.is_default]],
        )

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_files"] = None
        return state
