"""The studio's REST API against a real Jupyter server (pytest-jupyter's jp_fetch)."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from tornado.httpclient import HTTPClientError

API = ("mlstudio", "api", "v1")


async def get(jp_fetch, *path: str, **params):
    response = await jp_fetch(*API, *path, params=params or None)
    return json.loads(response.body)


async def error(jp_fetch, *path: str, method: str = "GET", **params) -> tuple[int, dict]:
    with pytest.raises(HTTPClientError) as info:
        kwargs = {"params": params or None, "method": method}
        if method in ("POST",):
            kwargs["body"] = params.pop("body", "{}")
            kwargs["params"] = None
        await jp_fetch(*API, *path, **kwargs)
    return info.value.code, json.loads(info.value.response.body)


async def test_workspace(jp_fetch, jp_root_dir):
    info = await get(jp_fetch, "workspace")
    assert info["loaded"] is True
    assert info["name"] == "studio_ws"
    assert info["path"] == str(jp_root_dir.resolve())


async def test_experiments(jp_fetch):
    found = {e["name"]: e for e in (await get(jp_fetch, "experiments"))["experiments"]}
    assert found["train"]["runCount"] == 3  # the run, its child and grandchild
    assert found["tune"]["activeRuns"] == 0


async def test_runs_filters_sort_and_pages(jp_fetch, ids):
    top = await get(jp_fetch, "runs", top_level="true")
    assert top["total"] == 2
    assert {r["runId"] for r in top["runs"]} == {ids["run_id"], ids["other"]}
    run = next(r for r in top["runs"] if r["runId"] == ids["run_id"])
    assert run["childCount"] == 1
    assert run["params"] == {"lr": "0.01", "depth": "4"}
    assert run["metrics"]["accuracy"] == 0.93

    by_metric = await get(jp_fetch, "runs", top_level="true", sort="-metric:accuracy")
    assert [r["runId"] for r in by_metric["runs"]] == [ids["run_id"], ids["other"]]
    ascending = await get(jp_fetch, "runs", top_level="true", sort="metric:accuracy")
    assert [r["runId"] for r in ascending["runs"]] == [ids["other"], ids["run_id"]]

    assert (await get(jp_fetch, "runs", metric="accuracy>0.9"))["total"] == 1
    assert (await get(jp_fetch, "runs", param="lr=0.1"))["runs"][0]["runId"] == ids["other"]
    assert (await get(jp_fetch, "runs", tag="team=blue"))["total"] == 1
    assert (await get(jp_fetch, "runs", tag="team"))["total"] == 1
    assert (await get(jp_fetch, "runs", experiment="tune"))["total"] == 1
    assert (await get(jp_fetch, "runs", status="Completed"))["total"] == 4
    assert (await get(jp_fetch, "runs", status="Running"))["total"] == 0
    children = await get(jp_fetch, "runs", parent=ids["run_id"])
    assert [r["runId"] for r in children["runs"]] == [ids["child_id"]]

    first = await get(jp_fetch, "runs", limit="3", sort="number")
    second = await get(jp_fetch, "runs", limit="3", offset="3", sort="number")
    assert first["total"] == second["total"] == 4
    numbers = [r["number"] for r in first["runs"] + second["runs"]]
    assert numbers == sorted(numbers) and len(numbers) == 4


@pytest.mark.parametrize(
    "params",
    [
        {"status": "Sleeping"},
        {"metric": "accuracy>high"},
        {"metric": "no-operator"},
        {"param": "=1"},
        {"sort": "color"},
        {"sort": "metric:"},
        {"limit": "0"},
        {"limit": "many"},
        {"offset": "-1"},
        {"top_level": "maybe"},
        {"tag": "=x"},
    ],
)
async def test_malformed_filters_are_400(jp_fetch, params):
    code, body = await error(jp_fetch, "runs", **params)
    assert code == 400
    assert body["message"] and body["reason"] == "ValidationError"


async def test_run_details_children_and_metrics(jp_fetch, ids):
    run = await get(jp_fetch, "runs", ids["run_id"])
    assert run["status"] == "Completed"
    assert {m["key"] for m in run["metricKeys"]} == {"loss", "accuracy"}
    assert run["details"]["runId"] == ids["run_id"]
    kids = (await get(jp_fetch, "runs", ids["run_id"], "children"))["runs"]
    assert [k["runId"] for k in kids] == [ids["child_id"]] and kids[0]["childCount"] == 1
    grand = (await get(jp_fetch, "runs", ids["child_id"], "children"))["runs"]
    assert [g["runId"] for g in grand] == [ids["grandchild_id"]]
    metrics = (await get(jp_fetch, "runs", ids["run_id"], "metrics"))["metrics"]
    assert metrics["accuracy"] == 0.93 and len(metrics["loss"]) == 5000


async def test_series_is_downsampled_keeping_extremes(jp_fetch, ids):
    from tests.integration.server.conftest import LONG_SERIES

    series = await get(jp_fetch, "runs", ids["run_id"], "series", key="loss", max_points="200")
    assert series["total"] == LONG_SERIES and series["downsampled"] is True
    assert len(series["values"]) <= 200
    assert max(series["values"]) == 50.0  # the spike at step 1234 survives
    assert min(series["values"]) == pytest.approx(1.0 / LONG_SERIES)
    assert series["steps"] == sorted(series["steps"])
    zoomed = await get(
        jp_fetch, "runs", ids["run_id"], "series", key="loss", step_min="1200", step_max="1299"
    )
    assert zoomed["downsampled"] is False and zoomed["total"] == 100
    assert zoomed["steps"] == list(range(1200, 1300))
    code, _ = await error(jp_fetch, "runs", ids["run_id"], "series")  # no key
    assert code == 400
    code, _ = await error(jp_fetch, "runs", ids["run_id"], "series", key="loss", max_points="1")
    assert code == 400


async def test_logs_tail_and_offset(jp_fetch, ids):
    tail = await get(jp_fetch, "runs", ids["run_id"], "logs", tail="30")
    assert "logs/std_log.txt" in tail["files"]
    assert tail["text"] == "line 197\nline 198\nline 199\n"  # whole lines only
    assert tail["offset"] == tail["size"]
    head = await get(jp_fetch, "runs", ids["run_id"], "logs", offset="0")
    assert head["text"].startswith("line 0\n") and head["text"].count("\n") == 200
    code, _ = await error(jp_fetch, "runs", ids["run_id"], "logs", name="../../x")
    assert code == 400


async def test_artifacts_list_and_download(jp_fetch, ids):
    files = (await get(jp_fetch, "runs", ids["run_id"], "artifacts"))["artifacts"]
    names = {f["name"] for f in files}
    assert {"outputs/model.pkl", "logs/std_log.txt"} <= names
    response = await jp_fetch(
        *API, "runs", ids["run_id"], "artifacts", "content", params={"path": "outputs/model.pkl"}
    )
    assert response.body == b"not really a model"
    assert response.headers["Content-Disposition"].startswith("attachment")
    log = await jp_fetch(
        *API, "runs", ids["run_id"], "artifacts", "content", params={"path": "logs/std_log.txt"}
    )
    assert log.headers["Content-Type"].startswith("text/plain")
    assert log.headers["Content-Disposition"].startswith("inline")


@pytest.mark.parametrize(
    "path",
    [
        "../../.mlstudio/config.json",
        "../" + "x",
        "outputs/../../other/file",
        "/etc/passwd",
        "..\\..\\config.json",
        "",
    ],
)
async def test_artifact_path_traversal_refused(jp_fetch, ids, path):
    code, body = await error(jp_fetch, "runs", ids["run_id"], "artifacts", "content", path=path)
    assert code == 400, body


async def test_unknown_things_are_404_with_reason(jp_fetch, ids):
    code, body = await error(jp_fetch, "runs", "no_such_run")
    assert code == 404 and body["reason"] == "RunNotFoundError"
    code, body = await error(
        jp_fetch, "runs", ids["run_id"], "artifacts", "content", path="outputs/none.pkl"
    )
    assert code == 404 and body["reason"] == "ArtifactNotFoundError"
    code, _ = await error(jp_fetch, "datasets", "nothing")
    assert code == 404
    code, _ = await error(jp_fetch, "models", "nothing")
    assert code == 404


async def test_datasets(jp_fetch, ids):
    datasets = (await get(jp_fetch, "datasets"))["datasets"]
    assert [d["name"] for d in datasets] == ["points"]
    assert datasets[0]["rowCount"] == 300
    one = await get(jp_fetch, "datasets", "points")
    assert one["version"] == 1 and "x" in json.dumps(one["profile"])
    versions = (await get(jp_fetch, "datasets", "points", "versions"))["versions"]
    assert [v["version"] for v in versions] == [1]
    page = await get(jp_fetch, "datasets", "points", "preview", offset="10", limit="5")
    assert page["columns"] == ["x", "label"]
    assert page["rows"] == [[5.0, "b"], [5.5, "c"], [6.0, "a"], [6.5, "b"], [7.0, "c"]]
    code, _ = await error(jp_fetch, "datasets", "points", "preview", limit="5000")
    assert code == 400


async def test_models(jp_fetch, ids):
    models = (await get(jp_fetch, "models"))["models"]
    assert [(m["name"], m["version"], m["versionCount"]) for m in models] == [
        ("points_model", 1, 1)
    ]
    model = await get(jp_fetch, "models", "points_model")
    assert model["lineage"]["run_id"] == ids["run_id"]
    assert model["tags"] == {"kind": "test"}
    versions = (await get(jp_fetch, "models", "points_model", "versions"))["versions"]
    assert [v["version"] for v in versions] == [1]


async def test_compute_environments_endpoints(jp_fetch):
    compute = (await get(jp_fetch, "compute"))["compute"]
    assert "local" in {c["name"] for c in compute}
    assert isinstance((await get(jp_fetch, "environments"))["environments"], list)
    assert (await get(jp_fetch, "endpoints"))["endpoints"] == []


@pytest.mark.parametrize(
    "path",
    ["workspace", "experiments", "runs", "datasets", "models", "compute", "environments"],
)
async def test_unauthenticated_access_refused(jp_fetch, path):
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(*API, path, headers={"Authorization": ""})
    assert info.value.code in (401, 403)


async def test_write_without_xsrf_or_token_refused(jp_fetch, ids):
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(
            *API, "runs", quote(ids["other"]), method="DELETE", headers={"Authorization": ""}
        )
    assert info.value.code in (401, 403)
