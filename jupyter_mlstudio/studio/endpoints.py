"""Endpoints (issue 4's web services) for the studio: state, logs, keys and a test call."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.core.webservice import Webservice
from jupyter_mlstudio.errors import MlStudioError, ValidationError
from jupyter_mlstudio.studio.serialize import json_safe

if TYPE_CHECKING:
    from jupyter_mlstudio.core.workspace import Workspace

__all__ = ["EndpointService"]

MAX_TEST_BODY = 1 << 20


class EndpointService:
    """Deployed endpoints of one workspace."""

    def __init__(self, workspace: Workspace) -> None:
        self._ws = workspace

    def list(self) -> list[dict[str, Any]]:
        """Every endpoint of the workspace, serialized."""
        return [json_safe(w.serialize()) for w in Webservice.list(self._ws)]

    def get(self, name: str) -> dict[str, Any]:
        """One endpoint, its state refreshed first, with its deployments, traffic split and port."""
        service = Webservice(self._ws, name)
        service.update_deployment_state()
        return json_safe(
            {
                **service.serialize(),
                "deployments": service.deployments,
                "traffic": service.traffic,
                "port": service.port,
            }
        )

    def logs(self, name: str, lines: int = 500) -> dict[str, Any]:
        """The last ``lines`` lines of the endpoint's log, as ``{"name", "text"}``."""
        return {"name": name, "text": Webservice(self._ws, name).get_logs(num_lines=lines)}

    def keys(self, name: str) -> dict[str, Any]:
        """The endpoint's keys (the Jupyter server's user owns the workspace)."""
        service = Webservice(self._ws, name)
        if not service.auth_enabled:
            return {"authEnabled": False, "primaryKey": None, "secondaryKey": None}
        primary, secondary = service.get_keys()
        return {"authEnabled": True, "primaryKey": primary, "secondaryKey": secondary}

    def deploy(
        self, model: str, version: int | None, endpoint: str, entry_script: Path
    ) -> dict[str, Any]:
        """Deploy a model version as a local endpoint with ``entry_script`` (its folder is the
        source directory); answers once the endpoint starts, not when it is healthy."""
        from jupyter_mlstudio.core import Model
        from jupyter_mlstudio.core.model import InferenceConfig
        from jupyter_mlstudio.core.webservice import LocalWebservice

        chosen = Model(self._ws, model, version=version)
        config = InferenceConfig(
            entry_script=entry_script.name, source_directory=str(entry_script.parent)
        )
        service = Model.deploy(
            self._ws, endpoint, [chosen], config, LocalWebservice.deploy_configuration()
        )
        return {"name": service.name, "state": service.state}

    def test(self, name: str, body: str) -> dict[str, Any]:
        """Send ``body`` (JSON text) to the endpoint with its key; the answer, or why not.

        A scoring error is an answer too (``ok: false`` with its message), not a server error.
        """
        if len(body) > MAX_TEST_BODY:
            raise ValidationError("A test request is at most 1 MB.")
        try:
            json.loads(body)
        except ValueError as exc:
            raise ValidationError(f"The test request is not JSON: {exc}.") from exc
        service = Webservice(self._ws, name)
        try:
            answer = service.run(body)
        except MlStudioError as exc:
            if isinstance(exc, ValidationError):
                raise
            return {
                "ok": False,
                "statusCode": getattr(exc, "status_code", None),
                "message": exc.message,
            }
        return {"ok": True, "answer": json_safe(answer)}
