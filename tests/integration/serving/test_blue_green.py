"""Blue/green: one endpoint, two deployments, a traffic split changed without downtime."""

from __future__ import annotations

import threading
import time
from collections import Counter

import httpx
import joblib
import pytest
from sklearn.dummy import DummyClassifier

HEADER = "azureml-model-deployment"


def test_two_deployments_share_the_traffic_as_told_with_no_failed_request(trained, src, tmp_path):
    from jupyter_mlstudio.core import Model
    from jupyter_mlstudio.core.model import InferenceConfig
    from jupyter_mlstudio.core.webservice import LocalWebservice
    from jupyter_mlstudio.errors import ValidationError

    svc = Model.deploy(
        trained.ws,
        "bluegreen",
        [trained.model],
        InferenceConfig(entry_script="score.py", source_directory=str(src)),
        LocalWebservice.deploy_configuration(),
    )
    svc.wait_for_deployment()
    dummy = DummyClassifier(strategy="constant", constant=1).fit(trained.X[:4], [0, 1, 0, 1])
    joblib.dump(dummy, tmp_path / "cancer.pkl")
    green_model = Model.register(trained.ws, tmp_path / "cancer.pkl", "cancer")
    key = svc.get_keys()[0]
    auth = {"Authorization": f"Bearer {key}"}
    rows = trained.X[:4].tolist()
    blue_answer, green_answer = trained.expected(rows), [1, 1, 1, 1]
    assert blue_answer != green_answer

    answers: list[tuple[int, object]] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def hammer() -> None:
        with httpx.Client(timeout=30) as client:
            while not stop.is_set():
                try:
                    r = client.post(svc.scoring_uri, json={"data": rows}, headers=auth)
                    answers.append((r.status_code, r.json()))
                except httpx.HTTPError as exc:
                    errors.append(exc)

    thread = threading.Thread(target=hammer)
    thread.start()
    try:
        while len(answers) < 20:
            time.sleep(0.01)
        svc.add_deployment("green", [green_model])  # 0% until told otherwise
        assert svc.traffic == {"default": 100, "green": 0}
        svc.set_traffic({"default": 70, "green": 30})
        seen = len(answers)
        while len(answers) < seen + 20:
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join(timeout=60)
    try:
        assert errors == []
        assert all(status == 200 for status, _ in answers)
        assert {tuple(b) for _, b in answers} <= {tuple(blue_answer), tuple(green_answer)}

        # One client, one router: exactly the split over 100 requests.
        counts: Counter[str] = Counter()
        with httpx.Client(timeout=30) as client:
            for _ in range(100):
                r = client.post(svc.scoring_uri, json={"data": rows}, headers=auth)
                name = r.headers[HEADER]
                counts[name] += 1
                assert r.json() == (green_answer if name == "green" else blue_answer)
            pinned = client.post(
                svc.scoring_uri, json={"data": rows}, headers={**auth, HEADER: "green"}
            )
            assert pinned.headers[HEADER] == "green" and pinned.json() == green_answer
            unknown = client.post(
                svc.scoring_uri, json={"data": rows}, headers={**auth, HEADER: "purple"}
            )
            assert unknown.status_code == 404 and "error" in unknown.json()
            # the router still checks nothing itself: keys are checked by the deployments
            assert client.post(svc.scoring_uri, json={"data": rows}).status_code == 401
        assert counts == {"default": 70, "green": 30}
        assert svc.deployments["green"]["models"] == [green_model.id]
        assert sorted(m.id for m in svc.models) == ["cancer:1", green_model.id]

        with pytest.raises(ValidationError, match="add up to 100"):
            svc.set_traffic({"default": 70, "green": 20})
        with pytest.raises(ValidationError, match="still takes 70%"):
            svc.delete_deployment("default")
        svc.set_traffic({"default": 0, "green": 100})
        svc.delete_deployment("default")
        assert svc.traffic == {"green": 100}
        assert svc.run({"data": rows}) == green_answer
        assert svc.state == "Healthy"
        actions = [
            e.action for e in trained.ws._store.endpoints.list_audit(endpoint_name="bluegreen")
        ]
        assert actions.count("traffic") == 2 and "retire" in actions
    finally:
        svc.delete()
