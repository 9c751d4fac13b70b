"""EndpointStore on SQLite and PostgreSQL: records, keys, the audit trail, served_at."""

from __future__ import annotations

import time

import pytest

from jupyter_mlstudio.errors import ConflictError, NotFoundError
from jupyter_mlstudio.store import open_store
from jupyter_mlstudio.store.endpoints import DeploymentRecord


def _create(store, name="svc", models=(("m", 1),)):
    return store.endpoints.create_endpoint(
        name,
        compute_type="AKS",
        compute_target="aks",
        auth_enabled=True,
        port=1234,
        runtime_dir="/tmp/x",
        config={"deployment": {"workers": 1}},
        deployments=[DeploymentRecord("default", 100, 1, {}, tuple(models))],
        keys={"primary": ("d1", "s1"), "secondary": ("d2", "s2")},
        actor="me@here",
        tags={"a": 1},
    )


def test_endpoint_records_keys_and_audit(metadata_url):
    store = open_store(metadata_url)
    ep = store.endpoints
    record = _create(store)
    assert record.state == "Transitioning" and record.tags == {"a": "1"}
    assert record.models == [("m", 1)]
    with pytest.raises(ConflictError):
        _create(store)
    with pytest.raises(NotFoundError, match="no endpoint"):
        ep.get_endpoint("nope")
    updated = ep.update_endpoint("svc", state="Healthy", pid=42, error={"m": "x"})
    assert (updated.state, updated.pid, updated.error) == ("Healthy", 42, {"m": "x"})
    with pytest.raises(TypeError):
        ep.update_endpoint("svc", name="other")
    assert {k: v.digest for k, v in ep.get_keys("svc").items()} == {
        "primary": "d1",
        "secondary": "d2",
    }
    ep.set_key("svc", "primary", "d3", "s3", actor="me@here")
    assert ep.get_keys("svc")["primary"].sealed == "s3"
    assert ep.endpoints_serving("m") == ["svc"] and ep.endpoints_serving("m", 2) == []
    first_seen = time.time()
    time.sleep(0.01)
    ep.set_deployments(
        "svc", [DeploymentRecord("default", 100, 2, {}, (("m", 2),))], actor="you@there"
    )
    assert ep.endpoints_serving("m", 2) == ["svc"]
    assert ep.served_at("svc", first_seen) == [("m", 1)]
    assert ep.served_at("svc", time.time()) == [("m", 2)]
    ep.delete_endpoint("svc", actor="me@here")
    assert ep.list_endpoints() == [] and ep.get_keys("svc") == {}
    actions = [(e.action, e.model_version, e.actor) for e in ep.list_audit(endpoint_name="svc")]
    assert actions == [
        ("deploy", 1, "me@here"),
        ("regen_key", None, "me@here"),
        ("deploy", 2, "you@there"),
        ("retire", 1, "you@there"),
        ("retire", 2, "me@here"),
    ]
    assert ep.served_at("svc", time.time()) == []
    store.close()
