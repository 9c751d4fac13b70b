"""The scoring script and environment AutoML writes next to each model.

Each child run gets ``outputs/scoring_file_v_1_0_0.py`` and ``outputs/conda_env_v_1_0_0.yml``
(Azure ML's names), so its model deploys as it is::

    best_run.download_file("outputs/scoring_file_v_1_0_0.py", "score.py")
    model = automl_run.register_model(model_name="best")
    config = InferenceConfig(entry_script="score.py", environment=best_run.get_environment())
    Model.deploy(ws, "automl-endpoint", [model], config, deployment_config)

The script takes ``{"data": [{"column": value, ...}, ...]}`` (or rows as lists, in the
training columns' order) and answers ``{"result": [...]}``.
"""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version

__all__ = ["SCORING_FILE", "ENV_FILE", "conda_env", "scoring_script"]

SCORING_FILE = "outputs/scoring_file_v_1_0_0.py"
ENV_FILE = "outputs/conda_env_v_1_0_0.yml"

_SCRIPT = '''\
"""Scoring script written by jupyter_mlstudio AutoML for run {run_id} ({algorithm}).

Input: {{"data": [{{"column": value, ...}}, ...]}}, or rows as lists in the training
columns' order. Output: {{"result": [prediction, ...]}}.
"""
import json
import os

import joblib
import pandas as pd

COLUMNS = {columns!r}
model = None


def init():
    global model
    folder = os.getenv("AZUREML_MODEL_DIR", ".")
    path = os.path.join(folder, "model.pkl")
    if not os.path.exists(path):  # the model was registered inside a folder
        found = [os.path.join(root, name) for root, _, names in os.walk(folder)
                 for name in names if name == "model.pkl"]
        if not found:
            raise FileNotFoundError(f"No model.pkl under {{folder}}")
        path = found[0]
    model = joblib.load(path)


def run(data):
    payload = json.loads(data) if isinstance(data, (str, bytes)) else data
    rows = payload
    if isinstance(rows, dict):
        rows = rows.get("data", rows.get("Inputs", rows))
    if isinstance(rows, dict) and "data" in rows:
        rows = rows["data"]
    if isinstance(rows, dict):
        frame = pd.DataFrame(rows)
    elif rows and isinstance(rows[0], dict):
        frame = pd.DataFrame(rows)
    else:
        frame = pd.DataFrame(rows, columns=COLUMNS)
    for column in COLUMNS:
        if column not in frame.columns:
            frame[column] = None
    result = model.predict(frame[COLUMNS])
    return {{"result": [v.item() if hasattr(v, "item") else v for v in result]}}
'''


def scoring_script(run_id: str, algorithm: str, columns: list[str]) -> str:
    """score.py for a model that takes rows with ``columns``."""
    return _SCRIPT.format(run_id=run_id, algorithm=algorithm, columns=list(columns))


def _pin(package: str) -> str:
    try:
        return f"{package}=={version(package)}"
    except PackageNotFoundError:
        return package


def conda_env() -> str:
    """A conda specification pinning what the model needs to load (this Python's versions)."""
    pip = [_pin(p) for p in ("scikit-learn", "pandas", "numpy", "joblib", "scipy")]
    pip.append("jupyter_mlstudio")  # the featurization and ensemble classes live here
    lines = [
        "name: project_environment",
        "dependencies:",
        f"  - python={'.'.join(platform.python_version_tuple()[:2])}",
        "  - pip",
        "  - pip:",
        *[f"    - {p}" for p in pip],
    ]
    return "\n".join(lines) + "\n"
