"""A model's lineage: the run that made it, that run's datasets, the endpoints serving it."""

from __future__ import annotations

import joblib
import pandas as pd


def test_lineage_follows_run_datasets_and_endpoints(trained, src, tmp_path, monkeypatch):
    from jupyter_mlstudio.core import Dataset, Experiment, Model
    from jupyter_mlstudio.core.model import InferenceConfig
    from jupyter_mlstudio.core.webservice import LocalWebservice

    ws = trained.ws
    frame = pd.DataFrame(trained.X[:20], columns=[f"f{i}" for i in range(30)])
    data = Dataset.Tabular.register_pandas_dataframe(
        frame, ws.get_default_datastore(), "lineage-rows", show_progress=False
    )
    monkeypatch.chdir(tmp_path)
    run = Experiment(ws, "lineage").start_logging()
    # What a job does when it materializes a dataset input for the run:
    record = ws._store.datasets.get("lineage-rows", 1)
    ws._store.datasets.record_use(run.id, record.id, "input", "training", "direct")
    joblib.dump(trained.estimator, "cancer.pkl")
    run.upload_file("outputs/cancer.pkl", "cancer.pkl")
    run.complete()
    model = run.register_model("cancer", "outputs/cancer.pkl", datasets=[data])
    svc = Model.deploy(
        ws,
        "lineage-svc",
        [model],
        InferenceConfig(entry_script="score.py", source_directory=str(src)),
        LocalWebservice.deploy_configuration(),
    )
    try:
        svc.wait_for_deployment()
        lineage = Model(ws, "cancer", version=model.version).get_lineage()
        assert lineage["run_id"] == run.id
        assert lineage["run_datasets"] == [
            {"name": "training", "dataset": "lineage-rows:1", "mode": "direct"}
        ]
        assert lineage["datasets"] == [{"name": "lineage-rows"}]
        assert lineage["endpoints"] == ["lineage-svc"]
    finally:
        svc.delete()
    assert model.get_lineage()["endpoints"] == []
