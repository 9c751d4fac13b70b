"""LocalWebservice: an endpoint on this machine (Azure ML ran it in Docker; here a process)."""

from __future__ import annotations

from typing import Any

from jupyter_mlstudio.core.webservice.deployment_config import (
    DeploymentConfiguration,
    _auth,
    _common,
)
from jupyter_mlstudio.core.webservice.webservice import Webservice

__all__ = ["LocalWebservice", "LocalWebserviceDeploymentConfiguration"]

LocalWebserviceDeploymentConfiguration = DeploymentConfiguration


class LocalWebservice(Webservice):
    """An endpoint served by a local process on ``127.0.0.1:<port>``."""

    _webservice_type = "Local"

    @staticmethod
    def deploy_configuration(
        port: int | None = None, auth_enabled: bool | None = None, **kwargs: Any
    ) -> DeploymentConfiguration:
        """``port`` (default: a free one); key auth is on unless ``auth_enabled=False``."""
        return DeploymentConfiguration(
            "Local", port=port, auth_enabled=_auth(auth_enabled), **_common(kwargs)
        )
