"""``DataReference``: a path on a datastore that a job sees as a local path."""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from jupyter_mlstudio.errors import UserErrorException

if TYPE_CHECKING:
    from jupyter_mlstudio.core.datastore import Datastore

__all__ = ["DataReference"]


class DataReference:
    """A location on a datastore (azureml.data.data_reference.DataReference).

    Passed in a job's arguments (``'--data-folder': ds.as_mount()``) it becomes the local
    path of that location inside the job.
    """

    def __init__(
        self,
        datastore: Datastore,
        data_reference_name: str | None = None,
        path_on_datastore: str | None = None,
        mode: str = "mount",
        path_on_compute: str | None = None,
        overwrite: bool = False,
    ) -> None:
        self.datastore = datastore
        self.data_reference_name = data_reference_name or datastore.name
        self.path_on_datastore = path_on_datastore
        self.mode = mode
        self.path_on_compute = path_on_compute
        self.overwrite = overwrite

    def as_mount(self) -> DataReference:
        """Return a copy of this reference in ``mount`` mode."""
        return DataReference(
            self.datastore,
            self.data_reference_name,
            self.path_on_datastore,
            "mount",
            self.path_on_compute,
            self.overwrite,
        )

    def as_download(
        self, path_on_compute: str | None = None, overwrite: bool = False
    ) -> DataReference:
        """Return a copy of this reference in ``download`` mode.

        On this machine a job is given the datastore's folder itself in either mode;
        ``path_on_compute`` and ``overwrite`` are kept on the reference.
        """
        return DataReference(
            self.datastore,
            self.data_reference_name,
            self.path_on_datastore,
            "download",
            path_on_compute,
            overwrite,
        )

    def path(
        self,
        path: str | None = None,
        data_reference_name: str | None = None,
    ) -> DataReference:
        """Return a reference to ``path`` under this one.

        Parameters
        ----------
        path : str, optional
            Joined to this reference's ``path_on_datastore``.
        data_reference_name : str, optional
            The new reference's name; the datastore's name by default.

        Returns
        -------
        DataReference
            A reference in the same mode.
        """
        joined = posixpath.join(self.path_on_datastore or "", path or "") or None
        return DataReference(self.datastore, data_reference_name, joined, self.mode)

    def local_path(self) -> str:
        """The path a job on this machine reads, for a datastore on a local disk."""
        root = self.datastore._local_root()
        if root is None:
            raise UserErrorException(
                f"The datastore {self.datastore.name!r} is not on this machine's disk, so it "
                "cannot be mounted into a local job yet.",
                hint="Download the data first (datastore.download(...)) and pass the folder.",
            )
        return str(root / self.path_on_datastore) if self.path_on_datastore else str(root)

    def __str__(self) -> str:
        return f"$AZUREML_DATAREFERENCE_{self.data_reference_name}"

    def __repr__(self) -> str:
        return (
            f"DataReference(datastore={self.datastore.name!r}, "
            f"path_on_datastore={self.path_on_datastore!r}, mode={self.mode!r})"
        )
