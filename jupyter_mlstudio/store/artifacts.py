"""Artifacts (run files, logs, snapshots, models) behind one fsspec-backed class.

Writes are atomic: a file is written under a temporary name beside its final one and then
moved into place, so a crash never leaves a half file that looks whole.
"""

from __future__ import annotations

import os
import posixpath
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import fsspec
from fsspec.core import url_to_fs

from jupyter_mlstudio.errors import ArtifactNotFoundError, UserErrorException, ValidationError

_PROTOCOL_EXTRAS = {
    "s3": "s3",
    "s3a": "s3",
    "abfs": "azure",
    "az": "azure",
    "gs": "gcs",
    "gcs": "gcs",
}


def _check_relative(path: str) -> str:
    """A path inside an artifact area: relative, forward slashes, no way out with ``..``."""
    given = path.replace("\\", "/")
    clean = posixpath.normpath(given)
    if given.startswith("/") or clean in ("", ".") or ".." in clean.split("/"):
        raise ValidationError(
            f"The artifact path {path!r} is not a relative path inside the run.",
            hint="Use a name such as 'outputs/model.pkl'.",
            path=path,
        )
    return clean


class ArtifactStore:
    """Files under one root URL (a local folder by default, or s3://, abfs://, gs://...).

    Paths are relative to the root and checked never to leave it; where things go (run
    files, snapshots, models) is decided by the callers. Each file write is atomic, but
    nothing locks a path: when two writers write the same path, the last whole write wins.

    Parameters
    ----------
    root : str
        A folder or an fsspec URL.
    storage_options : dict, optional
        Passed to the fsspec filesystem (credentials, endpoints...).

    Raises
    ------
    UserErrorException
        If the URL's protocol needs an fsspec backend that is not installed.
    """

    def __init__(self, root: str, storage_options: dict[str, object] | None = None) -> None:
        self.root_url = root
        try:
            self.fs, self.root = url_to_fs(root, **(storage_options or {}))
        except (ImportError, ValueError) as exc:
            protocol = root.split("://", 1)[0]
            extra = _PROTOCOL_EXTRAS.get(protocol, protocol)
            raise UserErrorException(
                f"The artifact root {root!r} needs an fsspec backend that is not installed.",
                hint=f"pip install 'jupyter_mlstudio[{extra}]'.",
            ) from exc
        self.is_local = isinstance(self.fs, fsspec.implementations.local.LocalFileSystem)

    def full_path(self, path: str) -> str:
        """The backend path of ``path`` under the root.

        Parameters
        ----------
        path : str
            A relative artifact path such as ``"outputs/model.pkl"``.

        Returns
        -------
        str
            The path as the fsspec filesystem names it (no protocol prefix).

        Raises
        ------
        ValidationError
            If ``path`` is absolute, empty or climbs out with ``..``.
        """
        return posixpath.join(self.root, _check_relative(path))

    def local_path(self, path: str) -> Path | None:
        """The path on this machine's disk, when the store is a local folder."""
        return Path(self.full_path(path)) if self.is_local else None

    def put_file(self, local: str | os.PathLike[str], path: str) -> None:
        """Upload a file from this machine to ``path``, replacing any file already there.

        On a local root the file is copied under a temporary name beside ``path`` and then
        renamed over it, so readers see either the old file or the whole new one. On an object
        store a single put is made, which the store shows only once it is complete.

        Parameters
        ----------
        local : str or os.PathLike
            The file to upload.
        path : str
            The relative artifact path to write.

        Raises
        ------
        ValidationError
            If ``path`` is not a relative path inside the root.
        """
        dest = self.full_path(path)
        if self.is_local:
            Path(dest).parent.mkdir(parents=True, exist_ok=True)
            tmp = f"{dest}.tmp-{uuid.uuid4().hex}"
            try:
                self.fs.put_file(os.fspath(local), tmp)
                os.replace(tmp, dest)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        else:
            # Object stores make a put visible only once it is whole.
            self.fs.put_file(os.fspath(local), dest)

    def put_bytes(self, data: bytes, path: str) -> None:
        """Write ``data`` to ``path``, replacing any file already there.

        Atomic in the same way as :meth:`put_file`: a temporary file renamed into place on a
        local root, one whole put (``pipe_file``) on an object store.

        Parameters
        ----------
        data : bytes
            The file's content.
        path : str
            The relative artifact path to write.
        """
        dest = self.full_path(path)
        if self.is_local:
            Path(dest).parent.mkdir(parents=True, exist_ok=True)
            tmp = f"{dest}.tmp-{uuid.uuid4().hex}"
            try:
                with open(tmp, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, dest)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        else:
            self.fs.pipe_file(dest, data)

    def put_folder(self, local: str | os.PathLike[str], prefix: str) -> list[str]:
        """Upload every file under ``local`` to ``prefix/...``; returns the artifact paths."""
        base = Path(local)
        written = []
        for file in sorted(p for p in base.rglob("*") if p.is_file()):
            name = posixpath.join(prefix, file.relative_to(base).as_posix())
            self.put_file(file, name)
            written.append(_check_relative(name))
        return written

    def open(self, path: str, mode: str = "rb") -> IO[bytes]:
        """Open the file at ``path`` through the backend's filesystem.

        Parameters
        ----------
        path : str
            The relative artifact path.
        mode : str
            A binary file mode, ``"rb"`` by default. Writes through this handle are not atomic;
            use :meth:`put_bytes` or :meth:`put_file` for that.

        Returns
        -------
        IO[bytes]
            A file object; close it (or use it in a ``with`` block).

        Raises
        ------
        ArtifactNotFoundError
            If the mode reads and there is no file at ``path``.
        """
        full = self.full_path(path)
        if "r" in mode and not self.fs.isfile(full):
            raise ArtifactNotFoundError(f"There is no file {path!r}.", path=path)
        return self.fs.open(full, mode)

    def read_bytes(self, path: str, start: int = 0, end: int | None = None) -> bytes:
        """Read the file at ``path``, or the byte range ``[start, end)`` of it.

        Parameters
        ----------
        path : str
            The relative artifact path.
        start : int
            First byte to read (0 by default).
        end : int, optional
            Byte to stop before; the end of the file when left out.

        Returns
        -------
        bytes

        Raises
        ------
        ArtifactNotFoundError
            If there is no file at ``path``.
        """
        full = self.full_path(path)
        try:
            return self.fs.cat_file(full, start=start, end=end)
        except FileNotFoundError as exc:
            raise ArtifactNotFoundError(f"There is no file {path!r}.", path=path) from exc

    def size(self, path: str) -> int:
        """The size in bytes of the file at ``path``, or 0 when there is none."""
        try:
            return int(self.fs.size(self.full_path(path)))
        except FileNotFoundError:
            return 0

    def exists(self, path: str) -> bool:
        """Whether a file or folder exists at ``path``."""
        return bool(self.fs.exists(self.full_path(path)))

    def get_file(self, path: str, local: str | os.PathLike[str]) -> None:
        """Download the file at ``path`` to ``local`` on this machine.

        The parent folders of ``local`` are created; the file is written under a temporary name
        and renamed into place, so ``local`` is never left half written.

        Parameters
        ----------
        path : str
            The relative artifact path.
        local : str or os.PathLike
            Where to write the file.

        Raises
        ------
        ArtifactNotFoundError
            If there is no file at ``path``.
        """
        full = self.full_path(path)
        if not self.fs.isfile(full):
            raise ArtifactNotFoundError(f"There is no file {path!r}.", path=path)
        Path(local).parent.mkdir(parents=True, exist_ok=True)
        tmp = f"{os.fspath(local)}.tmp-{uuid.uuid4().hex}"
        try:
            self.fs.get_file(full, tmp)
            os.replace(tmp, local)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def list(self, prefix: str) -> list[str]:
        """Every file under ``prefix``, as paths relative to it, sorted."""
        base = self.full_path(prefix) if prefix else self.root
        if not self.fs.exists(base):
            return []
        out = []
        for found in self.fs.find(base):
            rel = posixpath.relpath(self._strip(found), self._strip(base))
            if ".tmp-" not in posixpath.basename(rel):
                out.append(rel)
        return sorted(out)

    def iter_files(self, prefix: str) -> Iterator[str]:
        """Yield the files under ``prefix`` one by one (the paths :meth:`list` gives)."""
        yield from self.list(prefix)

    def copy_tree(self, src_prefix: str, dest_prefix: str) -> list[str]:
        """Copy every file under one prefix to another (used to keep model versions whole)."""
        copied = []
        for rel in self.list(src_prefix):
            with self.open(posixpath.join(src_prefix, rel)) as fh:
                self.put_bytes(fh.read(), posixpath.join(dest_prefix, rel))
            copied.append(rel)
        return copied

    def _strip(self, path: str) -> str:
        return self.fs._strip_protocol(path)  # type: ignore[attr-defined]


__all__ = ["ArtifactStore"]
