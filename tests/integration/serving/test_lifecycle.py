"""Endpoint life: update with no failed request, restore after a restart, several models,
the registry's refusal to delete a served model, and its audit trail."""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import UTC, datetime

import httpx
import joblib
import numpy as np
import pytest
from sklearn.dummy import DummyClassifier

from tests.integration.serving.conftest import wait_stopped, write_script


def _deploy(trained, name, models, folder, **config):
    from jupyter_mlstudio.core import Model
    from jupyter_mlstudio.core.model import InferenceConfig
    from jupyter_mlstudio.core.webservice import LocalWebservice

    svc = Model.deploy(
        trained.ws,
        name,
        models,
        InferenceConfig(entry_script="score.py", source_directory=str(folder)),
        LocalWebservice.deploy_configuration(**config),
    )
    svc.wait_for_deployment()
    return svc


def _constant_model(trained, tmp_path, value: int):
    from jupyter_mlstudio.core import Model

    dummy = DummyClassifier(strategy="constant", constant=value).fit(trained.X[:4], [0, 1, 0, 1])
    path = tmp_path / f"const{value}" / "cancer.pkl"
    path.parent.mkdir(parents=True)
    joblib.dump(dummy, path)
    return Model.register(trained.ws, path, "cancer", tags={"kind": "constant"})


def test_update_swaps_the_model_with_no_failed_request(trained, src, tmp_path):
    svc = _deploy(trained, "swap-svc", [trained.model], src, workers=1)
    key = svc.get_keys()[0]
    rows = trained.X[:4].tolist()
    before = trained.expected(rows)
    constant = _constant_model(trained, tmp_path, 1)
    after = [1, 1, 1, 1]
    assert before != after
    answers: list[tuple[int, object]] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def hammer() -> None:
        with httpx.Client(timeout=30) as client:  # keep-alive connections, as clients do
            while not stop.is_set():
                try:
                    r = client.post(
                        svc.scoring_uri,
                        json={"data": rows},
                        headers={"Authorization": f"Bearer {key}"},
                    )
                    answers.append((r.status_code, r.json()))
                except httpx.HTTPError as exc:
                    errors.append(exc)

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    try:
        for t in threads:
            t.start()
        while len(answers) < 50:
            time.sleep(0.01)
        svc.update(models=[constant])
        seen = len(answers)
        while len(answers) < seen + 50:
            time.sleep(0.01)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    try:
        assert errors == []
        assert all(status == 200 for status, _ in answers)
        bodies = [body for _, body in answers]
        assert set(map(tuple, bodies)) <= {tuple(before), tuple(after)}
        assert bodies[-1] == after  # the new model answers at the end
        assert svc.state == "Healthy"
        assert [m.id for m in svc.models] == [constant.id]
        assert constant.endpoints == ["swap-svc"] and trained.model.endpoints == []
        # which version served the endpoint at a past time
        events = trained.ws._store.endpoints.list_audit(endpoint_name="swap-svc")
        deployed_v1 = next(e for e in events if e.action == "deploy" and e.model_version == 1)
        store = trained.ws._store.endpoints
        assert store.served_at("swap-svc", deployed_v1.at) == [("cancer", 1)]
        assert store.served_at("swap-svc", time.time()) == [("cancer", constant.version)]
        assert svc.models_at(deployed_v1.at) == ["cancer:1"]
        assert svc.models_at(datetime.now(UTC)) == [constant.id]
        assert [e.action for e in svc.get_audit_trail()] == ["deploy", "deploy", "retire"]
    finally:
        svc.delete()


def test_a_failed_update_keeps_the_old_version_serving(trained, src, tmp_path):
    from jupyter_mlstudio.core.model import InferenceConfig
    from jupyter_mlstudio.core.webservice import WebserviceException

    svc = _deploy(trained, "keep-svc", [trained.model], src)
    broken = write_script(
        tmp_path / "broken",
        """
        def init():
            raise ImportError("no module named magic")

        def run(raw):
            return 0
        """,
    )
    try:
        with pytest.raises(WebserviceException, match="previous version keeps serving"):
            svc.update(
                inference_config=InferenceConfig(
                    entry_script="score.py", source_directory=str(broken)
                )
            )
        rows = trained.X[:2].tolist()
        assert svc.run({"data": rows}) == trained.expected(rows)
        assert svc.state == "Healthy"
        assert "no module named magic" in svc.get_logs()
    finally:
        svc.delete()


def test_endpoints_come_back_after_a_restart(trained, src):
    from jupyter_mlstudio.core.webservice import Webservice, restore_endpoints

    svc = _deploy(trained, "phoenix", [trained.model], src)
    key = svc.get_keys()[0]
    uri = svc.scoring_uri
    record = trained.ws._store.endpoints.get_endpoint("phoenix")
    try:
        os.killpg(record.pid, signal.SIGKILL)  # the machine went down with it
        assert wait_stopped(svc)
        assert Webservice(trained.ws, "phoenix").state == "Unhealthy"
        assert restore_endpoints(trained.ws) == ["phoenix"]
        back = Webservice(trained.ws, "phoenix")
        back.wait_for_deployment()
        assert back.scoring_uri == uri
        rows = trained.X[:3].tolist()
        r = httpx.post(uri, json={"data": rows}, headers={"Authorization": f"Bearer {key}"})
        assert r.json() == trained.expected(rows)
        assert restore_endpoints(trained.ws) == []  # running ones are left alone

        # The supervisor alone dies: its workers follow it, so the port comes free.
        import psutil

        record = trained.ws._store.endpoints.get_endpoint("phoenix")
        workers = psutil.Process(record.pid).children()
        assert workers
        os.kill(record.pid, signal.SIGKILL)
        _, alive = psutil.wait_procs(workers, timeout=30)
        assert alive == []
        assert restore_endpoints(trained.ws) == ["phoenix"]
        Webservice(trained.ws, "phoenix").wait_for_deployment()
        r = httpx.post(uri, json={"data": rows}, headers={"Authorization": f"Bearer {key}"})
        assert r.json() == trained.expected(rows)
    finally:
        svc.delete()


def test_several_models_in_one_deployment(trained, tmp_path):
    from jupyter_mlstudio.core import Model

    first = Model.register(trained.ws, trained.folder / "cancer.pkl", "first")
    dummy = DummyClassifier(strategy="constant", constant=1).fit(trained.X[:4], [0, 1, 0, 1])
    joblib.dump(dummy, tmp_path / "second.pkl")
    second = Model.register(trained.ws, tmp_path / "second.pkl", "second")
    folder = write_script(
        tmp_path / "multi",
        """
        import json, os
        import joblib
        import numpy as np
        from jupyter_mlstudio.core.model import Model

        def init():
            global a, b, root
            root = os.environ["AZUREML_MODEL_DIR"]
            a = joblib.load(Model.get_model_path("first"))
            b = joblib.load(Model.get_model_path("second", version=1))

        def run(raw):
            x = np.array(json.loads(raw)["data"])
            return {"first": a.predict(x).tolist(), "second": b.predict(x).tolist(),
                    "root": sorted(os.listdir(root))}
        """,
    )
    svc = _deploy(trained, "multi-svc", [first, second], folder)
    try:
        rows = trained.X[:3].tolist()
        answer = svc.run({"data": rows})
        assert answer == {
            "first": trained.expected(rows),
            "second": [1, 1, 1],
            "root": ["first", "second"],
        }
        assert sorted(m.id for m in svc.models) == ["first:1", "second:1"]
    finally:
        svc.delete()


def test_a_served_model_cannot_be_deleted_and_the_audit_trail_says_who_did_what(
    trained, src, tmp_path
):
    from jupyter_mlstudio.core import Model
    from jupyter_mlstudio.errors import ConflictError

    model = Model.register(trained.ws, trained.folder / "cancer.pkl", "audited")
    model.add_tags({"stage": "prod"})
    svc = _deploy(
        trained,
        "audit-svc",
        [model],
        write_script(
            tmp_path / "s",
            """
        import joblib
        from jupyter_mlstudio.core.model import Model
        def init():
            global m
            m = joblib.load(Model.get_model_path("audited"))
        def run(raw):
            return "ok"
        """,
        ),
    )
    with pytest.raises(ConflictError, match="served by the endpoint"):
        model.delete()
    assert model.get_lineage()["endpoints"] == ["audit-svc"]
    svc.delete()
    model.delete()
    actions = [e.action for e in model.get_audit_trail()]
    assert actions == ["register", "tag", "deploy", "retire", "delete"]
    trail = model.get_audit_trail()
    assert all("@" in e.actor for e in trail)
    assert trail[2].endpoint_name == "audit-svc"
    assert trail[1].details == {"tags": {"stage": "prod"}}
    assert np.all(np.diff([e.at for e in trail]) >= 0)
