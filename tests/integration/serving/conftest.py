"""Shared set-up for endpoint tests: a workspace with a trained model, and clean-up that
stops every endpoint a test started (they are detached processes)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

SCORE_PY = """
import json
import joblib
import numpy as np
from jupyter_mlstudio.core.model import Model

sample_input = {"data": [[0.5] * 30]}

def init():
    global model
    model = joblib.load(Model.get_model_path("cancer"))

def run(raw_data):
    data = json.loads(raw_data)
    if data.get("explode"):
        raise RuntimeError("asked to explode")
    return model.predict(np.array(data["data"])).tolist()
"""


def write_script(folder: Path, text: str, name: str = "score.py") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(textwrap.dedent(text))
    return folder


def stop_all(ws) -> None:
    from jupyter_mlstudio.core.webservice import Webservice

    for service in Webservice.list(ws):
        service.delete()


class Trained:
    def __init__(self, ws, model, estimator, X, folder: Path) -> None:
        self.ws = ws
        self.model = model
        self.estimator = estimator
        self.X = X
        self.folder = folder

    def expected(self, rows) -> list[int]:
        return self.estimator.predict(np.asarray(rows)).tolist()


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trained]:
    """A workspace (SQLite) with 'cancer' v1 registered, and a source folder with score.py."""
    from jupyter_mlstudio.core import Model, Workspace

    folder = tmp_path_factory.mktemp("serving")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLSTUDIO_HOME", str(folder / "home"))
        ws = Workspace.create(name="serving_ws", path=folder, show_output=False)
        X, y = load_breast_cancer(return_X_y=True)
        # Scaled first: lbfgs then converges in a few dozen steps, quick on a busy machine.
        estimator = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
        joblib.dump(estimator, folder / "cancer.pkl")
        model = Model.register(ws, folder / "cancer.pkl", "cancer", tags={"kind": "lr"})
        write_script(folder / "src", SCORE_PY)
        try:
            yield Trained(ws, model, estimator, X, folder)
        finally:
            stop_all(ws)


@pytest.fixture
def src(trained: Trained) -> Path:
    return trained.folder / "src"


def pids_of(service) -> list[int]:
    """The supervisor's pid and its workers' (for checks that nothing is left running)."""
    import psutil

    record = service.workspace._store.endpoints.get_endpoint(service.name)
    try:
        proc = psutil.Process(record.pid)
        return [record.pid, *(c.pid for c in proc.children(recursive=True))]
    except psutil.NoSuchProcess:
        return []


def wait_stopped(service, timeout: float = 30.0) -> bool:
    """True once the endpoint's supervisor has exited (bounded wait)."""
    import time

    from jupyter_mlstudio.execution.liveness import is_alive

    record = service.workspace._store.endpoints.get_endpoint(service.name)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if record.pid is None or not is_alive(record.pid, record.pid_started_at):
            return True
        time.sleep(0.05)
    return False


__all__ = ["SCORE_PY", "Trained", "pids_of", "stop_all", "wait_stopped", "write_script"]
