"""Resume sweeps whose controller is gone (the machine restarted, the process was killed).

A sweep's controller is its own process, independent of the notebook kernel and of the
Jupyter server: restarting either does not touch it. Only when the controller itself is
gone (a reboot, a kill) does a sweep need this. The studio's server extension can call
:func:`resume_sweeps` when it starts; any caller may.

A sweep someone looked at after its controller died has already ended Failed with the
reason (``HyperDriveRun.get_status()`` checks); it is not resumed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jupyter_mlstudio.train._controller_process import resume_dead
from jupyter_mlstudio.train.hyperdrive._launch import CONTROLLER_PROPERTY, launch_controller
from jupyter_mlstudio.train.hyperdrive.runconfig import RUN_TYPE

if TYPE_CHECKING:
    from jupyter_mlstudio.core.workspace import Workspace

__all__ = ["resume_sweeps"]


def resume_sweeps(workspace: Workspace) -> list[str]:
    """Start a new controller for every unfinished sweep whose controller is gone.

    Returns the ids of the sweeps resumed. The new controller adopts the trials already
    started (they run on in their own processes) and goes on sampling where the old one
    stopped; two callers at once cannot both resume the same sweep.
    """
    return resume_dead(workspace, RUN_TYPE, CONTROLLER_PROPERTY, launch_controller)
