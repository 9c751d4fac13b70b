"""Deploying, updating and starting endpoints: the SDK side of the endpoint manager.

The store records what should run; the runtime folder (``_files.py``) holds what runs; the
supervisor process (``serving/supervisor.py``) runs it. Functions here tie the three.
"""

from __future__ import annotations

import getpass
import socket
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.core.webservice import _files
from jupyter_mlstudio.core.webservice.deployment_config import DeploymentConfiguration
from jupyter_mlstudio.errors import ConflictError, NotFoundError, ValidationError
from jupyter_mlstudio.serving import keys as keymod
from jupyter_mlstudio.serving.errors import WebserviceException
from jupyter_mlstudio.serving.process import (
    free_port,
    launch_supervisor,
    port_is_free,
    read_state,
    request_update,
    stop_supervisor,
)
from jupyter_mlstudio.serving.spec import EndpointSpec
from jupyter_mlstudio.store.endpoints import DeploymentRecord, EndpointRecord

if TYPE_CHECKING:
    from jupyter_mlstudio.core.compute import ComputeTarget
    from jupyter_mlstudio.core.model import Model
    from jupyter_mlstudio.core.webservice.inference_config import InferenceConfig
    from jupyter_mlstudio.core.webservice.webservice import Webservice
    from jupyter_mlstudio.core.workspace import Workspace

HOST = "127.0.0.1"
DEFAULT_DEPLOYMENT = "default"


def actor() -> str:
    """Who is acting, for the audit trail: the OS user on this host."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def resolve_models(ws: Workspace, models: Sequence[Any] | Any) -> list[Model]:
    from jupyter_mlstudio.core.model import Model

    if models is None or (
        isinstance(models, Sequence) and not isinstance(models, str) and not models
    ):
        raise ValidationError(
            "Model.deploy needs at least one model.", hint="Pass models=[Model(ws, 'name')]."
        )
    items = [models] if isinstance(models, (str, Model)) else list(models)
    found: list[Model] = []
    for item in items:
        if isinstance(item, Model):
            found.append(Model(ws, item.name, version=item.version))  # still registered?
        else:
            found.append(Model(ws, id=str(item)) if ":" in str(item) else Model(ws, str(item)))
    return found


def compute_of(
    config: DeploymentConfiguration | None, target: ComputeTarget | None
) -> DeploymentConfiguration:
    from jupyter_mlstudio.core.webservice.aci import AciWebservice

    if config is None:
        config = AciWebservice.deploy_configuration()  # Azure's default for Model.deploy
    if not isinstance(config, DeploymentConfiguration):
        raise ValidationError(
            f"deployment_config must come from *Webservice.deploy_configuration(), not "
            f"{type(config).__name__}."
        )
    if (
        target is not None
        and getattr(target, "type", None) == "AKS"
        and config.compute_type == "ACI"
    ):
        config.compute_type = "AKS"
    return config


def deploy(
    ws: Workspace,
    name: str,
    models: Sequence[Any],
    inference_config: InferenceConfig | None,
    deployment_config: DeploymentConfiguration | None,
    deployment_target: ComputeTarget | None,
    overwrite: bool,
    show_output: bool,
) -> Webservice:
    from jupyter_mlstudio.core._names import check_name
    from jupyter_mlstudio.core.webservice.webservice import Webservice

    check_name("web service", name)
    if inference_config is None:
        raise ValidationError(
            "Model.deploy needs an inference_config with the scoring script.",
            hint="InferenceConfig(entry_script='score.py', source_directory='.').",
        )
    resolved = resolve_models(ws, models)
    config = compute_of(deployment_config, deployment_target)
    store = ws._store.endpoints
    try:
        existing = store.get_endpoint(name)
    except NotFoundError:
        existing = None
    if existing is not None:
        if not overwrite:
            raise ConflictError(
                f"A web service named {name!r} exists already.",
                hint="Pass overwrite=True to replace it, or choose another name.",
                name=name,
            )
        Webservice._from_record(ws, existing).delete()
    port = int(config.port) if config.port else free_port(HOST)
    if not port_is_free(port, HOST):
        raise WebserviceException(
            f"Port {port} on {HOST} is in use, so web service {name!r} cannot listen there.",
            hint="Choose another port in deploy_configuration(port=...), or leave it out to "
            "get a free one.",
            name=name,
            port=port,
        )
    if config.compute_type != "Local":
        where = f" (target {deployment_target.name!r})" if deployment_target is not None else ""
        print(
            f"Deploying {name!r} locally: the {config.compute_type}{where} configuration is "
            f"served by a process on this machine at http://{HOST}:{port}."
        )
    folder = _files.runtime_dir(ws, name)
    folder.mkdir(parents=True, exist_ok=True)
    inference = inference_config.to_dict()
    dep = _files.prepare_deployment(
        folder, 1, DEFAULT_DEPLOYMENT, resolved, inference, config.worker_count()
    )
    spec = EndpointSpec(
        name=name,
        host=HOST,
        port=port,
        generation=1,
        deployments=[dep],
        runtime_dir=str(folder),
        max_body_bytes=config.max_body_bytes,
    )
    spec.save()
    sealer = _files.sealer(ws)
    chosen = dict(config.initial_keys)
    plain = {slot: chosen.get(slot) or keymod.new_key() for slot in keymod.SLOTS}
    digests = {slot: keymod.digest(k) for slot, k in plain.items()}
    _files.write_keys_file(folder, list(digests.values()), config.auth_enabled)
    stored_config = {"deployment": config.to_dict(), "inference": inference}
    record = store.create_endpoint(
        name,
        compute_type=config.compute_type,
        compute_target=deployment_target.name if deployment_target is not None else None,
        auth_enabled=config.auth_enabled,
        port=port,
        runtime_dir=str(folder),
        config=stored_config,
        deployments=[
            DeploymentRecord(
                DEFAULT_DEPLOYMENT,
                100,
                1,
                {"inference": inference},
                tuple((m.name, m.version) for m in resolved),
            )
        ],
        keys={slot: (digests[slot], sealer.seal(plain[slot])) for slot in keymod.SLOTS},
        actor=actor(),
        description=config.description,
        tags=config.tags,
    )
    record = start(ws, record, spec)
    service = Webservice._from_record(ws, record)
    if show_output:
        service.wait_for_deployment(show_output=True)
    return service


def start(ws: Workspace, record: EndpointRecord, spec: EndpointSpec) -> EndpointRecord:
    pid, started = launch_supervisor(spec)
    return ws._store.endpoints.update_endpoint(
        record.name,
        state="Transitioning",
        host=socket.gethostname(),
        port=spec.port,
        pid=pid,
        pid_started_at=started,
        error=None,
    )


def update(
    service: Webservice,
    models: Sequence[Any] | None,
    inference_config: InferenceConfig | None,
    timeout: float,
) -> None:
    """Serve new models or a new scoring script with no failed request: a new generation of
    workers starts on the same socket and the old one stops only once it is up."""
    ws = service.workspace
    store = ws._store.endpoints
    record = store.get_endpoint(service.name)
    folder = _files.runtime_dir(ws, service.name)
    spec = EndpointSpec.load(folder)
    current = record.deployments[0] if record.deployments else None
    inference = (
        inference_config.to_dict()
        if inference_config is not None
        else dict(record.config.get("inference") or {})
    )
    if models is not None:
        resolved = resolve_models(ws, models)
    else:
        from jupyter_mlstudio.core.model import Model

        resolved = [Model(ws, n, version=v) for n, v in (current.models if current else [])]
    config = DeploymentConfiguration.from_dict(record.config["deployment"])
    generation = spec.generation + 1
    dep = _files.prepare_deployment(
        folder, generation, DEFAULT_DEPLOYMENT, resolved, inference, config.worker_count()
    )
    old = spec.to_dict()
    spec.generation = generation
    spec.deployments = [dep]
    spec.save()
    if not request_update(record.pid or 0, record.pid_started_at):
        EndpointSpec.from_dict(old).save()
        raise WebserviceException(
            f"Web service {service.name!r} is not running, so it cannot be updated.",
            hint="restore_endpoints(ws) starts it again; or delete and deploy it anew.",
            name=service.name,
        )
    deadline = time.monotonic() + timeout
    while True:
        state = read_state(folder) or {}
        failed = state.get("update_error") or {}
        if state.get("generation") == generation and state.get("state") == "Healthy":
            break
        if failed.get("generation") == generation:
            EndpointSpec.from_dict(old).save()
            _files.remove_generations(folder, keep=generation - 1)
            raise WebserviceException(
                f"The update of {service.name!r} failed; the previous version keeps serving.\n"
                f"{failed.get('message', '')}",
                hint="service.get_logs() shows the new version's output.",
                name=service.name,
            )
        if time.monotonic() > deadline:
            raise WebserviceException(
                f"The update of {service.name!r} did not finish within {timeout:.0f} s.",
                hint="service.get_logs() shows what the new version is doing.",
                name=service.name,
            )
        time.sleep(0.05)
    _files.remove_generations(folder, keep=generation)
    store.set_deployments(
        service.name,
        [
            DeploymentRecord(
                DEFAULT_DEPLOYMENT,
                100,
                generation,
                {"inference": inference},
                tuple((m.name, m.version) for m in resolved),
            )
        ],
        actor=actor(),
    )
    store.update_endpoint(
        service.name,
        config={**record.config, "inference": inference},
        state="Healthy",
        error=None,
    )


def stop(record: EndpointRecord) -> None:
    if record.host in (None, socket.gethostname()):
        stop_supervisor(record.pid, record.pid_started_at)
