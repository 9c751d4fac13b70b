"""``mlstudio model ...`` and ``mlstudio online-endpoint ...`` with a real scoring process."""

from __future__ import annotations

import json

import httpx

FIT = """
import os, joblib
from sklearn.linear_model import LinearRegression
os.makedirs("outputs", exist_ok=True)
joblib.dump(LinearRegression().fit([[0], [1], [2]], [1, 3, 5]), "outputs/model.pkl")
"""

SCORE = """
import json, joblib
from jupyter_mlstudio.core.model import Model

def init():
    global model
    model = joblib.load(Model.get_model_path("line"))

def run(raw_data):
    return model.predict(json.loads(raw_data)["data"]).tolist()
"""


def test_model_from_a_job_then_an_endpoint_invoked_with_its_key(cli):
    folder = cli.folder
    (folder / "src").mkdir()
    (folder / "src" / "fit.py").write_text(FIT)
    (folder / "fit.yml").write_text("command: python fit.py\ncode: src\nexperiment_name: fit\n")
    run_id = cli("job", "create", "-f", "fit.yml", "--stream", "-o", "json").json()["name"]

    created = cli(
        "model",
        "create",
        "--name",
        "line",
        "--model-path",
        f"runs:/{run_id}/outputs/model.pkl",
        "--tags",
        "area=demo",
        "-o",
        "json",
    ).json()
    assert (created["name"], created["version"], created["run_id"]) == ("line", 1, run_id)
    (folder / "model.yml").write_text(
        "$schema: https://azuremlschemas.azureedge.net/latest/model.schema.json\n"
        "name: line\npath: src/fit.py\ntype: custom_model\ndescription: the script itself\n"
    )
    assert cli("model", "create", "-f", "model.yml", "-o", "json").json()["version"] == 2
    versions = cli("model", "list", "-n", "line", "-o", "json").json()
    assert [(m["version"], m["tags"]) for m in versions] == [(2, {}), (1, {"area": "demo"})]
    cli("model", "download", "-n", "line", "-v", "1", "-p", "models")
    assert (folder / "models" / "line" / "1" / "model.pkl").is_file()

    (folder / "score").mkdir()
    (folder / "score" / "score.py").write_text(SCORE)
    (folder / "endpoint.yml").write_text("name: line-ep\nauth_mode: key\n")
    (folder / "blue.yml").write_text(
        "name: blue\nendpoint_name: line-ep\nmodel: azureml:line:1\n"
        "code_configuration:\n  code: ./score\n  scoring_script: score.py\n"
        "instance_type: Standard_DS3_v2\ninstance_count: 1\n"
    )
    endpoint = cli(
        "online-endpoint", "create", "-f", "endpoint.yml", "--deployment", "blue.yml", "-o", "json"
    )
    shown = endpoint.json()
    assert shown["state"] == "Healthy" and shown["auth_enabled"] is True
    assert "instance_type" in endpoint.err  # said to be ignored here
    try:
        (folder / "request.json").write_text(json.dumps({"data": [[3], [4]]}))
        answer = cli("online-endpoint", "invoke", "-n", "line-ep", "-r", "request.json").out
        assert [round(x, 6) for x in json.loads(answer)] == [7.0, 9.0]
        # The endpoint is real HTTP and wants the key.
        refused = httpx.post(shown["scoring_uri"], json={"data": [[3]]}, trust_env=False)
        assert refused.status_code == 401
        assert "init() done" in cli("online-endpoint", "get-logs", "-n", "line-ep").out
    finally:
        cli("online-endpoint", "delete", "-n", "line-ep", "--yes")
    gone = cli("online-endpoint", "invoke", "-n", "line-ep", "-r", "request.json", ok=False)
    assert gone.code == 2 and "line-ep" in gone.err
