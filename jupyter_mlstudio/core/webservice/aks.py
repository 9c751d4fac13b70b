"""AksWebservice: accepted as written for Azure Kubernetes Service, served locally."""

from __future__ import annotations

from typing import Any

from jupyter_mlstudio.core.webservice.deployment_config import (
    DeploymentConfiguration,
    _auth,
    _common,
)
from jupyter_mlstudio.core.webservice.webservice import Webservice

__all__ = ["AksServiceDeploymentConfiguration", "AksWebservice"]

AksServiceDeploymentConfiguration = DeploymentConfiguration


class AksWebservice(Webservice):
    """An 'AKS' endpoint: a local process; ``num_replicas`` become local worker processes."""

    _webservice_type = "AKS"

    @staticmethod
    def deploy_configuration(
        autoscale_enabled: bool | None = None,
        autoscale_min_replicas: int | None = None,
        autoscale_max_replicas: int | None = None,
        autoscale_refresh_seconds: int | None = None,
        autoscale_target_utilization: int | None = None,
        collect_model_data: bool | None = None,
        auth_enabled: bool | None = None,
        cpu_cores: float | None = None,
        memory_gb: float | None = None,
        enable_app_insights: bool | None = None,
        scoring_timeout_ms: int | None = None,
        replica_max_concurrent_requests: int | None = None,
        max_request_wait_time: int | None = None,
        num_replicas: int | None = None,
        primary_key: str | None = None,
        secondary_key: str | None = None,
        tags: dict[str, str] | None = None,
        properties: dict[str, str] | None = None,
        description: str | None = None,
        gpu_cores: int | None = None,
        period_seconds: int | None = None,
        initial_delay_seconds: int | None = None,
        timeout_seconds: int | None = None,
        success_threshold: int | None = None,
        failure_threshold: int | None = None,
        namespace: str | None = None,
        token_auth_enabled: bool | None = None,
        port: int | None = None,
        **kwargs: Any,
    ) -> DeploymentConfiguration:
        """Azure's AKS settings are recorded; ``num_replicas`` sets local worker processes."""
        common = _common(kwargs)
        return DeploymentConfiguration(
            "AKS",
            port=port,
            auth_enabled=_auth(auth_enabled),
            cpu_cores=cpu_cores,
            memory_gb=memory_gb,
            tags=dict(tags or {}),
            properties=dict(properties or {}),
            description=description,
            settings={
                "autoscale_enabled": autoscale_enabled,
                "autoscale_min_replicas": autoscale_min_replicas,
                "autoscale_max_replicas": autoscale_max_replicas,
                "num_replicas": num_replicas,
                "scoring_timeout_ms": scoring_timeout_ms,
                "token_auth_enabled": token_auth_enabled,
                "namespace": namespace,
                **kwargs,
            },
            initial_keys={
                slot: key
                for slot, key in (("primary", primary_key), ("secondary", secondary_key))
                if key
            },
            **common,
        )
