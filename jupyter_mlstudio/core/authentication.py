"""Azure authentication classes, accepted so that cloud notebooks run unchanged.

A local workspace needs no sign-in: these objects only record which kind of authentication
the code asked for (never a secret), so ``Workspace.get_details()`` can show it.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AbstractAuthentication",
    "AzureCliAuthentication",
    "InteractiveLoginAuthentication",
    "MsiAuthentication",
    "ServicePrincipalAuthentication",
]


class AbstractAuthentication:
    """Base of the authentication classes; keeps the non-secret arguments it was given."""

    _SECRET_ARGS = frozenset({"service_principal_password", "password", "token", "secret"})

    def __init__(self, **kwargs: Any) -> None:
        self.settings = {
            k: v for k, v in kwargs.items() if k not in self._SECRET_ARGS and v is not None
        }

    def describe(self) -> dict[str, Any]:
        """What was asked for, without secrets."""
        return {"type": type(self).__name__, **{k: str(v) for k, v in self.settings.items()}}

    def get_authentication_header(self) -> dict[str, str]:
        """Local workspaces are authorised by the machine's file permissions; no header."""
        return {}


class InteractiveLoginAuthentication(AbstractAuthentication):
    """``InteractiveLoginAuthentication(force=False, tenant_id=None, cloud=None)``."""

    def __init__(
        self, force: bool = False, tenant_id: str | None = None, cloud: str | None = None
    ) -> None:
        super().__init__(force=force, tenant_id=tenant_id, cloud=cloud)


class ServicePrincipalAuthentication(AbstractAuthentication):
    """``ServicePrincipalAuthentication(tenant_id, service_principal_id, password)``."""

    def __init__(
        self,
        tenant_id: str | None = None,
        service_principal_id: str | None = None,
        service_principal_password: str | None = None,
        cloud: str = "AzureCloud",
        **kwargs: Any,
    ) -> None:
        super().__init__(
            tenant_id=tenant_id, service_principal_id=service_principal_id, cloud=cloud, **kwargs
        )


class AzureCliAuthentication(AbstractAuthentication):
    """``AzureCliAuthentication()``."""

    def __init__(self, cloud: str | None = None) -> None:
        super().__init__(cloud=cloud)


class MsiAuthentication(AbstractAuthentication):
    """``MsiAuthentication(identity_config=None)``."""

    def __init__(self, identity_config: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(identity_config=identity_config, **kwargs)
