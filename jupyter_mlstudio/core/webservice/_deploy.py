"""Deploying, updating and starting endpoints: the SDK side of the endpoint manager.

The store records what should run; the runtime folder (``_files.py``) holds what runs; the
supervisor process (``serving/supervisor.py``) runs it. Functions here tie the three.
"""

from __future__ import annotations

import getpass
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
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


@dataclass
class Planned:
    """One deployment of the next generation."""

    name: str
    models: list[Model]
    inference: dict[str, Any]
    traffic: int


def current_plan(ws: Workspace, record: EndpointRecord) -> list[Planned]:
    from jupyter_mlstudio.core.model import Model

    return [
        Planned(
            d.name,
            [Model(ws, n, version=v) for n, v in d.models],
            dict(d.config.get("inference") or record.config.get("inference") or {}),
            d.traffic,
        )
        for d in record.deployments
    ]


def check_traffic(plan: Sequence[Planned]) -> None:
    total = sum(p.traffic for p in plan)
    bad = [p.name for p in plan if not 0 <= p.traffic <= 100]
    if bad or total != 100:
        shares = ", ".join(f"{p.name}={p.traffic}" for p in plan)
        raise ValidationError(
            f"Traffic shares must be whole percents that add up to 100, not {shares}.",
            hint="e.g. set_traffic({'blue': 90, 'green': 10}).",
        )


def roll(service: Webservice, plan: Sequence[Planned], timeout: float) -> None:
    """Serve ``plan`` as a new generation with no failed request: its workers start beside
    the running ones (same socket, or private ones behind a router) and the old generation
    stops only once all of the new one is up."""
    check_traffic(plan)
    ws = service.workspace
    store = ws._store.endpoints
    record = store.get_endpoint(service.name)
    folder = _files.runtime_dir(ws, service.name)
    spec = EndpointSpec.load(folder)
    config = DeploymentConfiguration.from_dict(record.config["deployment"])
    generation = spec.generation + 1
    deps = [
        _files.prepare_deployment(
            folder, generation, p.name, p.models, p.inference, config.worker_count(), p.traffic
        )
        for p in plan
    ]
    old = spec.to_dict()
    spec.generation = generation
    spec.deployments = deps
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
                p.name,
                p.traffic,
                generation,
                {"inference": p.inference},
                tuple((m.name, m.version) for m in p.models),
            )
            for p in plan
        ],
        actor=actor(),
    )
    inference = plan[0].inference if len(plan) == 1 else record.config.get("inference")
    store.update_endpoint(
        service.name,
        config={**record.config, "inference": inference},
        state="Healthy",
        error=None,
    )


def update(
    service: Webservice,
    models: Sequence[Any] | None,
    inference_config: InferenceConfig | None,
    timeout: float,
    deployment: str | None = None,
) -> None:
    """New models and/or scoring script for one deployment (the only one by default)."""
    ws = service.workspace
    record = ws._store.endpoints.get_endpoint(service.name)
    plan = current_plan(ws, record)
    if deployment is None:
        if len(plan) != 1:
            raise ValidationError(
                f"Web service {service.name!r} has the deployments {[p.name for p in plan]}; "
                "say which to update.",
                hint="service.update(..., deployment_name='green').",
            )
        target = plan[0]
    else:
        target = _find(plan, deployment, service.name)
    if models is not None:
        target.models = resolve_models(ws, models)
    if inference_config is not None:
        target.inference = inference_config.to_dict()
    roll(service, plan, timeout)


def add_deployment(
    service: Webservice,
    name: str,
    models: Sequence[Any],
    inference_config: InferenceConfig | None,
    traffic: int,
    timeout: float,
) -> None:
    from jupyter_mlstudio.core._names import check_name

    check_name("deployment", name)
    ws = service.workspace
    record = ws._store.endpoints.get_endpoint(service.name)
    plan = current_plan(ws, record)
    if any(p.name == name for p in plan):
        raise ConflictError(
            f"Web service {service.name!r} has a deployment {name!r} already.",
            hint="Choose another name, or update that deployment.",
            name=name,
        )
    inference = (
        inference_config.to_dict() if inference_config is not None else dict(plan[0].inference)
    )
    # The newcomer's share comes out of the others', in proportion.
    rest = 100 - traffic
    scaled = [p.traffic * rest // 100 for p in plan]
    scaled[0] += rest - sum(scaled)
    for p, share in zip(plan, scaled, strict=True):
        p.traffic = share
    plan.append(Planned(name, resolve_models(ws, models), inference, traffic))
    roll(service, plan, timeout)


def delete_deployment(service: Webservice, name: str, timeout: float) -> None:
    ws = service.workspace
    record = ws._store.endpoints.get_endpoint(service.name)
    plan = current_plan(ws, record)
    gone = _find(plan, name, service.name)
    if len(plan) == 1:
        raise ValidationError(
            f"{name!r} is the last deployment of {service.name!r}.",
            hint="Delete the web service itself with service.delete().",
        )
    plan.remove(gone)
    if gone.traffic:
        if sum(p.traffic for p in plan) == 0:
            plan[0].traffic = 100
        else:
            raise ValidationError(
                f"Deployment {name!r} still takes {gone.traffic}% of the traffic.",
                hint=f"Move its traffic first: service.set_traffic({{...: 100, {name!r}: 0}}).",
            )
    roll(service, plan, timeout)


def set_traffic(service: Webservice, shares: dict[str, int]) -> None:
    """Change the split at once, with no restart: the routers re-read routes.json."""
    from jupyter_mlstudio.serving.spec import read_json, write_json_atomic

    ws = service.workspace
    store = ws._store.endpoints
    record = store.get_endpoint(service.name)
    plan = current_plan(ws, record)
    unknown = sorted(set(shares) - {p.name for p in plan})
    if unknown:
        raise ValidationError(
            f"Web service {service.name!r} has no deployment(s) {unknown}.",
            hint=f"Its deployments are {[p.name for p in plan]}.",
        )
    for p in plan:
        p.traffic = int(shares.get(p.name, 0))
    check_traffic(plan)
    folder = _files.runtime_dir(ws, service.name)
    if len(plan) > 1:
        routes = read_json(folder / "routes.json")
        for p in plan:
            routes["routes"][p.name]["traffic"] = p.traffic
        write_json_atomic(folder / "routes.json", routes)
    spec = EndpointSpec.load(folder)
    for dep in spec.deployments:
        dep.traffic = int(shares.get(dep.name, 0))
    spec.save()
    store.set_deployments(
        service.name,
        [
            DeploymentRecord(
                d.name,
                int(shares.get(d.name, 0)),
                d.generation,
                d.config,
                d.models,
            )
            for d in record.deployments
        ],
        actor=actor(),
    )
    store.audit("traffic", actor=actor(), endpoint_name=service.name, details=dict(shares))


def _find(plan: Sequence[Planned], name: str, endpoint: str) -> Planned:
    for p in plan:
        if p.name == name:
            return p
    raise ValidationError(
        f"Web service {endpoint!r} has no deployment {name!r}.",
        hint=f"Its deployments are {[p.name for p in plan]}.",
    )


def stop(record: EndpointRecord) -> None:
    if record.host in (None, socket.gethostname()):
        stop_supervisor(record.pid, record.pid_started_at)
