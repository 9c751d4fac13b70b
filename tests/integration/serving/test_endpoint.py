"""A real endpoint (supervisor + uvicorn worker processes on 127.0.0.1) end to end."""

from __future__ import annotations

import json
import socket

import httpx
import pytest

from tests.integration.serving.conftest import wait_stopped


@pytest.fixture(scope="module")
def service(trained):
    from jupyter_mlstudio.core import Model
    from jupyter_mlstudio.core.model import InferenceConfig
    from jupyter_mlstudio.core.webservice import LocalWebservice

    config = InferenceConfig(entry_script="score.py", source_directory=str(trained.folder / "src"))
    svc = Model.deploy(
        trained.ws,
        "cancer-svc",
        [trained.model],
        config,
        LocalWebservice.deploy_configuration(max_body_bytes=64 * 1024),
    )
    svc.wait_for_deployment()
    yield svc
    svc.delete()


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_deployed_service_scores_with_a_bearer_key(service, trained):
    assert service.state == "Healthy"
    assert service.scoring_uri.startswith("http://127.0.0.1:")
    primary, secondary = service.get_keys()
    assert primary != secondary
    rows = trained.X[:5].tolist()
    for key in (primary, secondary):
        response = httpx.post(service.scoring_uri, json={"data": rows}, headers=_auth(key))
        assert response.status_code == 200
        assert response.json() == trained.expected(rows)
    assert service.run(json.dumps({"data": rows})) == trained.expected(rows)
    assert service.run({"data": rows}) == trained.expected(rows)


def test_health_swagger_and_metrics_routes(service):
    base = service.scoring_uri.rsplit("/", 1)[0]
    assert httpx.get(base + "/").text == "Healthy"
    swagger = httpx.get(service.swagger_uri).json()
    assert swagger["swagger"] == "2.0"
    assert "/score" in swagger["paths"]
    data = swagger["definitions"]["ServiceInput"]["properties"]["data"]
    assert data == {
        "type": "array",
        "items": {"type": "array", "items": {"type": "number", "format": "double"}},
    }
    assert swagger["definitions"]["ServiceInput"]["example"] == {"data": [[0.5] * 30]}
    service.run({"data": [[0.5] * 30]})
    text = httpx.get(service.metrics_uri).text
    assert "# TYPE mlstudio_request_duration_seconds histogram" in text
    assert 'code="200"' in text
    assert "mlstudio_errors_total" in text


def test_the_workspace_lists_it_and_finds_it_by_name(service, trained):
    from jupyter_mlstudio.core.webservice import LocalWebservice, Webservice

    assert list(trained.ws.webservices) == ["cancer-svc"]
    found = Webservice(trained.ws, "cancer-svc")
    assert isinstance(found, LocalWebservice)
    assert found.scoring_uri == service.scoring_uri
    assert found.state == "Healthy"
    assert [m.id for m in found.models] == ["cancer:1"]
    assert Webservice.list(trained.ws, model_name="cancer")[0].name == "cancer-svc"
    assert trained.model.endpoints == ["cancer-svc"]


def test_missing_or_wrong_key_is_401_with_a_json_body(service):
    body = {"data": [[0.5] * 30]}
    for headers in ({}, _auth("wrong"), {"Authorization": "Basic abc"}):
        response = httpx.post(service.scoring_uri, json=body, headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "Unauthorized"


def test_bad_input_gets_a_clear_4xx(service):
    key = service.get_keys()[0]
    uri = service.scoring_uri
    cases = {
        "malformed json": (b"{not json", 400, "MalformedJson"),
        "empty body": (b"", 400, "EmptyBody"),
        "wrong width": (json.dumps({"data": [[1.0, 2.0]]}).encode(), 422, "InvalidInput"),
        "wrong dtype": (json.dumps({"data": [["a"] * 30]}).encode(), 422, "InvalidInput"),
        "missing key": (json.dumps({"rows": [[0.5] * 30]}).encode(), 422, "InvalidInput"),
        "not an object": (b"[1, 2, 3]", 422, "InvalidInput"),
        "too large": (json.dumps({"data": [[0.5] * 30] * 800}).encode(), 413, "BodyTooLarge"),
    }
    for name, (body, status, code) in cases.items():
        response = httpx.post(
            uri, content=body, headers={**_auth(key), "Content-Type": "application/json"}
        )
        assert response.status_code == status, name
        error = response.json()["error"]
        assert error["code"] == code, name
        assert "Traceback" not in error["message"]
    wrong = httpx.post(uri, content=json.dumps({"data": [[1.0, 2.0]]}), headers=_auth(key))
    assert "expects 30" in wrong.json()["error"]["message"]


def test_a_raising_run_is_a_500_json_and_the_server_keeps_serving(service, trained):
    key = service.get_keys()[0]
    response = httpx.post(
        service.scoring_uri, json={"data": [[0.5] * 30], "explode": True}, headers=_auth(key)
    )
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "ScoringError"
    assert "asked to explode" in error["message"]
    assert "Traceback" not in response.text
    rows = trained.X[:2].tolist()
    ok = httpx.post(service.scoring_uri, json={"data": rows}, headers=_auth(key))
    assert ok.json() == trained.expected(rows)
    assert "asked to explode" in service.get_logs()
    assert service.state == "Healthy"


def test_unknown_routes_and_methods_answer_json(service):
    base = service.scoring_uri.rsplit("/", 1)[0]
    missing = httpx.get(base + "/nowhere")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "HttpError"
    wrong = httpx.put(service.scoring_uri, content=b"{}")
    assert wrong.status_code == 405 and "error" in wrong.json()


def test_keys_are_not_logged_and_regen_key_replaces_one_at_once(service, trained):
    old_primary, secondary = service.get_keys()
    service.regen_key("Primary")
    new_primary, same_secondary = service.get_keys()
    assert new_primary != old_primary and same_secondary == secondary
    body = {"data": trained.X[:1].tolist()}
    assert httpx.post(service.scoring_uri, json=body, headers=_auth(old_primary)).status_code == 401
    assert httpx.post(service.scoring_uri, json=body, headers=_auth(new_primary)).status_code == 200
    service.regen_key("Secondary", set_key="chosen-secondary-key")
    assert service.get_keys()[1] == "chosen-secondary-key"
    assert (
        httpx.post(
            service.scoring_uri, json=body, headers=_auth("chosen-secondary-key")
        ).status_code
        == 200
    )
    logs = service.get_logs()
    runtime = trained.ws.path / ".mlstudio" / "endpoints" / service.name
    stored = "".join(p.read_text(errors="replace") for p in runtime.rglob("*.json"))
    db = (trained.ws.path / ".mlstudio" / "mlstudio.db").read_bytes()
    for key in (new_primary, "chosen-secondary-key"):
        assert key not in logs
        assert key not in stored
        assert key.encode() not in db
    assert oct((runtime / "keys.json").stat().st_mode & 0o777) == "0o600"


def test_a_thousand_malformed_requests_mixed_with_good_ones(service, trained):
    """Bounded load on 127.0.0.1: 1,000 bad requests and 500 good ones from 4 clients."""
    from concurrent.futures import ThreadPoolExecutor

    key = service.get_keys()[0]
    rows = trained.X[:3].tolist()
    want = trained.expected(rows)
    good = json.dumps({"data": rows}).encode()
    bad = [
        (b"{oops", _auth(key)),
        (json.dumps({"data": [[1, 2, 3]]}).encode(), _auth(key)),
        (json.dumps({"data": [["x"] * 30]}).encode(), _auth(key)),
        (json.dumps({"data": rows}).encode(), _auth("not-the-key")),
        (json.dumps({"data": rows}).encode(), {}),
        (b"\xff\xfe\x00", _auth(key)),
        (b"null", _auth(key)),
        (json.dumps({"data": [[0.5] * 30] * 800}).encode(), _auth(key)),
    ]
    plan = []
    for i in range(1500):
        plan.append(("good", good, _auth(key)) if i % 3 == 0 else ("bad", *bad[i % len(bad)]))

    def send(chunk):
        results = []
        with httpx.Client(timeout=30) as client:
            for kind, body, headers in chunk:
                r = client.post(
                    service.scoring_uri,
                    content=body,
                    headers={**headers, "Content-Type": "application/json"},
                )
                results.append((kind, r.status_code, r.json()))
        return results

    with ThreadPoolExecutor(4) as pool:
        outcomes = [x for part in pool.map(send, [plan[i::4] for i in range(4)]) for x in part]
    assert len(outcomes) == 1500
    goods = [o for o in outcomes if o[0] == "good"]
    bads = [o for o in outcomes if o[0] == "bad"]
    assert len(bads) == 1000
    assert all(status == 200 and body == want for _, status, body in goods)
    assert all(400 <= status < 500 and "error" in body for _, status, body in bads)
    assert service.state == "Healthy"


def test_port_in_use_and_unknown_model_are_refused_clearly(trained, src):
    from jupyter_mlstudio.core import Model
    from jupyter_mlstudio.core.model import InferenceConfig
    from jupyter_mlstudio.core.webservice import LocalWebservice, WebserviceException
    from jupyter_mlstudio.errors import ModelNotFoundError, ValidationError

    config = InferenceConfig(entry_script="score.py", source_directory=str(src))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(WebserviceException, match=f"Port {port}.*in use"):
            Model.deploy(
                trained.ws,
                "busy",
                [trained.model],
                config,
                LocalWebservice.deploy_configuration(port=port),
            )
    with pytest.raises(ModelNotFoundError, match="no registered model 'nosuch'"):
        Model.deploy(trained.ws, "ghost", ["nosuch"], config)
    with pytest.raises(ValidationError, match="entry script 'missing.py' was not found"):
        InferenceConfig(entry_script="missing.py", source_directory=str(src))
    assert "busy" not in trained.ws.webservices and "ghost" not in trained.ws.webservices


def test_an_init_that_raises_leaves_the_service_failed_with_its_traceback(trained, tmp_path):
    from jupyter_mlstudio.core import Model
    from jupyter_mlstudio.core.model import InferenceConfig
    from jupyter_mlstudio.core.webservice import WebserviceException
    from tests.integration.serving.conftest import write_script

    folder = write_script(
        tmp_path / "broken",
        """
        def init():
            raise RuntimeError("the model file is corrupt")

        def run(raw_data):
            return 1
        """,
    )
    svc = Model.deploy(
        trained.ws,
        "broken",
        [trained.model],
        InferenceConfig(entry_script="score.py", source_directory=str(folder)),
    )
    try:
        with pytest.raises(WebserviceException, match="Failed"):
            svc.wait_for_deployment()
        assert svc.state == "Failed"
        assert "the model file is corrupt" in svc.error["message"]
        logs = svc.get_logs()
        assert "Traceback" in logs and "RuntimeError: the model file is corrupt" in logs
        assert wait_stopped(svc)  # nothing is left running
    finally:
        svc.delete()


def test_aci_and_aks_configurations_deploy_locally_and_say_so(trained, src, capsys):
    from jupyter_mlstudio.core import Model
    from jupyter_mlstudio.core.compute import AksCompute, ComputeTarget
    from jupyter_mlstudio.core.model import InferenceConfig
    from jupyter_mlstudio.core.webservice import AciWebservice, AksWebservice

    config = InferenceConfig(entry_script="score.py", source_directory=str(src))
    aci = Model.deploy(
        trained.ws,
        "aci-svc",
        [trained.model],
        config,
        AciWebservice.deploy_configuration(cpu_cores=1, memory_gb=1, auth_enabled=False),
    )
    cluster = ComputeTarget.create(trained.ws, "aks-c", AksCompute.provisioning_configuration())
    aks = Model.deploy(
        trained.ws,
        "aks-svc",
        [trained.model],
        config,
        AksWebservice.deploy_configuration(cpu_cores=1, memory_gb=1),
        deployment_target=cluster,
    )
    try:
        aci.wait_for_deployment()
        aks.wait_for_deployment()
        out = capsys.readouterr().out
        assert "Deploying 'aci-svc' locally: the ACI configuration" in out
        assert "Deploying 'aks-svc' locally: the AKS (target 'aks-c') configuration" in out
        assert isinstance(aci, AciWebservice) and aci.compute_type == "ACI"
        assert isinstance(aks, AksWebservice) and aks.compute_type == "AKS"
        rows = trained.X[:2].tolist()
        # auth_enabled=False: no key needed
        assert httpx.post(aci.scoring_uri, json={"data": rows}).json() == trained.expected(rows)
        assert httpx.post(aks.scoring_uri, json={"data": rows}).status_code == 401
        assert aks.run({"data": rows}) == trained.expected(rows)
    finally:
        aci.delete()
        aks.delete()
