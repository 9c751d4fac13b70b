"""Endpoints, their deployments and keys, and the model registry's audit trail.

An endpoint's row says what should run (its deployments, each serving some model versions)
and what was last seen running (state, host, port, supervisor pid). Keys are kept as a
SHA-256 digest (what a scoring process checks) and a sealed copy (what ``get_keys`` opens
with the workspace secret); a key is never stored or logged in plain text.

Every change to which model version an endpoint serves is written to ``registry_audit`` in
the same transaction, so ``served_at(endpoint, t)`` can say what answered at any past time.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from jupyter_mlstudio.errors import ConflictError, NotFoundError
from jupyter_mlstudio.store import schema as t
from jupyter_mlstudio.store._json import dumps, loads
from jupyter_mlstudio.store.database import Database

__all__ = [
    "AuditEvent",
    "DeploymentRecord",
    "EndpointRecord",
    "EndpointStore",
    "KeyRecord",
]


@dataclass(frozen=True)
class DeploymentRecord:
    """One deployment of an endpoint: the models it serves and its share of the traffic."""

    name: str
    traffic: int
    generation: int
    config: dict[str, Any]
    models: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class EndpointRecord:
    """One endpoint (web service), as stored in the ``endpoints`` table with its deployments.

    Attributes
    ----------
    name : str
    compute_type : str
        The deployment configuration's type (``"Local"``, ``"ACI"`` or ``"AKS"``).
    compute_target : str or None
        The compute target named at deployment, if any.
    state : str
        The last state recorded, such as ``"Transitioning"``, ``"Healthy"`` or ``"Failed"``.
    auth_enabled : bool
        Whether requests need one of the endpoint's keys.
    host, port : str or None, int or None
        Where its supervisor was last started.
    pid, pid_started_at : int or None, float or None
        The supervisor process and its start time, to tell it from a reused pid.
    runtime_dir : str
        The folder holding the endpoint's spec, keys file and logs.
    config : dict
        The deployment and inference configuration, as JSON.
    description : str or None
    tags : dict of str to str
    error : dict or None
        The last failure recorded, if any.
    created_at, updated_at : float
        Epoch seconds.
    deployments : tuple of DeploymentRecord
        Sorted by name.
    """

    name: str
    compute_type: str
    compute_target: str | None
    state: str
    auth_enabled: bool
    host: str | None
    port: int | None
    pid: int | None
    pid_started_at: float | None
    runtime_dir: str
    config: dict[str, Any]
    description: str | None
    tags: dict[str, str]
    error: dict[str, Any] | None
    created_at: float
    updated_at: float
    deployments: tuple[DeploymentRecord, ...] = field(default=())

    @property
    def models(self) -> list[tuple[str, int]]:
        """Every (name, version) any of its deployments serves."""
        return sorted({m for d in self.deployments for m in d.models})


@dataclass(frozen=True)
class KeyRecord:
    """One of an endpoint's keys (slot ``"primary"`` or ``"secondary"``), never in plain text.

    Attributes
    ----------
    slot : str
    digest : str
        The key's SHA-256 hex digest, which a scoring process compares against.
    sealed : str
        The key encrypted with the workspace secret, opened by the serving layer.
    created_at : float
        Epoch seconds.
    """

    slot: str  # "primary" | "secondary"
    digest: str
    sealed: str
    created_at: float


@dataclass(frozen=True)
class AuditEvent:
    """One row of the model registry's audit trail (``registry_audit``).

    Attributes
    ----------
    at : float
        Epoch seconds.
    actor : str
        Who made the change.
    action : str
        ``register``, ``tag``, ``properties``, ``delete``, ``deploy``, ``retire`` or
        ``regen_key``.
    model_name, model_version : str or None, int or None
        The model version concerned, if any.
    endpoint_name : str or None
        The endpoint concerned, if any.
    details : dict
        Anything else the action recorded (for ``regen_key``, the slot).
    """

    at: float
    actor: str
    action: str  # register | tag | properties | delete | deploy | retire | regen_key
    model_name: str | None
    model_version: int | None
    endpoint_name: str | None
    details: dict[str, Any]


_UPDATABLE = {
    "state",
    "host",
    "port",
    "pid",
    "pid_started_at",
    "config",
    "description",
    "tags",
    "error",
    "auth_enabled",
}


class EndpointStore:
    """Typed access to endpoints, deployments, keys and the audit trail."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # ---- endpoints -----------------------------------------------------------------------
    def create_endpoint(
        self,
        name: str,
        *,
        compute_type: str,
        compute_target: str | None,
        auth_enabled: bool,
        port: int | None,
        runtime_dir: str,
        config: Mapping[str, Any],
        deployments: Sequence[DeploymentRecord],
        keys: Mapping[str, tuple[str, str]],
        actor: str,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        state: str = "Transitioning",
    ) -> EndpointRecord:
        """Record a new endpoint with its deployments and keys (slot -> (digest, sealed))."""
        now = time.time()

        def _create(conn: Connection) -> None:
            found = conn.execute(
                select(t.endpoints.c.name).where(t.endpoints.c.name == name)
            ).first()
            if found is not None:
                raise ConflictError(
                    f"An endpoint named {name!r} exists already.",
                    hint="Pass overwrite=True to Model.deploy to replace it, or choose "
                    "another name.",
                    name=name,
                )
            conn.execute(
                insert(t.endpoints).values(
                    name=name,
                    compute_type=compute_type,
                    compute_target=compute_target,
                    state=state,
                    auth_enabled=auth_enabled,
                    port=port,
                    runtime_dir=runtime_dir,
                    config=dumps(dict(config)),
                    description=description,
                    tags=dumps({k: str(v) for k, v in (tags or {}).items()}),
                    created_at=now,
                    updated_at=now,
                )
            )
            for slot, (digest, sealed) in keys.items():
                conn.execute(
                    insert(t.endpoint_keys).values(
                        endpoint_name=name, slot=slot, digest=digest, sealed=sealed, created_at=now
                    )
                )
            _replace_deployments(conn, name, deployments, actor, now)

        self._db.write(_create)
        return self.get_endpoint(name)

    def get_endpoint(self, name: str) -> EndpointRecord:
        """The endpoint ``name`` with its deployments.

        Raises
        ------
        NotFoundError
            If there is no endpoint of that name.
        """
        with self._db.read() as conn:
            row = conn.execute(select(t.endpoints).where(t.endpoints.c.name == name)).first()
            if row is None:
                raise NotFoundError(
                    f"There is no endpoint (web service) named {name!r} in this workspace.",
                    hint="Webservice.list(ws) or ws.webservices shows the endpoints.",
                    name=name,
                )
            return _endpoint(row, _deployments(conn, [name]).get(name, ()))

    def list_endpoints(self) -> list[EndpointRecord]:
        """Every endpoint with its deployments, sorted by name."""
        with self._db.read() as conn:
            rows = list(conn.execute(select(t.endpoints).order_by(t.endpoints.c.name)))
            deps = _deployments(conn, [r.name for r in rows])
        return [_endpoint(r, deps.get(r.name, ())) for r in rows]

    def update_endpoint(self, name: str, **changes: Any) -> EndpointRecord:
        """Change some of: state, host, port, pid, pid_started_at, config, description,
        tags, error, auth_enabled."""
        unknown = set(changes) - _UPDATABLE
        if unknown:
            raise TypeError(f"update_endpoint() cannot change {sorted(unknown)}")
        values = dict(changes)
        for key in ("config", "tags", "error"):
            if key in values and values[key] is not None:
                values[key] = dumps(values[key])
        values["updated_at"] = time.time()

        def _update(conn: Connection) -> None:
            conn.execute(update(t.endpoints).where(t.endpoints.c.name == name).values(**values))

        self._db.write(_update)
        return self.get_endpoint(name)

    def set_deployments(
        self, name: str, deployments: Sequence[DeploymentRecord], *, actor: str
    ) -> EndpointRecord:
        """Replace the endpoint's deployments; model versions that come or go are audited
        as ``deploy`` and ``retire``."""

        def _set(conn: Connection) -> None:
            _replace_deployments(conn, name, deployments, actor, time.time())

        self._db.write(_set)
        return self.get_endpoint(name)

    def delete_endpoint(self, name: str, *, actor: str) -> None:
        """Forget the endpoint; the versions it served are audited as retired from it."""

        def _delete(conn: Connection) -> None:
            _replace_deployments(conn, name, [], actor, time.time())
            conn.execute(delete(t.endpoint_keys).where(t.endpoint_keys.c.endpoint_name == name))
            conn.execute(delete(t.endpoints).where(t.endpoints.c.name == name))

        self._db.write(_delete)

    def endpoints_serving(self, model_name: str, version: int | None = None) -> list[str]:
        """Names of the endpoints that serve ``model_name`` (that ``version``, if given)."""
        m = t.endpoint_models.c
        query = select(m.endpoint_name).where(m.model_name == model_name).distinct()
        if version is not None:
            query = query.where(m.model_version == int(version))
        with self._db.read() as conn:
            return sorted(r[0] for r in conn.execute(query))

    # ---- keys ----------------------------------------------------------------------------
    def get_keys(self, name: str) -> dict[str, KeyRecord]:
        """The endpoint's stored keys by slot (empty when it has none or does not exist)."""
        k = t.endpoint_keys.c
        with self._db.read() as conn:
            rows = conn.execute(select(t.endpoint_keys).where(k.endpoint_name == name))
            return {r.slot: KeyRecord(r.slot, r.digest, r.sealed, r.created_at) for r in rows}

    def set_key(self, name: str, slot: str, digest: str, sealed: str, *, actor: str) -> None:
        """Replace the key in ``slot`` and audit it as ``regen_key``, in one transaction.

        Parameters
        ----------
        name : str
            The endpoint.
        slot : str
            ``"primary"`` or ``"secondary"``.
        digest : str
            The new key's SHA-256 hex digest.
        sealed : str
            The new key sealed with the workspace secret.
        actor : str
            Who asked, for the audit trail.
        """
        now = time.time()

        def _set(conn: Connection) -> None:
            k = t.endpoint_keys.c
            conn.execute(delete(t.endpoint_keys).where(k.endpoint_name == name, k.slot == slot))
            conn.execute(
                insert(t.endpoint_keys).values(
                    endpoint_name=name, slot=slot, digest=digest, sealed=sealed, created_at=now
                )
            )
            _audit(conn, now, actor, "regen_key", None, None, name, {"slot": slot})

        self._db.write(_set)

    # ---- audit trail ---------------------------------------------------------------------
    def audit(
        self,
        action: str,
        *,
        actor: str,
        model_name: str | None = None,
        model_version: int | None = None,
        endpoint_name: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        """Append one event to the audit trail, stamped with the current time.

        Parameters
        ----------
        action : str
            What happened (see :class:`AuditEvent`).
        actor : str
            Who did it.
        model_name, model_version, endpoint_name : optional
            What it concerned.
        details : Mapping, optional
            Anything else worth keeping, stored as JSON.
        """

        def _write(conn: Connection) -> None:
            _audit(
                conn,
                time.time(),
                actor,
                action,
                model_name,
                model_version,
                endpoint_name,
                dict(details or {}),
            )

        self._db.write(_write)

    def list_audit(
        self,
        *,
        model_name: str | None = None,
        model_version: int | None = None,
        endpoint_name: str | None = None,
    ) -> list[AuditEvent]:
        """Audit events, oldest first, filtered by model (and version) and/or endpoint."""
        a = t.registry_audit.c
        query = select(t.registry_audit).order_by(a.at, a.id)
        if model_name is not None:
            query = query.where(a.model_name == model_name)
        if model_version is not None:
            query = query.where(a.model_version == int(model_version))
        if endpoint_name is not None:
            query = query.where(a.endpoint_name == endpoint_name)
        with self._db.read() as conn:
            return [
                AuditEvent(
                    r.at,
                    r.actor,
                    r.action,
                    r.model_name,
                    r.model_version,
                    r.endpoint_name,
                    loads(r.details) or {},
                )
                for r in conn.execute(query)
            ]

    def served_at(self, endpoint_name: str, at: float) -> list[tuple[str, int]]:
        """The (model, version) pairs ``endpoint_name`` served at time ``at``."""
        serving: set[tuple[str, int]] = set()
        for event in self.list_audit(endpoint_name=endpoint_name):
            if event.at > at:
                break
            if event.model_name is None or event.model_version is None:
                continue
            pair = (event.model_name, event.model_version)
            if event.action == "deploy":
                serving.add(pair)
            elif event.action == "retire":
                serving.discard(pair)
        return sorted(serving)


# ---- helpers (inside a transaction) ------------------------------------------------------
def _audit(
    conn: Connection,
    at: float,
    actor: str,
    action: str,
    model_name: str | None,
    model_version: int | None,
    endpoint_name: str | None,
    details: dict[str, Any],
) -> None:
    conn.execute(
        insert(t.registry_audit).values(
            at=at,
            actor=actor,
            action=action,
            model_name=model_name,
            model_version=model_version,
            endpoint_name=endpoint_name,
            details=dumps(details),
        )
    )


def _replace_deployments(
    conn: Connection,
    name: str,
    deployments: Sequence[DeploymentRecord],
    actor: str,
    now: float,
) -> None:
    m = t.endpoint_models.c
    before = {
        (r.model_name, r.model_version)
        for r in conn.execute(select(t.endpoint_models).where(m.endpoint_name == name))
    }
    conn.execute(delete(t.endpoint_models).where(m.endpoint_name == name))
    conn.execute(
        delete(t.endpoint_deployments).where(t.endpoint_deployments.c.endpoint_name == name)
    )
    after: set[tuple[str, int]] = set()
    for dep in deployments:
        conn.execute(
            insert(t.endpoint_deployments).values(
                endpoint_name=name,
                name=dep.name,
                traffic=dep.traffic,
                generation=dep.generation,
                config=dumps(dep.config),
                created_at=now,
            )
        )
        for model_name, version in sorted(set(dep.models)):
            conn.execute(
                insert(t.endpoint_models).values(
                    endpoint_name=name,
                    deployment=dep.name,
                    model_name=model_name,
                    model_version=int(version),
                )
            )
            after.add((model_name, int(version)))
    for model_name, version in sorted(after - before):
        _audit(conn, now, actor, "deploy", model_name, version, name, {})
    for model_name, version in sorted(before - after):
        _audit(conn, now, actor, "retire", model_name, version, name, {})


def _deployments(conn: Connection, names: Sequence[str]) -> dict[str, tuple[DeploymentRecord, ...]]:
    if not names:
        return {}
    d, m = t.endpoint_deployments.c, t.endpoint_models.c
    served: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for r in conn.execute(select(t.endpoint_models).where(m.endpoint_name.in_(names))):
        served.setdefault((r.endpoint_name, r.deployment), []).append(
            (r.model_name, r.model_version)
        )
    found: dict[str, list[DeploymentRecord]] = {}
    query = select(t.endpoint_deployments).where(d.endpoint_name.in_(names)).order_by(d.name)
    for r in conn.execute(query):
        found.setdefault(r.endpoint_name, []).append(
            DeploymentRecord(
                r.name,
                r.traffic,
                r.generation,
                loads(r.config) or {},
                tuple(sorted(served.get((r.endpoint_name, r.name), []))),
            )
        )
    return {k: tuple(v) for k, v in found.items()}


def _endpoint(row: Any, deployments: tuple[DeploymentRecord, ...]) -> EndpointRecord:
    return EndpointRecord(
        name=row.name,
        compute_type=row.compute_type,
        compute_target=row.compute_target,
        state=row.state,
        auth_enabled=bool(row.auth_enabled),
        host=row.host,
        port=row.port,
        pid=row.pid,
        pid_started_at=row.pid_started_at,
        runtime_dir=row.runtime_dir,
        config=loads(row.config) or {},
        description=row.description,
        tags=loads(row.tags) or {},
        error=loads(row.error),
        created_at=row.created_at,
        updated_at=row.updated_at,
        deployments=deployments,
    )
