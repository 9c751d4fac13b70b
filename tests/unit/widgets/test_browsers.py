"""The workspace browsers over a real local workspace: rows, search, opening an item."""

from __future__ import annotations

import pytest

from jupyter_mlstudio.core import Dataset, Experiment
from jupyter_mlstudio.errors import ValidationError
from jupyter_mlstudio.widgets import DatasetBrowser, ModelBrowser, RunBrowser


@pytest.fixture
def assets(local_ws, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "iris.csv").write_text(
        "sepal,kind\n" + "".join(f"{i * 0.5},k{i % 3}\n" for i in range(30))
    )
    store = local_ws.get_default_datastore()
    store.upload(str(data), target_path="iris", overwrite=True, show_progress=False)
    Dataset.Tabular.from_delimited_files((store, "iris/*.csv")).register(local_ws, "iris")
    runs = []
    for name, lr in (("baseline", 0.1), ("tuned", 0.01)):
        run = Experiment(local_ws, name).start_logging()
        run.log("loss", lr)
        (tmp_path / "m.pkl").write_bytes(b"model")
        run.upload_file("outputs/model.pkl", str(tmp_path / "m.pkl"))
        run.complete()
        runs.append(run)
    runs[0].register_model("iris_model", "outputs/model.pkl", tags={"stage": "dev"})
    runs[1].register_model("iris_model", "outputs/model.pkl")
    return runs


def test_run_browser_lists_searches_and_opens_run_details(local_ws, assets):
    browser = RunBrowser(local_ws)
    assert set(browser.table.shown_keys) == {r.id for r in assets}
    assert browser.search("tuned") == [assets[1].id]
    browser.open_item(assets[1].id)
    opened = browser.detail.children[0]
    assert "mls-run-details" in opened._dom_classes
    assert browser.opened is not None and browser.opened.view.status == "Completed"
    only = RunBrowser(local_ws, experiment=Experiment(local_ws, "baseline"))
    assert only.table.shown_keys == [assets[0].id]
    bundle = only._repr_mimebundle_()
    assert assets[0].id in bundle["text/plain"] and "<table" in bundle["text/html"]


def test_dataset_browser_opens_profile_preview_and_lineage(local_ws, assets):
    browser = DatasetBrowser(local_ws)
    assert browser.table.shown_keys == ["iris"]
    assert browser.search("nothing-like-it") == []
    browser.open_item("iris")
    text = " ".join(c.value for c in browser.detail.children)
    assert "Profile (30 rows)" in text
    assert "sepal" in text and "k2" in text  # profile column and a preview value
    assert "First 20 of 30 rows" in text


def test_model_browser_opens_versions_and_lineage(local_ws, assets):
    browser = ModelBrowser(local_ws)
    assert browser.table.shown_keys == ["iris_model"]
    assert browser.items[0]["versionCount"] == 2
    browser.open_item("iris_model")
    text = browser.detail.children[0].value
    assert "2 version(s)" in text
    assert assets[1].id in text and "register" in text


def test_a_browser_needs_a_workspace():
    with pytest.raises(ValidationError, match="needs a Workspace"):
        ModelBrowser("ws")  # type: ignore[arg-type]
