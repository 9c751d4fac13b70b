"""Where a dataset's files are: datastore paths, local paths and URLs, with globs.

A dataset keeps its sources as plain data (``{"datastore": name, "path": glob}`` or
``{"url": ...}``) and expands them to files only when it is read, so a registered
definition stays valid as long as its datastore does.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.errors import UserErrorException, ValidationError

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

    from jupyter_mlstudio.core.datastore import Datastore
    from jupyter_mlstudio.core.workspace import Workspace

__all__ = ["DataPath", "NoFilesError", "ResolvedFile", "expand", "to_sources"]

_GLOB_CHARS = set("*?[")


class NoFilesError(UserErrorException):
    """A dataset path that matches no file."""


class DataPath:
    """A path on a datastore (azureml.data.datapath.DataPath)."""

    def __init__(
        self,
        datastore: Datastore | None = None,
        path_on_datastore: str | None = None,
        name: str | None = None,
    ) -> None:
        self.datastore = datastore
        self.path_on_datastore = path_on_datastore or ""
        self.name = name

    def __repr__(self) -> str:
        store = self.datastore.name if self.datastore else None
        return f"DataPath(datastore={store!r}, path_on_datastore={self.path_on_datastore!r})"


@dataclass(frozen=True)
class ResolvedFile:
    """One file of a dataset: the filesystem, its path there, and its path in the dataset."""

    fs: AbstractFileSystem
    path: str
    relative: str
    datastore: str | None = None


def to_sources(path: Any) -> list[dict[str, str]]:
    """The serialisable sources of a user's ``path`` argument (str, tuple, DataPath, list)."""
    items = path if isinstance(path, list) else [path]
    if not items:
        raise ValidationError("A dataset needs at least one path.")
    sources: list[dict[str, str]] = []
    for item in items:
        if isinstance(item, tuple) and len(item) == 2:
            datastore, sub = item
            sources.append({"datastore": datastore.name, "path": str(sub).lstrip("/")})
        elif isinstance(item, DataPath):
            if item.datastore is None:
                raise ValidationError(f"{item!r} has no datastore.")
            sources.append(
                {"datastore": item.datastore.name, "path": item.path_on_datastore.lstrip("/")}
            )
        elif hasattr(item, "datastore") and hasattr(item, "path_on_datastore"):
            sources.append(
                {
                    "datastore": item.datastore.name,
                    "path": (item.path_on_datastore or "").lstrip("/"),
                }
            )
        elif isinstance(item, str | os.PathLike):
            text = os.fspath(item)
            if "://" in text and not text.startswith("file://"):
                sources.append({"url": text})
            else:
                sources.append(
                    {"url": str(Path(text.removeprefix("file://")).expanduser().absolute())}
                )
        else:
            raise ValidationError(
                f"{item!r} is not a dataset path.",
                hint="Use a local path or URL string, a (datastore, 'path/**') tuple, a "
                "DataPath, or a list of them.",
            )
    return sources


def _datastore_fs(workspace: Workspace | None, name: str) -> tuple[AbstractFileSystem, str]:
    if workspace is None:
        raise UserErrorException(
            f"This dataset reads from datastore {name!r} but is not tied to a workspace.",
            hint="Get it with Dataset.get_by_name(ws, ...) or build it from ws's datastores.",
        )
    from jupyter_mlstudio.core.datastore import Datastore

    files = Datastore(workspace, name)._store
    return files.fs, files.root


def expand(
    workspace: Workspace | None, sources: Sequence[dict[str, str]], *, must_exist: bool = True
) -> list[ResolvedFile]:
    """Every file the sources name, in a stable order; globs and folders expanded."""
    from fsspec.core import url_to_fs

    found: list[ResolvedFile] = []
    for source in sources:
        if "datastore" in source:
            fs, root = _datastore_fs(workspace, source["datastore"])
            target = posixpath.join(root, source["path"]) if source["path"] else root
            shown = f"{source['path']!r} on datastore {source['datastore']!r}"
        else:
            try:
                fs, target = url_to_fs(source["url"])
            except ImportError as exc:
                raise UserErrorException(
                    f"Reading {source['url']} needs an fsspec backend that is not installed: "
                    f"{exc}.",
                    hint="pip install the package the message names.",
                ) from exc
            shown = repr(source["url"])
        files, base = _match(fs, target)
        if not files and must_exist:
            raise NoFilesError(
                f"The path {shown} matches no file.",
                hint="Check the path and the glob pattern; upload the data first if needed.",
                path=shown,
            )
        for file in files:
            rel = posixpath.relpath(file, base) if base else file
            found.append(ResolvedFile(fs, file, rel, source.get("datastore")))
    return found


def _match(fs: AbstractFileSystem, target: str) -> tuple[list[str], str]:
    """(files, the folder their dataset paths are relative to)."""
    target = fs._strip_protocol(target)  # type: ignore[attr-defined]
    if _GLOB_CHARS & set(target):
        return sorted(p for p in fs.glob(target) if fs.isfile(p)), _glob_base(target)
    if fs.isdir(target):
        files = [p for p in fs.find(target) if not posixpath.basename(p).startswith(".")]
        return sorted(files), target
    return ([target] if fs.exists(target) else []), posixpath.dirname(target)


def _glob_base(target: str) -> str:
    """The folder part of a path before its first glob character."""
    parts = target.split("/")
    for i, part in enumerate(parts):
        if _GLOB_CHARS & set(part):
            return "/".join(parts[:i])
    return posixpath.dirname(target)
