"""``FileDataset``: a set of files, downloaded or mounted where code needs them."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar

from jupyter_mlstudio.data.abstract_dataset import AbstractDataset
from jupyter_mlstudio.errors import UserErrorException, ValidationError

if TYPE_CHECKING:
    from jupyter_mlstudio.data.datapath import ResolvedFile

__all__ = ["FileDataset", "MountContext"]


class FileDataset(AbstractDataset):
    """Files (azureml.data.FileDataset): images, text, models, anything."""

    _kind: ClassVar[str] = "file"

    def _selected(self) -> list[ResolvedFile]:
        import numpy as np

        files = self._files()
        for step in self._definition.get("transforms", []):
            op = step["op"]
            if op == "take":
                files = files[: step["count"]]
            elif op == "skip":
                files = files[step["count"] :]
            elif op in ("sample", "split"):
                share = step.get("probability", step.get("percentage"))
                first = np.random.default_rng(step["seed"]).random(len(files)) < share
                keep = first if op == "sample" or step["part"] == 0 else ~first
                files = [f for f, k in zip(files, keep, strict=True) if k]
        return files

    def to_path(self) -> list[str]:
        """The dataset's files, as paths relative to it (``/folder/file.png``)."""
        return ["/" + f.relative for f in self._selected()]

    def download(
        self,
        target_path: str | os.PathLike[str] | None = None,
        overwrite: bool = False,
        ignore_not_found: bool = False,
    ) -> list[str]:
        """Copy the files to ``target_path`` (a new temporary folder by default)."""
        from tqdm.auto import tqdm

        target = Path(target_path) if target_path else Path(tempfile.mkdtemp(prefix="dataset-"))
        files = self._selected()
        out = []
        for file in tqdm(files, unit="file", desc="Downloading", disable=len(files) < 20):
            dest = target / file.relative
            if dest.exists() and not overwrite:
                raise UserErrorException(
                    f"{dest} exists already.",
                    hint="Pass overwrite=True to replace it.",
                    path=str(dest),
                )
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_name(f".{dest.name}.part")
            try:
                file.fs.get_file(file.path, str(tmp))
            except FileNotFoundError:
                if ignore_not_found:
                    continue
                raise
            os.replace(tmp, dest)
            out.append(str(dest))
        return out

    def mount(self, mount_point: str | os.PathLike[str] | None = None) -> MountContext:
        """A folder holding the dataset's files while the context is open::

        with dataset.mount() as ctx:
            print(os.listdir(ctx.mount_point))
        """
        return MountContext(self, mount_point)

    def _make_profile(self) -> dict[str, Any]:
        files = self._selected()
        sizes = [f.fs.size(f.path) or 0 for f in files]
        extensions: dict[str, int] = {}
        for f in files:
            ext = Path(f.relative).suffix.lower() or "(none)"
            extensions[ext] = extensions.get(ext, 0) + 1
        return {
            "files": len(files),
            "total_bytes": int(sum(sizes)),
            "extensions": dict(sorted(extensions.items())),
        }

    def take(self, count: int) -> FileDataset:
        """Return a new, unregistered dataset of the first ``count`` files."""
        return self._derive({"op": "take", "count": int(count)})  # type: ignore[return-value]

    def skip(self, count: int) -> FileDataset:
        """Return a new, unregistered dataset without the first ``count`` files."""
        return self._derive({"op": "skip", "count": int(count)})  # type: ignore[return-value]

    def take_sample(self, probability: float, seed: int | None = None) -> FileDataset:
        """Return a new, unregistered dataset of a random sample of the files.

        Parameters
        ----------
        probability : float
            The chance each file is kept (between 0 and 1).
        seed : int, optional
            The random seed; 0 when not given, so the sample is the same each time (unlike
            ``azureml``, which picks a seed).
        """
        return self._derive(  # type: ignore[return-value]
            {"op": "sample", "probability": float(probability), "seed": seed or 0}
        )

    def random_split(
        self,
        percentage: float,
        seed: int | None = None,
    ) -> tuple[FileDataset, FileDataset]:
        """Split the files at random into two new, unregistered datasets.

        Parameters
        ----------
        percentage : float
            The share of files (between 0 and 1) that go to the first dataset, roughly.
        seed : int, optional
            The random seed; 0 when not given, so the split is the same each time.

        Returns
        -------
        tuple of FileDataset
            The first part and the rest; no file is in both.

        Raises
        ------
        ValidationError
            ``percentage`` is not between 0 and 1.
        """
        if not 0 <= percentage <= 1:
            raise ValidationError(f"percentage must be between 0 and 1, not {percentage!r}.")
        parts = [
            self._derive(
                {"op": "split", "percentage": float(percentage), "seed": seed or 0, "part": part}
            )
            for part in (0, 1)
        ]
        return parts[0], parts[1]  # type: ignore[return-value]


class MountContext:
    """The files of a FileDataset under ``mount_point`` while open: links to local files,
    copies of remote ones; the folder is removed on exit if this context made it."""

    def __init__(self, dataset: FileDataset, mount_point: str | os.PathLike[str] | None) -> None:
        self._dataset = dataset
        self._made = mount_point is None
        self.mount_point = str(mount_point or tempfile.mkdtemp(prefix="mount-"))

    def start(self) -> None:
        """Fill ``mount_point`` with the files: links to local ones, copies of remote ones."""
        root = Path(self.mount_point)
        root.mkdir(parents=True, exist_ok=True)
        for file in self._dataset._selected():
            dest = root / file.relative
            dest.parent.mkdir(parents=True, exist_ok=True)
            if type(file.fs).__name__ == "LocalFileSystem":
                if not dest.exists():
                    dest.symlink_to(file.path)
            else:
                file.fs.get_file(file.path, str(dest))

    def stop(self) -> None:
        """Remove ``mount_point`` if this context made it (a folder given to it is left)."""
        if self._made:
            shutil.rmtree(self.mount_point, ignore_errors=True)

    def __enter__(self) -> MountContext:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
