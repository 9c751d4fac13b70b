"""Webservice (``azureml.core.webservice.Webservice``): a deployed endpoint, by name."""

from __future__ import annotations

import json
import shutil
import socket
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from jupyter_mlstudio.core._html import table
from jupyter_mlstudio.errors import NotFoundError, ValidationError
from jupyter_mlstudio.execution.liveness import is_alive
from jupyter_mlstudio.serving import keys as keymod
from jupyter_mlstudio.serving.errors import WebserviceException, WebserviceNotFoundError
from jupyter_mlstudio.serving.process import read_state, tail_log
from jupyter_mlstudio.serving.spec import EndpointSpec

if TYPE_CHECKING:
    import httpx

    from jupyter_mlstudio.core.model import InferenceConfig, Model
    from jupyter_mlstudio.core.workspace import Workspace
    from jupyter_mlstudio.store.endpoints import EndpointRecord

__all__ = ["Webservice"]

_TERMINAL = ("Healthy", "Failed", "Unhealthy")
_NOT_RUNNING = (
    "The endpoint's process is not running (stopped, or the machine or Jupyter server restarted)."
)


class Webservice:
    """A deployed endpoint. ``Webservice(ws, name)`` finds one by name, typed by where it was
    deployed (:class:`LocalWebservice`, :class:`AciWebservice`, :class:`AksWebservice`).

    ``state`` is read live: Transitioning, Healthy, Unhealthy or Failed.
    """

    _webservice_type: ClassVar[str] = "Unknown"

    def __new__(cls, workspace: Workspace | None = None, name: str | None = None) -> Any:
        """Return the endpoint named ``name`` as its own subclass.

        As in ``azureml``, ``Webservice(ws, name)`` gives a :class:`LocalWebservice`,
        :class:`AciWebservice` or :class:`AksWebservice` by where it was deployed.

        Raises
        ------
        WebserviceNotFoundError
            The workspace has no endpoint of that name.
        """
        if cls is Webservice and workspace is not None and name is not None:
            record = _get(workspace, name)
            return super().__new__(_class_for(record.compute_type))
        return super().__new__(cls)

    def __init__(self, workspace: Workspace, name: str) -> None:
        self._load(workspace, _get(workspace, name))

    @classmethod
    def _from_record(cls, workspace: Workspace, record: EndpointRecord) -> Webservice:
        service = object.__new__(_class_for(record.compute_type))
        service._load(workspace, record)
        return service

    def _load(self, workspace: Workspace, record: EndpointRecord) -> None:
        self.workspace = workspace
        self.name = record.name
        self.compute_type = record.compute_type
        self.compute_target_name = record.compute_target
        self.auth_enabled = record.auth_enabled
        self.token_auth_enabled = False
        self.port = record.port
        self.scoring_uri = f"http://127.0.0.1:{record.port}/score"
        self.swagger_uri = f"http://127.0.0.1:{record.port}/swagger.json"
        self.metrics_uri = f"http://127.0.0.1:{record.port}/metrics"
        self.created_time = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created_at))
        self.updated_time = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.updated_at))
        self.tags = dict(record.tags)
        self.properties = dict(record.config.get("deployment", {}).get("properties") or {})
        self.description = record.description
        self.deployment_config = dict(record.config.get("deployment") or {})
        self.inference_config = dict(record.config.get("inference") or {})
        self._record = record
        self._state = record.state
        self.error: dict[str, Any] | None = record.error

    # ---- state -----------------------------------------------------------------------------
    @property
    def state(self) -> str:
        """Transitioning, Healthy, Unhealthy or Failed, as observed now."""
        self.update_deployment_state()
        return self._state

    def update_deployment_state(self) -> None:
        """Refresh ``state`` and ``error`` from the endpoint's process."""
        record = _get(self.workspace, self.name)
        state, error = record.state, record.error
        if record.host in (None, socket.gethostname()):
            seen = read_state(record.runtime_dir) or {}
            alive = record.pid is not None and is_alive(record.pid, record.pid_started_at)
            if seen.get("state") == "Failed":
                state, error = "Failed", seen.get("error")
            elif not alive:
                state, error = (
                    "Unhealthy",
                    {
                        "code": "NotRunning",
                        "message": _NOT_RUNNING,
                        "hint": "restore_endpoints(ws) starts it again.",
                    },
                )
            elif seen.get("state") in ("Transitioning", "Healthy", "Unhealthy"):
                state = seen["state"]
                error = seen.get("error") if state == "Unhealthy" else None
            else:
                state, error = "Transitioning", None
            if (state, error) != (record.state, record.error):
                record = self.workspace._store.endpoints.update_endpoint(
                    self.name, state=state, error=error
                )
        self._load(self.workspace, record)

    def wait_for_deployment(
        self, show_output: bool = False, timeout_sec: float | None = None
    ) -> None:
        """Wait until the endpoint is Healthy; raises :class:`WebserviceException` if it ends
        Failed (its log's last lines in the message when ``show_output``)."""
        deadline = None if timeout_sec is None else time.monotonic() + timeout_sec
        shown = False
        while True:
            state = self.state
            if state in _TERMINAL:
                break
            if deadline is not None and time.monotonic() > deadline:
                raise WebserviceException(
                    f"Web service {self.name!r} is still {state} after {timeout_sec} s.",
                    hint="service.get_logs() shows what it is doing.",
                    name=self.name,
                )
            if show_output and not shown:
                sys.stdout.write(f"{self.compute_type} service {self.name!r} starting")
                shown = True
            elif show_output:
                sys.stdout.write(".")
            sys.stdout.flush()
            time.sleep(0.25 if show_output else 0.05)
        if show_output:
            print(
                f"\n{self.compute_type} service {self.name!r} state: {state}"
                if shown
                else f"{self.compute_type} service {self.name!r} state: {state}"
            )
        if state != "Healthy":
            message = (self.error or {}).get("message", "")
            if show_output:
                print(self.get_logs(num_lines=40))
            raise WebserviceException(
                f"Service deployment polling reached non-successful terminal state, current "
                f"service state: {state}. {message}".strip(),
                hint="service.get_logs() has the scoring script's output and traceback.",
                name=self.name,
                state=state,
            )

    # ---- using it ----------------------------------------------------------------------------
    def run(self, input_data: Any) -> Any:
        """POST ``input_data`` (JSON text, or a value to send as JSON) to ``scoring_uri`` with
        the primary key; returns the decoded answer."""
        import httpx

        if isinstance(input_data, (str, bytes)):
            body = input_data.encode() if isinstance(input_data, str) else input_data
        else:
            body = json.dumps(input_data).encode()
        headers = {"Content-Type": "application/json"}
        if self.auth_enabled:
            headers["Authorization"] = f"Bearer {self.get_keys()[0]}"
        client = self._client()
        try:
            response = client.post(self.scoring_uri, content=body, headers=headers)
        except (httpx.ConnectError, httpx.RemoteProtocolError):
            # An idle kept-alive connection closed by a worker being replaced: try once more.
            try:
                response = client.post(self.scoring_uri, content=body, headers=headers)
            except httpx.HTTPError as exc:
                raise WebserviceException(
                    f"Web service {self.name!r} could not be reached at {self.scoring_uri}: {exc}.",
                    hint=f"Its state is {self.state}; service.get_logs() may say why.",
                    name=self.name,
                ) from exc
        try:
            answer = response.json()
        except ValueError:
            answer = response.text
        if response.status_code >= 400:
            detail = answer.get("error", {}).get("message") if isinstance(answer, dict) else answer
            raise WebserviceException(
                f"Received bad response from service ({response.status_code}): {detail}",
                name=self.name,
                status_code=response.status_code,
            )
        return answer

    def _client(self) -> httpx.Client:
        import httpx

        client = getattr(self, "_http", None)
        if client is None:
            client = httpx.Client(timeout=httpx.Timeout(300.0, connect=10.0), trust_env=False)
            self._http = client
        return client

    def get_keys(self) -> tuple[str, str]:
        """(primary, secondary) keys, for ``Authorization: Bearer <key>``."""
        from jupyter_mlstudio.core.webservice import _files

        found = self.workspace._store.endpoints.get_keys(self.name)
        sealer = _files.sealer(self.workspace)
        return sealer.open(found["primary"].sealed), sealer.open(found["secondary"].sealed)

    def regen_key(self, key: str, set_key: str | None = None) -> None:
        """Replace the 'Primary' or 'Secondary' key (with ``set_key`` if given); the old one
        stops working at once."""
        from jupyter_mlstudio.core.webservice import _deploy, _files

        slot = str(key).lower()
        if slot not in keymod.SLOTS:
            raise ValidationError(f"key must be 'Primary' or 'Secondary', not {key!r}.")
        new = set_key or keymod.new_key()
        store = self.workspace._store.endpoints
        store.set_key(
            self.name,
            slot,
            keymod.digest(new),
            _files.sealer(self.workspace).seal(new),
            actor=_deploy.actor(),
        )
        self._write_keys_file()

    def _write_keys_file(self) -> None:
        from jupyter_mlstudio.core.webservice import _files

        record = _get(self.workspace, self.name)
        digests = [k.digest for k in self.workspace._store.endpoints.get_keys(self.name).values()]
        _files.write_keys_file(
            _files.runtime_dir(self.workspace, self.name), digests, record.auth_enabled
        )

    def get_token(self) -> tuple[str, float]:
        """Refuse: endpoints here use key auth only (``azureml`` AKS token auth is not offered).

        Raises
        ------
        WebserviceException
            Always; use :meth:`get_keys` and send ``Authorization: Bearer <key>``.
        """
        raise WebserviceException(
            f"Web service {self.name!r} uses key auth, not token auth.",
            hint="Use service.get_keys() and send 'Authorization: Bearer <key>'.",
            name=self.name,
        )

    def get_logs(self, num_lines: int = 5000, init: bool = False) -> str:
        """The last ``num_lines`` lines of the endpoint's log (supervisor and scoring script)."""
        spec_dir = self._record.runtime_dir
        from pathlib import Path

        return tail_log(Path(spec_dir) / "logs" / "endpoint.log", num_lines)

    # ---- changing it -------------------------------------------------------------------------
    def update(
        self,
        models: Sequence[Model] | None = None,
        inference_config: InferenceConfig | None = None,
        auth_enabled: bool | None = None,
        tags: Mapping[str, str] | None = None,
        properties: Mapping[str, str] | None = None,
        description: str | None = None,
        timeout_sec: float = 600.0,
        **kwargs: Any,
    ) -> None:
        """Change what the endpoint serves. New models or a new scoring script start beside
        the running ones and take over once their ``init()`` is done: no request fails."""
        from jupyter_mlstudio.core.webservice import _deploy

        store = self.workspace._store.endpoints
        changes: dict[str, Any] = {}
        if tags is not None:
            changes["tags"] = {k: str(v) for k, v in tags.items()}
        if description is not None:
            changes["description"] = description
        if auth_enabled is not None:
            changes["auth_enabled"] = bool(auth_enabled)
        if changes:
            store.update_endpoint(self.name, **changes)
        if auth_enabled is not None:
            self._write_keys_file()
        if models is not None or inference_config is not None:
            _deploy.update(
                self, models, inference_config, timeout_sec, kwargs.get("deployment_name")
            )
        self.update_deployment_state()

    # ---- blue/green (beyond v1, as Azure ML's managed online endpoints) ------------------
    @property
    def deployments(self) -> dict[str, dict[str, Any]]:
        """The endpoint's deployments: name -> {"traffic": percent, "models": [ids]}."""
        record = _get(self.workspace, self.name)
        return {
            d.name: {"traffic": d.traffic, "models": [f"{n}:{v}" for n, v in d.models]}
            for d in record.deployments
        }

    @property
    def traffic(self) -> dict[str, int]:
        """Percent of requests each deployment answers."""
        return {name: d["traffic"] for name, d in self.deployments.items()}

    def add_deployment(
        self,
        name: str,
        models: Sequence[Model],
        inference_config: InferenceConfig | None = None,
        traffic: int = 0,
        timeout_sec: float = 600.0,
    ) -> None:
        """Start a second deployment (say 'green') beside the running one, with ``traffic``
        percent of the requests (0 by default: reachable only with the
        ``azureml-model-deployment`` header until ``set_traffic``). The running deployment
        (named 'default' for a v1 deploy) keeps serving throughout."""
        from jupyter_mlstudio.core.webservice import _deploy

        _deploy.add_deployment(self, name, models, inference_config, int(traffic), timeout_sec)
        self.update_deployment_state()

    def set_traffic(self, shares: Mapping[str, int]) -> None:
        """Split requests between deployments in whole percents adding up to 100, e.g.
        ``{"default": 90, "green": 10}``; takes effect on the next request, no restart."""
        from jupyter_mlstudio.core.webservice import _deploy

        _deploy.set_traffic(self, {k: int(v) for k, v in shares.items()})

    def delete_deployment(self, name: str, timeout_sec: float = 600.0) -> None:
        """Stop one deployment (it must have 0% of the traffic, unless all others do)."""
        from jupyter_mlstudio.core.webservice import _deploy

        _deploy.delete_deployment(self, name, timeout_sec)
        self.update_deployment_state()

    def delete(self) -> None:
        """Stop the endpoint and forget it; its models can be deleted afterwards."""
        from jupyter_mlstudio.core.webservice import _deploy

        record = _get(self.workspace, self.name)
        _deploy.stop(record)
        client = getattr(self, "_http", None)
        if client is not None:
            client.close()
            self._http = None
        shutil.rmtree(record.runtime_dir, ignore_errors=True)
        self.workspace._store.endpoints.delete_endpoint(self.name, actor=_deploy.actor())
        self._state = "Deleted"

    def reload(self) -> None:
        """Reload the endpoint and its ``state`` (as :meth:`update_deployment_state`)."""
        self.update_deployment_state()

    # ---- finding -----------------------------------------------------------------------------
    @staticmethod
    def list(
        workspace: Workspace,
        compute_type: str | None = None,
        image_name: str | None = None,
        image_id: str | None = None,
        model_name: str | None = None,
        model_id: str | None = None,
        tags: Any = None,
        properties: Any = None,
        **kwargs: Any,
    ) -> list[Webservice]:
        """Endpoints of the workspace, filtered by compute type or served model."""
        found = []
        for record in workspace._store.endpoints.list_endpoints():
            if compute_type and record.compute_type.upper() != compute_type.upper():
                continue
            names = {n for n, _ in record.models}
            ids = {f"{n}:{v}" for n, v in record.models}
            if model_name and model_name not in names:
                continue
            if model_id and model_id not in ids:
                continue
            found.append(Webservice._from_record(workspace, record))
        return found

    def models_at(self, when: float | datetime) -> list[str]:
        """Ids ('name:version') of the model versions this endpoint served at ``when`` (a
        datetime, or seconds since the epoch), from the registry's audit trail."""
        at = when.timestamp() if isinstance(when, datetime) else float(when)
        served = self.workspace._store.endpoints.served_at(self.name, at)
        return [f"{n}:{v}" for n, v in served]

    def get_audit_trail(self) -> list[Any]:
        """Deploys, retirements, key and traffic changes of this endpoint, oldest first."""
        return self.workspace._store.endpoints.list_audit(endpoint_name=self.name)

    @property
    def models(self) -> list[Model]:
        """The model versions the endpoint serves, as of its last load (see :meth:`reload`)."""
        from jupyter_mlstudio.core.model import Model

        return [Model(self.workspace, n, version=v) for n, v in self._record.models]

    def serialize(self) -> dict[str, Any]:
        """Return the endpoint as a JSON-ready dict.

        Returns
        -------
        dict
            ``name``, ``computeType``, ``state``, ``scoringUri``, ``swaggerUri``,
            ``authEnabled``, ``createdTime``, ``updatedTime``, ``models`` (ids
            ``name:version``), ``tags``, ``description`` and ``error``.
        """
        return {
            "name": self.name,
            "computeType": self.compute_type,
            "state": self._state,
            "scoringUri": self.scoring_uri,
            "swaggerUri": self.swagger_uri,
            "authEnabled": self.auth_enabled,
            "createdTime": self.created_time,
            "updatedTime": self.updated_time,
            "models": [f"{n}:{v}" for n, v in self._record.models],
            "tags": self.tags,
            "description": self.description,
            "error": self.error,
        }

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(workspace={self.workspace.name!r}, name={self.name!r}, "
            f"state={self._state!r}, scoring_uri={self.scoring_uri!r})"
        )

    def _repr_html_(self) -> str:
        return table(
            ["Name", "Type", "State", "Scoring URI", "Models"],
            [
                [
                    self.name,
                    self.compute_type,
                    self._state,
                    self.scoring_uri,
                    ", ".join(f"{n}:{v}" for n, v in self._record.models),
                ]
            ],
        )


def _get(workspace: Workspace, name: str) -> EndpointRecord:
    try:
        return workspace._store.endpoints.get_endpoint(name)
    except NotFoundError as exc:
        raise WebserviceNotFoundError(
            f"There is no web service named {name!r} in workspace {workspace.name!r}.",
            hint="Webservice.list(ws) or ws.webservices shows the deployed ones.",
            name=name,
        ) from exc


def _class_for(compute_type: str) -> type[Webservice]:
    from jupyter_mlstudio.core.webservice.aci import AciWebservice
    from jupyter_mlstudio.core.webservice.aks import AksWebservice
    from jupyter_mlstudio.core.webservice.local import LocalWebservice

    return {"Local": LocalWebservice, "ACI": AciWebservice, "AKS": AksWebservice}.get(
        compute_type, Webservice
    )


def _spec(record: EndpointRecord) -> EndpointSpec:
    return EndpointSpec.load(record.runtime_dir)
