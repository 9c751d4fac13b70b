"""The Azure ML SDK v1 core classes (``azureml.core``), for a local workspace::

    from jupyter_mlstudio.core import Workspace, Experiment, ScriptRunConfig
    ws = Workspace.create(name="demo")
    run = Experiment(ws, "wine").submit(ScriptRunConfig("code", "train.py"))
    run.wait_for_completion(show_output=True)

Classes load on first use, so importing this module is cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

VERSION = "0.1.0"

_EXPORTS = {
    "Workspace": "jupyter_mlstudio.core.workspace",
    "Experiment": "jupyter_mlstudio.core.experiment",
    "Run": "jupyter_mlstudio.core.run",
    "ScriptRun": "jupyter_mlstudio.core.script_run",
    "ScriptRunConfig": "jupyter_mlstudio.core.script_run_config",
    "RunConfiguration": "jupyter_mlstudio.core.runconfig",
    "Environment": "jupyter_mlstudio.core.environment",
    "ComputeTarget": "jupyter_mlstudio.core.compute",
    "Datastore": "jupyter_mlstudio.core.datastore",
    "Dataset": "jupyter_mlstudio.core.dataset",
    "Model": "jupyter_mlstudio.core.model",
    "Webservice": "jupyter_mlstudio.core.webservice",
}

__all__ = [
    "VERSION",
    "ComputeTarget",
    "Dataset",
    "Datastore",
    "Environment",
    "Experiment",
    "Model",
    "Run",
    "RunConfiguration",
    "ScriptRun",
    "ScriptRunConfig",
    "Webservice",
    "Workspace",
]

if TYPE_CHECKING:
    from jupyter_mlstudio.core.compute import ComputeTarget
    from jupyter_mlstudio.core.dataset import Dataset
    from jupyter_mlstudio.core.datastore import Datastore
    from jupyter_mlstudio.core.environment import Environment
    from jupyter_mlstudio.core.experiment import Experiment
    from jupyter_mlstudio.core.model import Model
    from jupyter_mlstudio.core.run import Run
    from jupyter_mlstudio.core.runconfig import RunConfiguration
    from jupyter_mlstudio.core.script_run import ScriptRun
    from jupyter_mlstudio.core.script_run_config import ScriptRunConfig
    from jupyter_mlstudio.core.webservice import Webservice
    from jupyter_mlstudio.core.workspace import Workspace


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'jupyter_mlstudio.core' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
