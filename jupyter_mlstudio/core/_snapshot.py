"""Snapshots: the source directory of a run, stored with it so the run can be reproduced.

Files named in ``.amlignore`` (or, without one, ``.gitignore``) are left out, as in Azure ML,
and a snapshot over the limit is refused with a message that says the limit and the size.
"""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path
from typing import TYPE_CHECKING

from jupyter_mlstudio.errors import SnapshotTooLargeError, ValidationError

if TYPE_CHECKING:
    from jupyter_mlstudio.core.workspace import Workspace

DEFAULT_LIMIT_MB = 300.0  # Azure ML's limit
DEFAULT_MAX_FILES = 2000
_ALWAYS_IGNORED = (
    ".git",
    "__pycache__",
    ".ipynb_checkpoints",
    ".mlstudio",
    ".azureml",
    ".venv",
    "node_modules",
    "*.pyc",
)


def snapshot_prefix(run_id: str) -> str:
    return f"snapshots/{run_id}"


def limit_bytes() -> int:
    return int(float(os.environ.get("MLSTUDIO_SNAPSHOT_LIMIT_MB", DEFAULT_LIMIT_MB)) * 1024 * 1024)


def _patterns(source: Path) -> list[str]:
    for name in (".amlignore", ".gitignore"):
        file = source / name
        if file.is_file():
            lines = [ln.strip() for ln in file.read_text(errors="replace").splitlines()]
            return [ln.rstrip("/") for ln in lines if ln and not ln.startswith("#")]
    return []


def _ignored(rel: str, patterns: list[str]) -> bool:
    parts = rel.split("/")
    for pattern in (*_ALWAYS_IGNORED, *patterns):
        anchored = pattern.startswith("/")
        pattern = pattern.lstrip("/")
        if anchored or "/" in pattern:
            if fnmatch.fnmatch(rel, pattern) or rel.startswith(pattern + "/"):
                return True
        elif any(fnmatch.fnmatch(part, pattern) for part in parts):
            return True
    return False


def list_snapshot_files(source_directory: str | os.PathLike[str]) -> list[tuple[Path, str]]:
    """(local file, relative path) of every file that goes into the snapshot, checked
    against the size and count limits."""
    source = Path(source_directory).expanduser()
    if not source.is_dir():
        raise ValidationError(
            f"The source directory {source} does not exist.",
            hint="Pass the folder that holds your script as source_directory.",
            path=str(source),
        )
    patterns = _patterns(source)
    files: list[tuple[Path, str]] = []
    total = 0
    limit = limit_bytes()
    for root, dirs, names in os.walk(source):
        rel_root = Path(root).relative_to(source).as_posix()
        rel_root = "" if rel_root == "." else rel_root + "/"
        dirs[:] = [d for d in dirs if not _ignored(rel_root + d, patterns)]
        for name in names:
            rel = rel_root + name
            if _ignored(rel, patterns):
                continue
            path = Path(root) / name
            if not path.is_file():
                continue
            total += path.stat().st_size
            files.append((path, rel))
            if total > limit or len(files) > DEFAULT_MAX_FILES:
                raise SnapshotTooLargeError(
                    f"The source directory {source} is over the snapshot limit of "
                    f"{limit / 1024 / 1024:.0f} MB and {DEFAULT_MAX_FILES} files "
                    f"(found at least {total / 1024 / 1024:.1f} MB in {len(files)} files).",
                    hint="Move data out of the source directory (upload it to a datastore), "
                    "list what to leave out in .amlignore, or raise MLSTUDIO_SNAPSHOT_LIMIT_MB.",
                    path=str(source),
                    limit_bytes=limit,
                    size_bytes=total,
                )
    return files


def take_snapshot(
    workspace: Workspace, run_id: str, source_directory: str | os.PathLike[str]
) -> int:
    """Store the source directory with the run; returns the number of files."""
    files = list_snapshot_files(source_directory)
    prefix = snapshot_prefix(run_id)
    for path, rel in files:
        workspace._artifacts.put_file(path, f"{prefix}/{rel}")
    return len(files)
