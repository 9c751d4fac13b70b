"""A real Jupyter server with the studio extension, over a workspace made with the SDK."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_jupyter.jupyter_server import *  # noqa: F403  (jp_fetch, jp_serverapp, ...)

LONG_SERIES = 5000


def _populate(folder: Path) -> dict[str, Any]:
    """A workspace with runs (one with a child and a grandchild), a long metric, a log,
    files, a registered dataset and a model registered from a run."""
    import numpy as np
    import pandas as pd

    from jupyter_mlstudio.core import Dataset, Experiment, Workspace

    ws = Workspace.create(name="studio_ws", path=folder, show_output=False)
    data = folder / "data"
    data.mkdir()
    pd.DataFrame({"x": np.arange(300) * 0.5, "label": ["a", "b", "c"] * 100}).to_csv(
        data / "points.csv", index=False
    )
    datastore = ws.get_default_datastore()
    datastore.upload(str(data), target_path="points", overwrite=True, show_progress=False)
    Dataset.Tabular.from_delimited_files((datastore, "points/*.csv")).register(
        ws, "points", description="Points for the studio tests"
    )
    exp = Experiment(ws, "train")
    run = exp.start_logging(snapshot_directory=None)
    for step in range(LONG_SERIES):
        run.log("loss", 1.0 / (step + 1) if step != 1234 else 50.0, step=step)
    run.log("accuracy", 0.93)
    run.log_params({"lr": "0.01", "depth": "4"})
    run.tag("team", "blue")
    (folder / "log.txt").write_text("".join(f"line {i}\n" for i in range(200)))
    run.upload_file("logs/std_log.txt", str(folder / "log.txt"))
    (folder / "model.pkl").write_bytes(b"not really a model")
    run.upload_file("outputs/model.pkl", str(folder / "model.pkl"))
    child = run.child_run(name="child")
    grandchild = child.child_run(name="grandchild")
    grandchild.log("loss", 0.5)
    grandchild.complete()
    child.complete()
    run.complete()
    run.register_model("points_model", "outputs/model.pkl", tags={"kind": "test"})
    other = Experiment(ws, "tune").start_logging(snapshot_directory=None)
    other.log("accuracy", 0.71)
    other.log_params({"lr": "0.1"})
    other.complete()
    ws._store.close()
    return {
        "run_id": run.id,
        "child_id": child.id,
        "grandchild_id": grandchild.id,
        "other": other.id,
    }


@pytest.fixture(scope="module")
def studio_workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict]]:
    folder = tmp_path_factory.mktemp("studio_ws")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLSTUDIO_HOME", str(tmp_path_factory.mktemp("studio_home")))
        mp.chdir(folder)
        ids = _populate(folder)
    yield folder, ids


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return {"ServerApp": {"jpserver_extensions": {"jupyter_mlstudio.server": True}}}


@pytest.fixture
def jp_root_dir(studio_workspace: tuple[Path, dict]) -> Path:
    return studio_workspace[0]


@pytest.fixture
def ids(studio_workspace: tuple[Path, dict]) -> dict[str, str]:
    return studio_workspace[1]


@pytest.fixture(autouse=True)
def _fast_events(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLSTUDIO_EVENTS_SECONDS", "0.2")
    os.environ.pop("MLSTUDIO_WORKSPACE_CONFIG", None)
