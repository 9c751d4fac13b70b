"""What ``*Webservice.deploy_configuration(...)`` returns: where and how to serve."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any

from jupyter_mlstudio.errors import ValidationError
from jupyter_mlstudio.serving.spec import DEFAULT_MAX_BODY_BYTES

__all__ = ["DeploymentConfiguration"]


@dataclass
class DeploymentConfiguration:
    """A deployment configuration. ``compute_type`` is ``Local``, ``ACI`` or ``AKS``; all three
    run here. ``workers`` (or AKS ``num_replicas``, or whole ``cpu_cores``) sets how many
    scoring processes share the port; ``max_body_bytes`` limits request bodies."""

    compute_type: str
    port: int | None = None
    auth_enabled: bool = True
    cpu_cores: float | None = None
    memory_gb: float | None = None
    workers: int | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    tags: dict[str, str] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    description: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    # Keys chosen by the caller (AKS primary_key/secondary_key): never stored as given.
    initial_keys: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.port is not None and not (0 < int(self.port) < 65536):
            raise ValidationError(f"port must be between 1 and 65535, not {self.port!r}.")
        if self.max_body_bytes <= 0:
            raise ValidationError("max_body_bytes must be positive.")
        if self.workers is not None and int(self.workers) < 1:
            raise ValidationError(f"workers must be at least 1, not {self.workers!r}.")

    def worker_count(self) -> int:
        """Scoring processes to run: ``workers``, else AKS replicas, else whole CPU cores."""
        wanted = self.workers or self.settings.get("num_replicas") or int(self.cpu_cores or 1)
        return max(1, min(int(wanted), os.cpu_count() or 1))

    def to_dict(self) -> dict[str, Any]:
        """Return the configuration as a dict (without caller-chosen keys, never stored)."""
        data = asdict(self)
        data.pop("initial_keys")
        return data

    @staticmethod
    def from_dict(data: dict[str, Any]) -> DeploymentConfiguration:
        """Rebuild a configuration from :meth:`to_dict`'s output.

        Raises
        ------
        ValidationError
            A bad ``port``, ``max_body_bytes`` or ``workers``.
        """
        return DeploymentConfiguration(**data)

    def validate_configuration(self) -> None:
        """Checked on construction; kept for azureml compatibility."""


def _auth(auth_enabled: bool | None) -> bool:
    # Key auth is on unless switched off explicitly (Azure's ACI default was off).
    return True if auth_enabled is None else bool(auth_enabled)


def _common(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {
        "workers": kwargs.pop("workers", None),
        "max_body_bytes": kwargs.pop("max_body_bytes", None) or DEFAULT_MAX_BODY_BYTES,
    }
