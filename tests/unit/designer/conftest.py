from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jupyter_mlstudio.designer import PipelineDocument


@pytest.fixture
def people(tmp_path) -> pd.DataFrame:
    """A small table with a binary label, a numeric target, a category and missing values,
    saved as people.csv in the test's folder."""
    rng = np.random.default_rng(3)
    rows = 240
    df = pd.DataFrame(
        {
            "id": np.arange(rows) % 200,  # 40 duplicated ids
            "age": rng.integers(18, 80, rows).astype(float),
            "hours": rng.normal(40, 8, rows),
            "sector": rng.choice(["public", "private", "self"], rows),
        }
    )
    df["spend"] = df["age"] * 2 + df["hours"] + rng.normal(0, 3, rows)
    df["label"] = ((df["age"] / 40 + (df["hours"] - 40) / 8) > 1.2).astype(int)
    df.loc[::11, "hours"] = np.nan
    df.to_csv(tmp_path / "people.csv", index=False)
    return df


@pytest.fixture
def doc(tmp_path) -> PipelineDocument:
    d = PipelineDocument.new("test")
    d.path = tmp_path / "test.mlpipeline"
    return d
