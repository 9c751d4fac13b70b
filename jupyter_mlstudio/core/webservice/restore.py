"""Start again the endpoints that should be running: after a reboot, or when the Jupyter
server starts.

The Jupyter server extension calls, for each workspace it serves, at start-up::

    from jupyter_mlstudio.core.webservice import restore_endpoints
    restore_endpoints(ws)

It is safe to call at any time: endpoints whose process is alive, or that ended Failed, are
left alone; the others start on their recorded port with their current generation.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

from jupyter_mlstudio.execution.liveness import is_alive
from jupyter_mlstudio.serving.spec import EndpointSpec

if TYPE_CHECKING:
    from jupyter_mlstudio.core.workspace import Workspace

__all__ = ["restore_endpoints"]


def restore_endpoints(workspace: Workspace) -> list[str]:
    """Restart this host's endpoints whose process is gone; returns their names."""
    from jupyter_mlstudio.core.model import Model
    from jupyter_mlstudio.core.webservice import _deploy, _files

    store = workspace._store.endpoints
    restarted: list[str] = []
    for record in store.list_endpoints():
        if record.host not in (None, socket.gethostname()) or record.state == "Failed":
            continue
        if record.pid is not None and is_alive(record.pid, record.pid_started_at):
            continue
        folder = _files.runtime_dir(workspace, record.name)
        try:
            spec = EndpointSpec.load(folder)
        except (FileNotFoundError, ValueError):
            # The runtime folder is gone: rebuild it from what the store recorded.
            deps = []
            config = record.config
            from jupyter_mlstudio.core.webservice.deployment_config import (
                DeploymentConfiguration,
            )

            dconf = DeploymentConfiguration.from_dict(config["deployment"])
            for dep in record.deployments:
                models = [Model(workspace, n, version=v) for n, v in dep.models]
                deps.append(
                    _files.prepare_deployment(
                        folder,
                        dep.generation,
                        dep.name,
                        models,
                        dep.config.get("inference") or config["inference"],
                        dconf.worker_count(),
                        dep.traffic,
                    )
                )
            spec = EndpointSpec(
                name=record.name,
                host=_deploy.HOST,
                port=int(record.port or 0),
                generation=max((d.generation for d in record.deployments), default=1),
                deployments=deps,
                runtime_dir=str(folder),
                max_body_bytes=dconf.max_body_bytes,
            )
            spec.save()
        digests = [k.digest for k in store.get_keys(record.name).values()]
        _files.write_keys_file(folder, digests, record.auth_enabled)
        _deploy.start(workspace, record, spec)
        restarted.append(record.name)
    return restarted
