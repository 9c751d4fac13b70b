"""AciWebservice: accepted as written for Azure Container Instances, served locally."""

from __future__ import annotations

from typing import Any

from jupyter_mlstudio.core.webservice.deployment_config import (
    DeploymentConfiguration,
    _auth,
    _common,
)
from jupyter_mlstudio.core.webservice.webservice import Webservice

__all__ = ["AciServiceDeploymentConfiguration", "AciWebservice"]

AciServiceDeploymentConfiguration = DeploymentConfiguration


class AciWebservice(Webservice):
    """An 'ACI' endpoint: a local process, as no cloud is used."""

    _webservice_type = "ACI"

    @staticmethod
    def deploy_configuration(
        cpu_cores: float | None = None,
        memory_gb: float | None = None,
        tags: dict[str, str] | None = None,
        properties: dict[str, str] | None = None,
        description: str | None = None,
        location: str | None = None,
        auth_enabled: bool | None = None,
        ssl_enabled: bool | None = None,
        enable_app_insights: bool | None = None,
        port: int | None = None,
        **kwargs: Any,
    ) -> DeploymentConfiguration:
        """Azure's ACI settings are recorded; cpu_cores and memory_gb are not enforced."""
        common = _common(kwargs)
        return DeploymentConfiguration(
            "ACI",
            port=port,
            auth_enabled=_auth(auth_enabled),
            cpu_cores=0.1 if cpu_cores is None else cpu_cores,
            memory_gb=0.5 if memory_gb is None else memory_gb,
            tags=dict(tags or {}),
            properties=dict(properties or {}),
            description=description,
            settings={
                "location": location,
                "ssl_enabled": ssl_enabled,
                "enable_app_insights": enable_app_insights,
                **kwargs,
            },
            **common,
        )
