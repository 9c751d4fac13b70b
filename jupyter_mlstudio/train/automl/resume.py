"""Resume AutoML runs whose driver is gone (the machine restarted, the process was killed).

The driver is its own process, independent of the notebook kernel and the Jupyter server;
only when it is gone does a run need this. The new driver adopts the completed iterations
(their models and out-of-fold predictions are stored with them) and goes on searching.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jupyter_mlstudio.train._controller_process import resume_dead
from jupyter_mlstudio.train.automl._launch import DRIVER_PROPERTY, launch_driver
from jupyter_mlstudio.train.automl.config import RUN_TYPE

if TYPE_CHECKING:
    from jupyter_mlstudio.core.workspace import Workspace

__all__ = ["resume_automl"]


def resume_automl(workspace: Workspace) -> list[str]:
    """Start a new driver for every unfinished AutoML run whose driver is gone.

    Parameters
    ----------
    workspace : Workspace
        Where to look.

    Returns
    -------
    list of str
        The ids of the runs resumed. Two callers at once cannot both resume the same run.
    """
    return resume_dead(workspace, RUN_TYPE, DRIVER_PROPERTY, launch_driver)
