"""The deployment halves of seeds 000 and 004 (../shared/seeds/), with ``azureml.`` changed to
``jupyter_mlstudio.``.

Other changes, each forced: placeholders (``<your model pkl file>``, ``<service_name>``...)
get values; seed 000's fixed ``port=6789`` becomes a free port (tests run side by side on
one machine); seed 004's score.py imports ``joblib`` itself (``sklearn.externals.joblib`` is
gone from scikit-learn) and the ``json``/``numpy`` it uses, and its undefined ``aciconfig`` is
an ``AciWebservice.deploy_configuration``.
"""

from __future__ import annotations

import os
import textwrap

import joblib
import psutil


def _register(trained, tmp_path, name):
    from jupyter_mlstudio.core import Model

    joblib.dump(trained.estimator, tmp_path / f"{name}.pkl")
    return Model.register(trained.ws, tmp_path / f"{name}.pkl", name)


def test_seed_000_deploy_with_an_environment_locally(trained, tmp_path, monkeypatch, capsys):
    from jupyter_mlstudio.serving.process import free_port

    monkeypatch.chdir(tmp_path)
    ws = trained.ws
    _register(trained, tmp_path, "my-model-name")
    score_py_folder = "score_code"
    os.makedirs(score_py_folder)
    with open(f"{score_py_folder}/score.py", "w") as fh:
        fh.write(
            textwrap.dedent(
                """
                # score.py
                import os
                import joblib

                def init():
                    global model
                    model_dir = os.getenv('AZUREML_MODEL_DIR') # Azure ML copies your registered model automatically to this folder
                    model_path = os.path.join(model_dir, 'my-model-name.pkl')
                    model = joblib.load(model_path) # make sure the related libraries are imported before (e.g., pandas, numpy, sklearn.linear_model.LogisticRegression)

                import json
                def run(payload):
                    data = json.loads(payload)
                    X = transform(data) # You decide the form of the payload and how to convert it to acceptable form for your model
                    y_pred = model.predict(X)
                    return y_pred # Return the results. You can customize formatting (e.g., to a comparable format to input) for ease-of-use.

                def transform(data):
                    return data
                """
            )
        )
    env_name, yml_file_path = "my-env", "env.yml"
    with open(yml_file_path, "w") as fh:
        fh.write("name: my-env\ndependencies:\n  - python=3.11\n  - scikit-learn\n")
    service_name = "my-service"
    port = free_port()

    # fmt: off
    from jupyter_mlstudio.core import Environment

    # example 1 env from conda yml file
    env = Environment.from_conda_specification(env_name, yml_file_path)
    env.python.user_managed_dependencies = False
    # to pass environment variables to your score.py file (in addition to the ones Azure ML passes automatically)
    env.environment_variables = {
        "AZURE_CLIENT_ID": "PROVIDE YOUR  SERVICE PRINCIPLE CLIENT ID HERE",
        "AZURE_TENANT_ID": "PROVIDE YOUR SERVICE PRINCIPLE TENANT ID HERE",
        "AZURE_CLIENT_SECRET": "PROVIDE YOUR SERVICE PRINCIPLE CLIENT SECRET HERE",
    }
    from jupyter_mlstudio.core.model import InferenceConfig
    inference_config = InferenceConfig(source_directory=score_py_folder, entry_script='score.py', environment=env)

    # if deploying locally (only for test and debug)
    from jupyter_mlstudio.core.webservice import LocalWebservice
    deployment_config = LocalWebservice.deploy_configuration(port=port)

    from jupyter_mlstudio.core import Model

    my_model = Model(ws, name='my-model-name')

    my_service = Model.deploy(workspace=ws,
                    name=service_name,
                    models=[my_model], # must be a list, you can pass multiple models
                    inference_config=inference_config,
                    deployment_config=deployment_config,
                    # deployment_target=aks_target, # if deploying to an AKS cluster
                )
    my_service.wait_for_deployment(show_output=True)

    # To find the my_service object later:
    my_service = ws.webservices[service_name]
    # fmt: on
    try:
        assert my_service.scoring_uri == f"http://127.0.0.1:{port}/score"
        rows = trained.X[:3].tolist()
        assert my_service.run(rows) == trained.expected(rows)
        assert "Local service 'my-service' state: Healthy" in capsys.readouterr().out
        record = ws._store.endpoints.get_endpoint(service_name)
        worker = psutil.Process(record.pid).children()[0]
        assert (
            worker.environ()["AZURE_TENANT_ID"] == "PROVIDE YOUR SERVICE PRINCIPLE TENANT ID HERE"
        )
    finally:
        my_service.delete()


def test_seed_004_deploy_to_aci_and_consume(trained, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ws = trained.ws
    model = _register(trained, tmp_path, "pkl_file_name")
    with open("score.py", "w") as fh:
        fh.write(
            textwrap.dedent(
                """
                # score.py
                import json
                import numpy
                import joblib
                from sklearn.linear_model import LogisticRegression
                from jupyter_mlstudio.core.model import Model
                def init():
                  global model
                  model_path = Model.get_model_path ('pkl_file_name')
                  model = joblib.load(model_path)
                def run(raw_data):
                  data = json.loads(raw_data)['data']
                  data = numpy.array(data)
                  result = model.predict(data)
                  return result.tolist()
                """
            )
        )
    from jupyter_mlstudio.core.conda_dependencies import CondaDependencies

    env1 = CondaDependencies.create(conda_packages=["scikit-learn"])
    with open("env.yml", "w") as f:
        f.write(env1.serialize_to_string())
    from jupyter_mlstudio.core.webservice import AciWebservice

    aciconfig = AciWebservice.deploy_configuration(cpu_cores=1, memory_gb=1)
    i1 = trained.X[0].tolist()

    # fmt: off
    from jupyter_mlstudio.core.model import InferenceConfig
    inference_config = InferenceConfig(runtime= "python", entry_script="score.py",
    conda_file="env.yml")

    service = model.deploy( workspace=ws, name='service-name', deployment_config=aciconfig, models=[model],
    inference_config = inference_config )
    # fmt: on
    try:
        service.wait_for_deployment()
        import json

        test_input = json.dumps({"data": [i1]})
        prediction = service.run(input_data=test_input)
        print(prediction)
        assert prediction == trained.expected([i1])
    finally:
        service.delete()
