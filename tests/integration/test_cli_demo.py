from __future__ import annotations

import json

from jupyter_mlstudio.cli import main


def test_demo_workspace_has_a_dataset_a_finished_run_and_a_model(tmp_path, capsys):
    from jupyter_mlstudio.core import Dataset, Experiment, Model, Workspace

    assert main(["demo", str(tmp_path / "demo")]) == 0
    ws = Workspace.from_config(tmp_path / "demo")
    runs = list(Experiment(ws, "wine").get_runs())
    assert [r.get_status() for r in runs] == ["Completed"]
    assert len(runs[0].get_metrics()["rmse"]) == 6
    model = Model(ws, "wine_model")
    assert model.run_id == runs[0].id
    wine = Dataset.get_by_name(ws, "wine")
    assert wine.profile["rows"] == 500
    assert [u.run_id for u in wine.get_runs()] == [runs[0].id]
    assert model.datasets == [{"name": "wine"}]
    assert main(["demo", str(tmp_path / "demo")]) == 0  # a second time reuses it
    assert [m.version for m in Model.list(ws, "wine_model")] == [1]


def test_workspace_commands_and_their_errors(tmp_path, capsys):
    assert main(["workspace", "create", "--name", "cli_ws", "--path", str(tmp_path)]) == 0
    assert main(["workspace", "show", "--path", str(tmp_path)]) == 0
    shown = capsys.readouterr().out
    assert json.loads(shown[shown.index("{") :])["name"] == "cli_ws"
    assert main(["workspace", "create", "--name", "bad name", "--path", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "not a valid workspace name" in err and "hint:" in err
