"""Content-addressed snapshots of step source folders: stored once, shared by every run
and published pipeline that uses the same files."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from jupyter_mlstudio.core._snapshot import list_snapshot_files

if TYPE_CHECKING:
    from jupyter_mlstudio.core.workspace import Workspace

_DONE = ".complete"


def _prefix(digest: str) -> str:
    return f"pipeline_snapshots/{digest}"


def store_snapshot(workspace: Workspace, source_directory: str) -> str:
    """Store the folder's files (as a script job would) and return their content hash."""
    files = list_snapshot_files(source_directory)
    digest = hashlib.sha256()
    for path, rel in files:
        with open(path, "rb") as fh:
            digest.update(f"{rel}\0{hashlib.file_digest(fh, 'sha256').hexdigest()}\0".encode())
    key = digest.hexdigest()[:32]
    artifacts = workspace._artifacts
    if not artifacts.exists(f"{_prefix(key)}/{_DONE}"):
        for path, rel in files:
            artifacts.put_file(path, f"{_prefix(key)}/files/{rel}")
        artifacts.put_bytes(b"", f"{_prefix(key)}/{_DONE}")  # written last: whole or absent
    return key


def materialize_snapshot(workspace: Workspace, key: str, cache: Path | None = None) -> Path:
    """A local folder with the snapshot's files (made once per ``cache`` folder)."""
    root = (cache or Path(tempfile.gettempdir()) / "mlstudio-snapshots") / key
    if (root / _DONE).exists():
        return root / "files"
    prefix = f"{_prefix(key)}/files"
    for rel in workspace._artifacts.list(prefix):
        workspace._artifacts.get_file(f"{prefix}/{rel}", root / "files" / rel)
    (root / "files").mkdir(parents=True, exist_ok=True)
    (root / _DONE).write_text("")
    return root / "files"
