"""Web services (``azureml.core.webservice``): models served over HTTP with a key.

Every deployment runs on this machine: ``LocalWebservice``, ``AciWebservice`` and
``AksWebservice`` configurations are all honoured by a local endpoint process (uvicorn +
Starlette on 127.0.0.1), and a deploy to ACI or AKS says so::

    service = Model.deploy(ws, "wine-service", [model], inference_config,
                           AksWebservice.deploy_configuration(cpu_cores=1, memory_gb=1))
    service.wait_for_deployment(show_output=True)
    primary, secondary = service.get_keys()

Endpoints outlive the process that deployed them. After a restart of the machine or of the
Jupyter server, :func:`restore_endpoints` starts the ones that should be running again; the
Jupyter server extension calls it for each workspace at start-up.

Names load on first use, so a scoring script importing ``jupyter_mlstudio.core.model`` stays
quick to start.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "AciServiceDeploymentConfiguration": "jupyter_mlstudio.core.webservice.aci",
    "AciWebservice": "jupyter_mlstudio.core.webservice.aci",
    "AksServiceDeploymentConfiguration": "jupyter_mlstudio.core.webservice.aks",
    "AksWebservice": "jupyter_mlstudio.core.webservice.aks",
    "DeploymentConfiguration": "jupyter_mlstudio.core.webservice.deployment_config",
    "LocalWebservice": "jupyter_mlstudio.core.webservice.local",
    "LocalWebserviceDeploymentConfiguration": "jupyter_mlstudio.core.webservice.local",
    "Webservice": "jupyter_mlstudio.core.webservice.webservice",
    "WebserviceException": "jupyter_mlstudio.serving.errors",
    "WebserviceNotFoundError": "jupyter_mlstudio.serving.errors",
    "restore_endpoints": "jupyter_mlstudio.core.webservice.restore",
}

__all__ = [
    "AciServiceDeploymentConfiguration",
    "AciWebservice",
    "AksServiceDeploymentConfiguration",
    "AksWebservice",
    "DeploymentConfiguration",
    "LocalWebservice",
    "LocalWebserviceDeploymentConfiguration",
    "Webservice",
    "WebserviceException",
    "WebserviceNotFoundError",
    "restore_endpoints",
]

if TYPE_CHECKING:
    from jupyter_mlstudio.core.webservice.aci import (
        AciServiceDeploymentConfiguration,
        AciWebservice,
    )
    from jupyter_mlstudio.core.webservice.aks import (
        AksServiceDeploymentConfiguration,
        AksWebservice,
    )
    from jupyter_mlstudio.core.webservice.deployment_config import DeploymentConfiguration
    from jupyter_mlstudio.core.webservice.local import (
        LocalWebservice,
        LocalWebserviceDeploymentConfiguration,
    )
    from jupyter_mlstudio.core.webservice.restore import restore_endpoints
    from jupyter_mlstudio.core.webservice.webservice import Webservice
    from jupyter_mlstudio.serving.errors import WebserviceException, WebserviceNotFoundError


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'jupyter_mlstudio.core.webservice' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
