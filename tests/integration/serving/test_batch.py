"""Batch scoring of registered datasets, resumable after a failure."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.integration.serving.conftest import write_script


def test_a_tabular_dataset_is_scored_in_mini_batches_and_resumes_after_a_failure(trained, tmp_path):
    from jupyter_mlstudio.core import Dataset
    from jupyter_mlstudio.core.model import InferenceConfig
    from jupyter_mlstudio.core.webservice.batch import BatchScoringError

    ws = trained.ws
    frame = pd.DataFrame(trained.X[:250], columns=[f"f{i}" for i in range(30)])
    source = Dataset.Tabular.register_pandas_dataframe(
        frame, ws.get_default_datastore(), "cancer-rows", show_progress=False
    )
    calls = tmp_path / "calls.log"
    flag = tmp_path / "fail-once"
    flag.write_text("x")
    folder = write_script(
        tmp_path / "batchsrc",
        f"""
        import json, os
        import joblib
        import numpy as np
        from jupyter_mlstudio.core.model import Model

        def init():
            global model
            model = joblib.load(Model.get_model_path("cancer"))

        def run(raw_data):
            with open({str(calls)!r}, "a") as fh:
                fh.write("call\\n")
            done = len(open({str(calls)!r}).read().splitlines())
            if done == 3 and os.path.exists({str(flag)!r}):
                raise RuntimeError("disk full")
            return model.predict(np.array(json.loads(raw_data)["data"])).tolist()
        """,
    )
    config = InferenceConfig(entry_script="score.py", source_directory=str(folder))
    with pytest.raises(
        BatchScoringError, match="after 2 of 5 mini-batches: RuntimeError: disk full"
    ) as info:
        trained.model.batch_score(
            source, inference_config=config, mini_batch_size=50, show_progress=False
        )
    assert (info.value.done, info.value.total) == (2, 5)
    flag.unlink()
    scored = trained.model.batch_score(
        source, inference_config=config, mini_batch_size=50, output_name="cancer-scored"
    )
    assert len(calls.read_text().splitlines()) == 6  # 3 before, 3 after: nothing redone
    assert (scored.name, scored.version) == ("cancer-scored", 1)
    out = scored.to_pandas_dataframe()
    assert len(out) == 250
    assert out["prediction"].tolist() == trained.expected(trained.X[:250])
    assert out["f0"].tolist() == frame["f0"].tolist()
    assert scored.tags["models"] == "cancer:1"
    events = [e.action for e in trained.model.get_audit_trail()]
    assert "batch_score" in events
    assert not list((ws.path / ".mlstudio" / "batch").iterdir())  # finished jobs are cleaned


def test_a_file_dataset_is_scored_with_the_mini_batch_contract(trained, tmp_path):
    from jupyter_mlstudio.core import Dataset
    from jupyter_mlstudio.core.model import InferenceConfig

    ws = trained.ws
    texts = tmp_path / "texts"
    texts.mkdir()
    for i, text in enumerate(["a", "bb", "ccc", "dddd", "eeeee"]):
        (texts / f"t{i}.txt").write_text(text)
    ds = ws.get_default_datastore()
    ds.upload(src_dir=str(texts), target_path="texts", overwrite=True, show_progress=False)
    files = Dataset.File.from_files((ds, "texts/*.txt"))
    folder = write_script(
        tmp_path / "filesrc",
        """
        def init():
            pass

        def run(mini_batch):
            return [len(open(path).read()) for path in mini_batch]
        """,
    )
    scored = trained.model.batch_score(
        files,
        inference_config=InferenceConfig(entry_script="score.py", source_directory=str(folder)),
        output_name="text-lengths",
        mini_batch_size=2,
        contract="mini_batch",
        show_progress=False,
    )
    out = scored.to_pandas_dataframe()
    assert sorted(out["prediction"].tolist()) == [1, 2, 3, 4, 5]
    assert all(name.endswith(".txt") for name in out["file"])
