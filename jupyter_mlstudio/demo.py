"""The demo workspace ``make lab`` opens: a registered dataset, a finished training run
that used it, and the model that run registered.

The data is generated with a fixed seed (no download), uploaded to the default datastore,
registered, and trained on by a submitted script job, so the demo shows the whole path:
dataset profile and lineage, snapshot, logs, metrics, outputs, model registry.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

from jupyter_mlstudio.core import Dataset, Experiment, Model, ScriptRunConfig, Workspace
from jupyter_mlstudio.errors import ModelNotFoundError

_TRAIN = """
import argparse, os
import joblib
import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeRegressor
from jupyter_mlstudio.core import Run

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)
parser.add_argument("--max-depth", type=int, default=5)
args = parser.parse_args()
run = Run.get_context()
data = run.input_datasets["wine"].to_pandas_dataframe()
print(f"training on {len(data)} rows of dataset {args.data}")
X, y = data.drop(columns=["quality"]), data["quality"]
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
for depth in range(1, args.max_depth + 1):
    model = DecisionTreeRegressor(max_depth=depth, random_state=0).fit(X_train, y_train)
    rmse = float(np.sqrt(np.mean((model.predict(X_test) - y_test) ** 2)))
    run.log("rmse", rmse, step=depth)
    print(f"depth {depth}: rmse {rmse:.3f}")
run.log("max_depth", args.max_depth)
os.makedirs("outputs", exist_ok=True)
joblib.dump(model, "outputs/wine_model.pkl")
"""


def _wine_csv(path: Path, rows: int = 500) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(42)
    alcohol = rng.normal(10.4, 1.0, rows)
    acidity = rng.normal(0.5, 0.18, rows)
    sulphates = rng.normal(0.65, 0.17, rows)
    quality = np.clip(
        np.round(
            5.6
            + 0.5 * (alcohol - 10.4)
            - 1.2 * (acidity - 0.5)
            + 0.8 * (sulphates - 0.65)
            + rng.normal(0, 0.4, rows)
        ),
        3,
        8,
    )
    pd.DataFrame(
        {
            "alcohol": alcohol.round(2),
            "volatile acidity": acidity.round(3),
            "sulphates": sulphates.round(2),
            "quality": quality.astype(int),
        }
    ).to_csv(path, index=False)


def create_demo_workspace(path: str | os.PathLike[str] = "demo-workspace") -> Workspace:
    """Create (or reuse) the demo workspace in ``path``; idempotent."""
    folder = Path(path).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    ws = Workspace.create(name="demo", path=folder, exist_ok=True, show_output=False)
    try:
        Model(ws, "wine_model")
        return ws
    except ModelNotFoundError:
        pass
    data = folder / "data" / "winequality_red.csv"
    data.parent.mkdir(exist_ok=True)
    _wine_csv(data)
    datastore = ws.get_default_datastore()
    datastore.upload(str(data.parent), target_path="winedata", overwrite=True, show_progress=False)
    wine = Dataset.Tabular.from_delimited_files((datastore, "winedata/*.csv")).register(
        ws, "wine", description="Red wine quality (synthetic, fixed seed)", tags={"source": "demo"}
    )
    code = folder / "code"
    code.mkdir(exist_ok=True)
    (code / "train.py").write_text(textwrap.dedent(_TRAIN).lstrip())
    run = Experiment(ws, "wine").submit(
        ScriptRunConfig(
            source_directory=str(code),
            script="train.py",
            arguments=["--data", wine.as_named_input("wine"), "--max-depth", 6],
        )
    )
    run.wait_for_completion(show_output=False)
    run.register_model(
        "wine_model",
        "outputs/wine_model.pkl",
        tags={"area": "wine", "type": "sklearn"},
        description="Decision tree for red wine quality (demo)",
        datasets=[wine],
    )
    return ws
