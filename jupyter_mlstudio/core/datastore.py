"""Datastores: named storage locations of a workspace (azureml.core.Datastore).

Every workspace has ``workspaceblobstore``, a folder under its artifact root. Uploads go
through the workspace's atomic writer, with a progress bar.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.core._names import check_name
from jupyter_mlstudio.data.data_reference import DataReference
from jupyter_mlstudio.errors import ConflictError, ValidationError

if TYPE_CHECKING:
    from jupyter_mlstudio.core.workspace import Workspace
    from jupyter_mlstudio.store import ArtifactStore, DatastoreRecord

__all__ = ["DEFAULT_DATASTORE", "Datastore"]

DEFAULT_DATASTORE = "workspaceblobstore"
_TYPES = {
    "file": "LocalFolder",
    "s3": "S3",
    "abfs": "AzureBlob",
    "az": "AzureBlob",
    "gs": "GoogleCloudStorage",
    "gcs": "GoogleCloudStorage",
    "memory": "Memory",
}


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

    # ---- registering ---------------------------------------------------------------------
    @staticmethod
    def register(
        workspace: Workspace,
        datastore_name: str,
        protocol: str,
        root: str,
        *,
        storage_options: Mapping[str, Any] | None = None,
        credentials: Mapping[str, Any] | None = None,
        credentials_from_env: Mapping[str, str] | None = None,
        overwrite: bool = False,
        datastore_type: str | None = None,
    ) -> Datastore:
        """Register any fsspec location (``file``, ``memory``, ``s3``, ``abfs``, ``gs``...).

        ``storage_options`` are kept as they are (no secrets there). Secrets go in
        ``credentials`` (written to a file only you can read, under MLSTUDIO_HOME) or are
        named in ``credentials_from_env`` (option -> environment variable); the metadata
        database never holds them.
        """
        check_name("datastore", datastore_name)
        if "://" not in root and protocol != "file":
            root = f"{protocol}://{root}"
        if protocol == "file":
            root = str(Path(root.removeprefix("file://")).expanduser().resolve())
        leaked = {"key", "secret", "password", "account_key", "sas_token", "token"} & set(
            storage_options or {}
        )
        if leaked:
            raise ValidationError(
                f"storage_options holds secrets ({', '.join(sorted(leaked))}).",
                hint="Pass them as credentials=... or credentials_from_env=... so they stay "
                "out of the workspace database.",
            )
        refs: dict[str, Any] = {}
        if credentials:
            from jupyter_mlstudio.store.credentials import save_secret_file

            refs["file"] = save_secret_file(workspace.name, datastore_name, credentials)
        if credentials_from_env:
            refs["env"] = dict(credentials_from_env)
        options = {"storage_options": dict(storage_options or {}), "credentials": refs}
        from jupyter_mlstudio.store import ArtifactStore
        from jupyter_mlstudio.store.credentials import resolve_storage_options

        # Fails now, in words, if the backend or a secret is missing: nothing is recorded.
        ArtifactStore(root, resolve_storage_options(datastore_name, options))
        record = workspace._store.assets.register_datastore(
            datastore_name,
            datastore_type or _TYPES.get(protocol, protocol),
            root,
            options,
            overwrite=overwrite,
        )
        return Datastore._from_record(workspace, record)

    @staticmethod
    def register_local(
        workspace: Workspace, datastore_name: str, path: str, overwrite: bool = False
    ) -> Datastore:
        """Register a folder on this machine."""
        Path(path).expanduser().mkdir(parents=True, exist_ok=True)
        return Datastore.register(workspace, datastore_name, "file", path, overwrite=overwrite)

    @staticmethod
    def register_s3(
        workspace: Workspace,
        datastore_name: str,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        key: str | None = None,
        secret: str | None = None,
        key_env: str | None = None,
        secret_env: str | None = None,
        overwrite: bool = False,
    ) -> Datastore:
        """Register an S3 (or S3-compatible) bucket; needs ``pip install s3fs``."""
        options: dict[str, Any] = {}
        if endpoint_url:
            options["endpoint_url"] = endpoint_url
        if region:
            options["client_kwargs"] = {"region_name": region}
        secrets = {k: v for k, v in (("key", key), ("secret", secret)) if v}
        env = {k: v for k, v in (("key", key_env), ("secret", secret_env)) if v}
        root = f"s3://{bucket}/{prefix.strip('/')}".rstrip("/")
        return Datastore.register(
            workspace,
            datastore_name,
            "s3",
            root,
            storage_options=options,
            credentials=secrets or None,
            credentials_from_env=env or None,
            overwrite=overwrite,
        )

    @staticmethod
    def register_azure_blob_container(
        workspace: Workspace,
        datastore_name: str,
        container_name: str,
        account_name: str,
        sas_token: str | None = None,
        account_key: str | None = None,
        protocol: str | None = None,
        endpoint: str | None = None,
        overwrite: bool = False,
        create_if_not_exists: bool = False,
        skip_validation: bool = False,
        blob_cache_timeout: int | None = None,
        grant_workspace_access: bool = False,
        subscription_id: str | None = None,
        resource_group: str | None = None,
    ) -> Datastore:
        """Register an Azure Blob container (through adlfs: pip install adlfs)."""
        secrets = {k: v for k, v in (("account_key", account_key), ("sas_token", sas_token)) if v}
        return Datastore.register(
            workspace,
            datastore_name,
            "abfs",
            f"abfs://{container_name}",
            storage_options={"account_name": account_name},
            credentials=secrets or None,
            overwrite=overwrite,
            datastore_type="AzureBlob",
        )

    @staticmethod
    def get(workspace: Workspace, datastore_name: str) -> Datastore:
        """Return the datastore registered as ``datastore_name``.

        Raises
        ------
        DatastoreNotFoundError
            The workspace has no datastore of that name.
        """
        return Datastore(workspace, datastore_name)

    @staticmethod
    def get_default(workspace: Workspace) -> Datastore:
        """Return the workspace's default datastore (``workspaceblobstore`` unless changed)."""
        return Datastore(workspace)

    @property
    def _store(self) -> ArtifactStore:
        if self._files is None:
            from jupyter_mlstudio.store import ArtifactStore
            from jupyter_mlstudio.store.credentials import resolve_storage_options

            self._files = ArtifactStore(self.root, resolve_storage_options(self.name, self.options))
        return self._files

    def unregister(self) -> None:
        """Forget this datastore (its files are left where they are)."""
        self.workspace._store.assets.delete_datastore(self.name)

    def _local_root(self) -> Path | None:
        return Path(self._store.root) if self._store.is_local else None

    # ---- references ----------------------------------------------------------------------
    def path(
        self,
        path: str | None = None,
        data_reference_name: str | None = None,
    ) -> DataReference:
        """Return a reference to a path on this datastore.

        Parameters
        ----------
        path : str, optional
            The path on the datastore; its root when not given.
        data_reference_name : str, optional
            The reference's name; the datastore's name by default.

        Returns
        -------
        DataReference
            Passed in a job's arguments it becomes the local path of that location.
        """
        return DataReference(self, data_reference_name, path)

    def as_mount(self) -> DataReference:
        """Return a reference to the datastore's root in ``mount`` mode."""
        return DataReference(self, mode="mount")

    def as_download(self, path_on_compute: str | None = None) -> DataReference:
        """Return a reference to the datastore's root in ``download`` mode.

        On this machine a job is given the datastore's folder itself in both modes;
        ``path_on_compute`` is kept on the reference.
        """
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
        """Upload the given files to ``target_path`` on this datastore.

        Parameters
        ----------
        files : sequence of str or os.PathLike
            The files to upload.
        relative_root : str or os.PathLike, optional
            The part of each file's path left off on the datastore; by default the folder the
            files have in common.
        target_path : str, optional
            The folder on the datastore; its root when not given.
        overwrite : bool
            Replace files that exist; when ``False`` (the default) an upload that would
            replace any file is refused before anything is written.
        show_progress : bool
            Show a tqdm progress bar of the bytes sent.

        Returns
        -------
        DataReference
            A reference to ``target_path``.

        Raises
        ------
        ValidationError
            A file does not exist.
        ConflictError
            A file exists on the datastore and ``overwrite`` is ``False``.
        """
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
