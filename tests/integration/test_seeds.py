"""Code from ../shared/seeds/, run with only ``azureml.`` changed to ``jupyter_mlstudio.``.

Two further edits are forced by the libraries, not by us: ``np.float`` is gone from NumPy
(1.24) and becomes ``float``, and scikit-learn (1.2) refuses a float ``max_depth``, so seed
003's ``--max-depth`` argument is parsed with ``type=int``.
"""

from __future__ import annotations

import os
import textwrap

import numpy as np
import pandas as pd


def test_seed_000_perform_training_experiment(local_ws, tmp_path, monkeypatch):
    import joblib
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    from jupyter_mlstudio.core import Experiment, Model, Workspace

    ws = local_ws

    # --- seed 000, "Modeling" ---
    def perform_training_experiment(
        ws: Workspace,
        *,
        X_train,
        X_test,
        y_train,
        y_test,
        reg: float,
        experiment_name: str,
        artifacts_path: str,
        model_name: str,
    ):
        experiment = Experiment(ws, name=experiment_name)
        run = experiment.start_logging()
        run.log("Regularization Rate", float(reg))
        model = LogisticRegression(C=1 / reg, solver="liblinear").fit(X_train, y_train)
        y_hat = model.predict(X_test)
        y_scores = model.predict_proba(X_test)
        acc = np.average(y_hat == y_test)
        auc = roc_auc_score(y_test, y_scores[:, 1])
        run.log("Accuracy", float(acc))
        run.log("AUC", float(auc))
        os.makedirs(artifacts_path, exist_ok=True)
        model_filename = f"{artifacts_path}/{model_name}.pkl"
        joblib.dump(value=model, filename=model_filename)
        run.complete()
        run.register_model(
            model_path=model_filename,
            model_name=model_name,
            tags={"Model Type": "Logistic Regresssion", "Other": "tags"},
        )

    # --- end of seed ---

    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    common = dict(
        X_train=X_train,
        X_test=X_test,
        y_train=y_train,
        y_test=y_test,
        experiment_name="breast_cancer",
        artifacts_path="outputs",
        model_name="cancer_model",
    )
    for reg in (0.01, 0.02, 0.03):
        perform_training_experiment(ws, reg=reg, **common)

    runs = list(Experiment(ws, "breast_cancer").get_runs())
    assert len(runs) == 3
    rates = sorted(r.get_metrics()["Regularization Rate"] for r in runs)
    assert rates == [0.01, 0.02, 0.03]
    assert all(0.9 < r.get_metrics()["AUC"] <= 1.0 for r in runs)
    assert all("outputs/cancer_model.pkl" in r.get_file_names() for r in runs)
    models = Model.list(ws, name="cancer_model")
    assert [m.version for m in models] == [3, 2, 1]
    assert models[0].tags == {"Model Type": "Logistic Regresssion", "Other": "tags"}
    loaded = joblib.load(Model.get_model_path("cancer_model", _workspace=ws))
    assert loaded.predict(X_test[:2]).shape == (2,)


SEED_003_TRAIN = """
import argparse
import os
import numpy as np
import pandas as pd
import glob
from jupyter_mlstudio.core import Run
# from utils import load_data
import joblib
from sklearn.tree import DecisionTreeRegressor
from sklearn.model_selection import cross_val_score
# let user feed in 2 parameters, the dataset to mount or download, and the regularization rate of the logistic regression model
parser = argparse.ArgumentParser()
parser.add_argument('--data-folder', type=str, dest='data_folder', help='data folder mounting point')
parser.add_argument('--max-depth', type=int, dest='max_depth', default=5, help='max depth')
args = parser.parse_args()
###
data_folder = os.path.join(args.data_folder, 'winedata')
print('Data folder:', data_folder)
wine_data = pd.read_csv(os.path.join(data_folder, 'winequality_red.csv'))

X = wine_data.drop(columns =["quality"])
y = wine_data["quality"]
clf = DecisionTreeRegressor(random_state=0,max_depth = args.max_depth)
rmse= np.mean(np.sqrt(-cross_val_score(clf, X, y, scoring="neg_mean_squared_error", cv = 5)))
print('RMSE is', rmse)
# Get the experiment run context
run = Run.get_context()
run.log('max depth', float(args.max_depth))
run.log('rmse', float(rmse))
os.makedirs('outputs', exist_ok=True)
clf.fit(X,y)
# note file saved in the outputs folder is automatically uploaded into experiment record
joblib.dump(value=clf, filename='outputs/wine_model.pkl')
run.complete()
"""


def _wine_data(folder: str) -> None:
    rng = np.random.default_rng(7)
    n = 300
    features = {
        name: rng.normal(size=n)
        for name in (
            "fixed acidity",
            "volatile acidity",
            "citric acid",
            "residual sugar",
            "chlorides",
            "free sulfur dioxide",
            "total sulfur dioxide",
            "density",
            "pH",
            "sulphates",
            "alcohol",
        )
    }
    quality = np.clip(
        np.round(
            5.6
            + features["alcohol"]
            - 0.5 * features["volatile acidity"]
            + rng.normal(scale=0.3, size=n)
        ),
        3,
        8,
    ).astype(int)
    os.makedirs(folder, exist_ok=True)
    pd.DataFrame({**features, "quality": quality}).to_csv(
        os.path.join(folder, "winequality_red.csv"), index=False
    )


def test_seed_003_train_on_a_cluster_and_register(tmp_path, capsys, monkeypatch):
    from jupyter_mlstudio.core.authentication import InteractiveLoginAuthentication

    monkeypatch.chdir(tmp_path)
    _wine_data("./winedata")

    # --- seed 003, "Create the Azure ML workspace" ---
    from jupyter_mlstudio.core import Workspace

    sid = "00000000-0000-0000-0000-000000000000"
    forced_interactive_auth = InteractiveLoginAuthentication(tenant_id="tenant")
    ws = Workspace.create(
        name="azureml_workspace",
        subscription_id=sid,
        resource_group="rgazureml",
        create_resource_group=True,
        location="centralus",
    )
    assert forced_interactive_auth.describe()["tenant_id"] == "tenant"

    # --- "Upload data into the Azure ML Workspace" ---
    ds = ws.get_default_datastore()
    ds.upload(src_dir="./winedata", target_path="winedata", overwrite=True, show_progress=True)
    print("Done")

    # --- "Create the code folder" ---
    folder_training_script = "./winecode"
    os.makedirs(folder_training_script, exist_ok=True)
    with open(f"{folder_training_script}/train.py", "w") as fh:
        fh.write(textwrap.dedent(SEED_003_TRAIN))

    # --- "Create the Compute Cluster" ---
    from jupyter_mlstudio.core.compute import AmlCompute, ComputeTarget

    compute_name = os.environ.get("AML_COMPUTE_CLUSTER_NAME", "cpucluster")
    min_nodes = os.environ.get("AML_COMPUTE_CLUSTER_MIN_NODES", 0)
    max_nodes = os.environ.get("AML_COMPUTE_CLUSTER_MAX_NODES", 1)
    vm_size = os.environ.get("AML_COMPUTE_CLUSTER_SKU", "STANDARD_D2_V2")
    provisioning_config = AmlCompute.provisioning_configuration(
        vm_size=vm_size, min_nodes=min_nodes, max_nodes=max_nodes
    )
    compute_target = ComputeTarget.create(ws, compute_name, provisioning_config)
    print("Compute target created")

    # --- "Create the Compute Environment" ---
    from jupyter_mlstudio.core import Environment
    from jupyter_mlstudio.core.conda_dependencies import CondaDependencies

    wine_env = Environment("wine-experiment-env")
    wine_env.python.user_managed_dependencies = False
    wine_env.docker.enabled = False
    wine_packages = CondaDependencies.create(conda_packages=["scikit-learn"])
    wine_env.python.conda_dependencies = wine_packages
    print(wine_env.name, "defined.")
    wine_env.register(workspace=ws)

    # --- "Create the Estimator" ---
    from jupyter_mlstudio.train.estimator import Estimator

    script_params = {"--data-folder": ds.as_mount(), "--max-depth": 10}
    registered_env = Environment.get(ws, "wine-experiment-env")
    estimator = Estimator(
        source_directory=folder_training_script,
        script_params=script_params,
        compute_target=compute_target,
        environment_definition=registered_env,
        entry_script="train.py",
    )

    # --- "Create the Experiment and Run" ---
    from jupyter_mlstudio.core import Experiment

    experiment = Experiment(workspace=ws, name="wine_expt")
    print("Experiment created")
    run = experiment.submit(config=estimator)
    run.wait_for_completion(show_output=True)
    print(run.get_metrics())

    # --- "Register the Model" ---
    model = run.register_model(
        model_name="wine_model",
        model_path="outputs/wine_model.pkl",
        tags={"area": "wine", "type": "sklearn"},
        description="quality wine",
    )
    print(model.name, model.id, model.version, sep="\t")

    out = capsys.readouterr().out
    assert "RMSE is" in out
    assert "wine_model\twine_model:1\t1" in out
    metrics = run.get_metrics()
    assert metrics["max depth"] == 10.0 and 0 < metrics["rmse"] < 2
    assert run.get_details()["target"] == "cpucluster"
    assert ws.models["wine_model"].description == "quality wine"
    assert Environment.get(ws, "wine-experiment-env").version == "1"
    assert ws.get_details()["subscription_id"] == sid
