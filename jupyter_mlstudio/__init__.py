"""jupyter_mlstudio: Azure Machine Learning Studio, local and open, inside JupyterLab.

The SDK mirrors the Azure ML SDK v1 under ``jupyter_mlstudio.`` instead of ``azureml.``::

    from jupyter_mlstudio.core import Workspace, Experiment
    ws = Workspace.create(name="demo")
    run = Experiment(ws, "first").start_logging()

Importing this package is cheap and has no side effects: submodules load on first use.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
