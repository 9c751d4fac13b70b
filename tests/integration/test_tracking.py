"""Tracking against real databases: SQLite and PostgreSQL (the ``ws`` fixture runs both)."""

from __future__ import annotations

import pytest

from jupyter_mlstudio.core import Experiment, Run, Workspace
from jupyter_mlstudio.errors import (
    ConflictError,
    RunNotFoundError,
    ValidationError,
    WorkspaceNotFoundError,
)


def test_interactive_run_records_every_kind_of_metric(ws):
    run = Experiment(ws, "wine_expt").start_logging()
    assert run.get_status() == "Running"
    run.log("alpha", 0.03)
    run.log("rmse", 0.71)
    run.log("rmse", 0.65)
    run.log("optimizer", "adam")
    run.log_list("losses", [0.9, 0.5, 0.3])
    run.log_row("curve", x=1, y=2)
    run.log_row("curve", x=2, y=4)
    run.log_table("table", {"a": [1, 2], "b": [3, 4]})
    run.complete()
    assert run.get_status() == "Completed"
    again = Run.get(ws, run.id)
    assert again.get_metrics() == {
        "alpha": 0.03,
        "curve": {"x": [1, 2], "y": [2, 4]},
        "losses": [0.9, 0.5, 0.3],
        "optimizer": "adam",
        "rmse": [0.71, 0.65],
        "table": {"a": [1, 2], "b": [3, 4]},
    }
    assert again.get_metrics("rmse") == {"rmse": [0.71, 0.65]}
    assert "tables/table.json" in again.get_file_names()


def test_confusion_matrix_is_kept_as_value_and_file(ws):
    matrix = {
        "schema_type": "confusion_matrix",
        "schema_version": "1.0.0",
        "data": {"class_labels": ["0", "1"], "matrix": [[5, 1], [2, 7]]},
    }
    run = Experiment(ws, "cm").start_logging()
    run.log_confusion_matrix("cm", matrix)
    run.complete()
    assert run.get_metrics()["cm"] == matrix
    assert "confusion_matrix/cm.json" in run.get_file_names()


def test_metrics_keep_their_steps(ws):
    run = Experiment(ws, "steps").start_logging()
    for step in (0, 5, 10):
        run.log("loss", 1.0 / (step + 1), step=step)
    run.complete()
    history = ws._store.tracking.metric_history(run.id)["loss"]
    assert [p.step for p in history] == [0, 5, 10]
    assert all(p.timestamp > 0 for p in history)


def test_images_are_files_with_a_metric_pointing_at_them(ws, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    run = Experiment(ws, "img").start_logging()
    run.log_image("roc", plot=fig)
    run.complete()
    path = run.get_metrics()["roc"]
    assert path in run.get_file_names()
    png = run.download_file(path, tmp_path / "roc.png")
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_files_upload_and_download(ws, tmp_path):
    src = tmp_path / "model.pkl"
    src.write_bytes(b"weights")
    folder = tmp_path / "plots"
    folder.mkdir()
    (folder / "a.txt").write_text("a")
    run = Experiment(ws, "files").start_logging()
    run.upload_file("outputs/model.pkl", str(src))
    run.upload_folder("plots", str(folder))
    run.complete()
    assert run.get_file_names() == ["outputs/model.pkl", "plots/a.txt"]
    out = run.download_file("outputs/model.pkl", str(tmp_path / "m.pkl"))
    assert open(out, "rb").read() == b"weights"
    got = run.download_files(prefix="plots", output_directory=str(tmp_path / "dl"))
    assert [p.endswith("plots/a.txt") for p in got] == [True]


def test_tags_properties_and_params(ws):
    run = Experiment(ws, "meta").start_logging()
    run.tag("team", "ml")
    run.set_tags({"stage": "dev", "flag": None})
    run.remove_tags(["flag"])
    run.add_properties({"dataset": "wine:1"})
    run.add_properties({"dataset": "wine:1"})  # the same value again is fine
    with pytest.raises(ConflictError, match="cannot be changed"):
        run.add_properties({"dataset": "wine:2"})
    run.log_params({"max_depth": 5})
    run.complete()
    assert run.get_tags() == {"team": "ml", "stage": "dev"}
    assert run.get_properties() == {"dataset": "wine:1"}
    assert run.get_params() == {"max_depth": "5"}


def test_children_runs_and_filters(ws):
    exp = Experiment(ws, "parent")
    parent = exp.start_logging()
    kids = parent.create_children(tag_key="fold", tag_values=["0", "1"])
    grandchild = kids[0].child_run(name="inner")
    for r in (grandchild, *kids):
        r.complete()
    parent.complete()
    assert {c.id for c in parent.get_children()} == {k.id for k in kids}
    assert len(list(parent.get_children(recursive=True))) == 3
    assert [c.get_tags()["fold"] for c in parent.get_children(tags={"fold": "1"})] == ["1"]
    assert [r.id for r in exp.get_runs()] == [parent.id]
    assert len(list(exp.get_runs(include_children=True))) == 4
    assert kids[0].parent.id == parent.id
    metrics = parent.get_metrics(recursive=True)
    assert set(metrics) == {parent.id, *(k.id for k in kids), grandchild.id}


def test_runs_are_newest_first_and_numbered(ws):
    exp = Experiment(ws, "order")
    runs = [exp.start_logging() for _ in range(3)]
    for r in runs:
        r.complete()
    listed = list(exp.get_runs())
    assert [r.id for r in listed] == [r.id for r in reversed(runs)]
    assert sorted(r.number for r in listed) == [r.number for r in runs]


def test_fail_and_cancel_record_why(ws):
    exp = Experiment(ws, "ends")
    failed = exp.start_logging()
    failed.fail(error_details=ValueError("bad data"))
    details = failed.get_details()
    assert details["status"] == "Failed"
    assert details["error"]["error"]["message"] == "bad data"
    canceled = exp.start_logging()
    canceled.cancel()
    assert canceled.get_status() == "Canceled"
    canceled.complete()  # a finished run keeps its status
    assert canceled.get_status() == "Canceled"


def test_context_manager_fails_the_run_on_error(ws):
    exp = Experiment(ws, "ctx")
    with pytest.raises(RuntimeError), exp.start_logging() as run:
        raise RuntimeError("boom")
    assert run.get_status() == "Failed"


def test_experiments_list_archive_and_reactivate(ws):
    a, b = Experiment(ws, "a"), Experiment(ws, "b")
    b.set_tags({"owner": "me"})
    a.archive()
    assert [e.name for e in Experiment.list(ws)] == ["b"]
    assert [e.name for e in Experiment.list(ws, view_type="ArchivedOnly")] == ["a"]
    a.reactivate(new_name="a2")
    assert sorted(ws.experiments) == ["a2", "b"]
    assert Experiment.list(ws, tags={"owner": "me"})[0].name == "b"


def test_runs_dataframe_has_params_metrics_and_tags(ws):
    exp = Experiment(ws, "df")
    for depth in (3, 5):
        run = exp.start_logging()
        run.log_params({"depth": depth})
        run.log("auc", depth / 10)
        run.tag("kind", "tree")
        run.complete()
    df = exp.get_runs_dataframe()
    assert len(df) == 2
    assert sorted(df["params.depth"]) == ["3", "5"]
    assert sorted(df["metrics.auc"]) == [0.3, 0.5]
    assert set(df["status"]) == {"Completed"}


def test_bad_input_gets_clear_errors_and_loses_nothing(ws):
    exp = Experiment(ws, "bad")
    run = exp.start_logging()
    run.log("ok", 1.0)
    with pytest.raises(ValidationError, match="log_list"):
        run.log("losses", [1, 2])
    with pytest.raises(ValidationError, match="metric name"):
        run.log("", 1.0)
    with pytest.raises(ValidationError, match="not a valid experiment name"):
        Experiment(ws, "no spaces allowed")
    with pytest.raises(RunNotFoundError, match="no run with id"):
        Run.get(ws, "nope")
    run.complete()
    assert run.get_metrics() == {"ok": 1.0}


def test_workspace_is_found_again(ws, tmp_path, monkeypatch):
    sub = ws.path / "notebooks" / "deep"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    again = Workspace.from_config()
    assert again == ws
    assert Workspace.get("test_ws") == ws
    assert Workspace(workspace_name="test_ws") == ws
    with pytest.raises(WorkspaceNotFoundError, match="Workspace.create"):
        Workspace.get("nope")
    with pytest.raises(ConflictError, match="exist_ok=True"):
        Workspace.create(name="test_ws", path=ws.path, show_output=False)
    assert Workspace.create(name="test_ws", path=ws.path, exist_ok=True, show_output=False) == ws


def test_defaults_every_workspace_has(ws):
    assert "local" in ws.compute_targets
    assert ws.get_default_datastore().name == "workspaceblobstore"
    assert ws.get_details()["name"] == "test_ws"
