"""A run's files: uploads, listing and downloads under ``runs/<run_id>/``."""

from __future__ import annotations

import os
import posixpath
import shutil
import tempfile
from pathlib import Path
from typing import IO

from jupyter_mlstudio.errors import ArtifactNotFoundError, ValidationError
from jupyter_mlstudio.store import ArtifactStore


def run_prefix(run_id: str) -> str:
    return f"runs/{run_id}"


class RunFiles:
    """The files of one run, in the workspace's artifact store."""

    def __init__(self, artifacts: ArtifactStore, run_id: str) -> None:
        self._artifacts = artifacts
        self._run_id = run_id
        self._prefix = run_prefix(run_id)

    def _path(self, name: str) -> str:
        return posixpath.join(self._prefix, name.replace("\\", "/").lstrip("/"))

    def put_bytes(self, data: bytes, name: str) -> None:
        self._artifacts.put_bytes(data, self._path(name))

    def put_file(self, local: str | os.PathLike[str], name: str) -> None:
        self._artifacts.put_file(local, self._path(name))

    def upload_file(self, name: str, path_or_stream: str | os.PathLike[str] | IO[bytes]) -> None:
        if hasattr(path_or_stream, "read"):
            self.put_bytes(path_or_stream.read(), name)  # type: ignore[union-attr]
            return
        source = Path(path_or_stream)  # type: ignore[arg-type]
        if not source.is_file():
            raise ValidationError(
                f"Cannot upload {source}: no such file.",
                hint=f"Give the path of an existing file (relative paths start at {os.getcwd()}).",
                path=str(source),
            )
        self.put_file(source, name)

    def upload_folder(self, name: str, path: str | os.PathLike[str]) -> list[str]:
        source = Path(path)
        if not source.is_dir():
            raise ValidationError(f"Cannot upload {source}: no such folder.", path=str(source))
        written = self._artifacts.put_folder(source, self._path(name))
        return [posixpath.relpath(w, self._prefix) for w in written]

    def names(self) -> list[str]:
        return self._artifacts.list(self._prefix)

    def read_text(self, name: str) -> str:
        return self._artifacts.read_bytes(self._path(name)).decode("utf-8", errors="replace")

    def read_bytes(self, name: str, start: int = 0, end: int | None = None) -> bytes:
        return self._artifacts.read_bytes(self._path(name), start, end)

    def size(self, name: str) -> int:
        return self._artifacts.size(self._path(name))

    def download_file(self, name: str, output_file_path: str | os.PathLike[str] | None) -> str:
        target = Path(output_file_path or posixpath.basename(name))
        if target.is_dir():
            target = target / posixpath.basename(name)
        try:
            self._artifacts.get_file(self._path(name), target)
        except ArtifactNotFoundError as exc:
            raise ArtifactNotFoundError(
                f"Run {self._run_id} has no file {name!r}.",
                hint="run.get_file_names() lists its files.",
                run_id=self._run_id,
                path=name,
            ) from exc
        return str(target)

    def download_files(
        self,
        prefix: str | None,
        output_directory: str | os.PathLike[str] | None,
        *,
        append_prefix: bool = True,
    ) -> list[str]:
        from tqdm.auto import tqdm

        names = [n for n in self.names() if prefix is None or n.startswith(prefix)]
        out_dir = Path(output_directory or tempfile.mkdtemp(prefix=f"{self._run_id}-"))
        written = []
        for name in tqdm(
            names, desc=f"Downloading {self._run_id}", unit="file", disable=len(names) < 20
        ):
            rel = name if append_prefix or not prefix else posixpath.relpath(name, prefix)
            target = out_dir / rel
            self._artifacts.get_file(self._path(name), target)
            written.append(str(target))
        return written

    def copy_to(self, name: str, dest: Path) -> None:
        local = self._artifacts.local_path(self._path(name))
        if local is not None:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(local, dest)
        else:
            self._artifacts.get_file(self._path(name), dest)
