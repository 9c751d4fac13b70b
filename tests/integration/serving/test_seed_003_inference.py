"""Seed 003's "Inferencing from the model" half (../shared/seeds/003_*.txt), run with only
``azureml.`` changed to ``jupyter_mlstudio.`` and no cloud.

The model is trained and registered as the seed's first half does (``run.register_model``
with the seed's name, path, tags and description); the training itself runs in this process
rather than as a submitted job, which ``tests/integration/test_seeds.py`` covers. Cells that
are ``%%writefile`` in the notebook are written with ``open``. The endpoint is deleted at the
end, which the seed does not do.
"""

from __future__ import annotations

import os

import joblib
import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeRegressor

SCORE_PY = """import json
import joblib
import numpy as np
from jupyter_mlstudio.core.model import Model

# Called when the service is loaded
def init():
    global model
    # Get the path to the registered model file and load it
    model_path = Model.get_model_path('wine_model')
    model = joblib.load(model_path)

# Called when a request is received
def run(raw_data):
    # Get the input data as a numpy array
    data = np.array(json.loads(raw_data)['data'])
    # Get a prediction from the model
    predictions = model.predict(data)
    # Return the predictions as any JSON serializable format
    return predictions.tolist()
"""

_COLUMNS = [
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
]


def test_seed_003_inference_on_an_aks_cluster(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    from jupyter_mlstudio.core import Experiment, Workspace

    ws = Workspace.create(
        name="azureml_workspace",
        subscription_id="sid",
        resource_group="rgazureml",
        create_resource_group=True,
        location="centralus",
    )
    folder_training_script = "./winecode"
    os.makedirs(folder_training_script, exist_ok=True)
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(200, 11)) + 5, columns=_COLUMNS)
    y = np.round(5 + X["alcohol"] - 5)
    run = Experiment(ws, "wine_expt").start_logging()
    os.makedirs("outputs", exist_ok=True)
    clf = DecisionTreeRegressor(random_state=0, max_depth=10).fit(X.values, y)
    joblib.dump(value=clf, filename="outputs/wine_model.pkl")
    run.complete()
    model = run.register_model(
        model_name="wine_model",
        model_path="outputs/wine_model.pkl",
        tags={"area": "wine", "type": "sklearn"},
        description="quality wine",
    )

    # fmt: off
    # --- seed 003, "Create the Inference Script" (%%writefile $folder_training_script/score.py)
    with open(f"{folder_training_script}/score.py", "w") as f:
        f.write(SCORE_PY)

    # --- "Create the Inference Dependencies" ---
    from jupyter_mlstudio.core.conda_dependencies import CondaDependencies

    # Add the dependencies for your model
    myenv = CondaDependencies()
    myenv.add_conda_package("scikit-learn")

    # Save the environment config as a .yml file
    env_file = './winecode/env.yml'
    with open(env_file,"w") as f:
        f.write(myenv.serialize_to_string())
    print("Saved dependency info in", env_file)

    # --- "Create the Inference Config" ---
    from jupyter_mlstudio.core.model import InferenceConfig

    classifier_inference_config = InferenceConfig(runtime= "python",
                                                  source_directory = './winecode',
                                                  entry_script="score.py",
                                                  conda_file="env.yml")

    # --- "Create the Inference Clusters" ---
    from jupyter_mlstudio.core.compute import AksCompute, ComputeTarget

    cluster_name = 'aks-cluster'
    compute_config = AksCompute.provisioning_configuration(cluster_purpose = AksCompute.ClusterPurpose.DEV_TEST)
    production_cluster = ComputeTarget.create(ws, cluster_name, compute_config)
    production_cluster.wait_for_completion(show_output=True)

    # --- "Deploy the Model in the Inference Cluster" ---
    from jupyter_mlstudio.core.webservice import AksWebservice

    classifier_deploy_config = AksWebservice.deploy_configuration(cpu_cores = 1,
                                                                  memory_gb = 1)
    from jupyter_mlstudio.core.model import Model

    model = ws.models['wine_model']
    service = Model.deploy(workspace=ws,
                           name = 'wine-service',
                           models = [model],
                           inference_config = classifier_inference_config,
                           deployment_config = classifier_deploy_config,
                           deployment_target = production_cluster)
    try:
        service.wait_for_deployment(show_output = True)

        endpoint = service.scoring_uri
        print(endpoint)

        # --- "Get the predictions" ---
        primary_key, secondary_key = service.get_keys()

        import json

        import requests

        # An array of new data cases
        x_new = [[7.3,0.65,0,1.2,0.065,15,21,0.9946,3.39,0.47,10]]

        # Convert the array to a serializable list in a JSON document
        json_data = json.dumps({"data": x_new})

        # Set the content type in the request headers
        request_headers = { "Content-Type":"application/json",
                            "Authorization":"Bearer " + primary_key }

        # Call the service
        response = requests.post(url = endpoint,
                                 data = json_data,
                                 headers = request_headers)

        print(response)
        print(response.json)
        # --- end of seed ---
        # fmt: on

        assert response.status_code == 200
        assert response.json() == clf.predict(np.array(x_new)).tolist()
        out = capsys.readouterr().out
        assert "Saved dependency info in ./winecode/env.yml" in out
        assert "AKS service 'wine-service' state: Healthy" in out
        assert "Deploying 'wine-service' locally: the AKS (target 'aks-cluster')" in out
        assert endpoint in out and "<Response [200]>" in out
        assert service.compute_type == "AKS" and service.state == "Healthy"
        assert ws.webservices["wine-service"].scoring_uri == endpoint
        assert [m.id for m in service.models] == ["wine_model:1"]
        wrong = requests.post(endpoint, data=json_data,
                              headers={"Authorization": "Bearer " + "x" + secondary_key})
        assert wrong.status_code == 401
    finally:
        service.delete()
