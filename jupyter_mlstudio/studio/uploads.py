"""What the file browser's commands do: register a CSV/Parquet file as a dataset, and submit
a .py script or a .ipynb notebook as a job. Paths are relative to the server's folder and may
not leave it."""

from __future__ import annotations

import re
import shutil
import tempfile
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.core import Dataset, Experiment, ScriptRunConfig
from jupyter_mlstudio.errors import NotFoundError, ValidationError

if TYPE_CHECKING:
    from jupyter_mlstudio.core.workspace import Workspace

__all__ = ["register_file_as_dataset", "submit_file"]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,254}")
_RUN_NOTEBOOK = """
import os, sys
import papermill

notebook = sys.argv[1]
os.makedirs("outputs", exist_ok=True)
# The executed notebook (with its outputs) is kept with the run, so the studio can show it.
papermill.execute_notebook(notebook, os.path.join("outputs", notebook), kernel_name="python3",
                           log_output=True, progress_bar=False)
"""


def inside(root: Path, path: str) -> Path:
    """``path`` (relative to the server's folder) as an existing file inside ``root``."""
    if not path or "\x00" in path:
        raise ValidationError("A file path is needed.")
    full = (root / path).resolve()
    if not full.is_relative_to(root.resolve()):
        raise ValidationError(f"{path!r} is outside the server's folder.", path=path)
    if not full.is_file():
        raise NotFoundError(f"There is no file {path!r} in the server's folder.", path=path)
    return full


def _check_name(name: str) -> str:
    if not _NAME.fullmatch(name or ""):
        raise ValidationError(
            f"{name!r} is not a valid name.",
            hint="Use letters, digits, '-', '_' and '.', starting with a letter or digit.",
            name=name,
        )
    return name


def register_file_as_dataset(
    ws: Workspace, root: Path, path: str, name: str | None = None, description: str | None = None
) -> dict[str, Any]:
    """Upload a CSV or Parquet file to the default datastore and register it (a new version if
    the name exists)."""
    full = inside(root, path)
    suffix = full.suffix.lower()
    if suffix not in (".csv", ".tsv", ".parquet", ".pq"):
        raise ValidationError(
            f"{path!r} is not a CSV or Parquet file.", hint="Register .csv, .tsv or .parquet."
        )
    name = _check_name(name or re.sub(r"[^A-Za-z0-9_.-]", "_", full.stem))
    datastore = ws.get_default_datastore()
    target = f"datasets/{name}"
    datastore.upload_files([str(full)], target_path=target, overwrite=True, show_progress=False)
    where = (datastore, f"{target}/{full.name}")
    if suffix in (".parquet", ".pq"):
        dataset = Dataset.Tabular.from_parquet_files(where)
    else:
        separator = "\t" if suffix == ".tsv" else ","
        dataset = Dataset.Tabular.from_delimited_files(where, separator=separator)
    registered = dataset.register(
        ws, name, description=description or f"Registered from {path}", create_new_version=True
    )
    return {"name": registered.name, "version": registered.version}


def submit_file(ws: Workspace, root: Path, path: str, experiment: str | None = None) -> dict:
    """Submit a script (its folder is the snapshot) or a notebook (run by papermill, the
    executed copy kept in the run's outputs); answers at once with the run id."""
    full = inside(root, path)
    experiment = _check_name(experiment or re.sub(r"[^A-Za-z0-9_.-]", "_", full.stem))
    if full.suffix == ".py":
        config = ScriptRunConfig(source_directory=str(full.parent), script=full.name)
        run = Experiment(ws, experiment).submit(config)
    elif full.suffix == ".ipynb":
        # The snapshot holds the notebook and a runner, not the notebook's whole folder.
        staging = Path(tempfile.mkdtemp(prefix="mlstudio-nb-"))
        try:
            shutil.copy2(full, staging / full.name)
            (staging / "_run_notebook.py").write_text(textwrap.dedent(_RUN_NOTEBOOK).lstrip())
            config = ScriptRunConfig(
                source_directory=str(staging), script="_run_notebook.py", arguments=[full.name]
            )
            run = Experiment(ws, experiment).submit(config)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    else:
        raise ValidationError(f"{path!r} is not a .py script or a .ipynb notebook.", path=path)
    return {"runId": run.id, "experiment": experiment}
