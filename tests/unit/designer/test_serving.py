"""An inference document served in this process: request rows in through Web Service
Input, the graph run on them, Web Service Output's rows back (what a deployed endpoint's
score.py does)."""

from __future__ import annotations

import json

import pytest

from jupyter_mlstudio.designer.deploy import InferenceService
from jupyter_mlstudio.designer.executor import NotebookCellError


def _inference_doc(doc):
    source = doc.add_node(
        "builtin:enter_data_manually", node_id="src", parameters={"data": "a,b\n1,2\n"}
    )
    wsi = doc.add_node("builtin:web_service_input", node_id="in")
    sql = doc.add_node(
        "builtin:apply_sql_transformation",
        node_id="sql",
        parameters={"sql": "select a, b, a * b as product from t1"},
    )
    wso = doc.add_node("builtin:web_service_output", node_id="out")
    doc.connect(source, "results_dataset", wsi, "input_dataset")
    doc.connect(wsi, "output", sql, "t1")
    doc.connect(sql, "results_dataset", wso, "input_dataset")
    doc.save()
    return doc


def test_request_rows_flow_through_the_graph(doc):
    service = InferenceService(_inference_doc(doc).path)
    body = {"Inputs": {"WebServiceInput0": [{"a": 3, "b": 4}, {"a": 5, "b": 6}]}}
    answer = service.run(json.dumps(body))
    assert answer == {
        "Results": {
            "WebServiceOutput0": [
                {"a": 3, "b": 4, "product": 12},
                {"a": 5, "b": 6, "product": 30},
            ]
        }
    }
    # One input: {"data": rows} works too; the training source never runs when serving.
    assert (
        service.run({"data": [{"a": 2, "b": 2}]})["Results"]["WebServiceOutput0"][0]["product"] == 4
    )
    assert ("src", "results_dataset") not in service.graph._static


def test_bad_requests_are_value_errors_that_say_what_to_send(doc):
    service = InferenceService(_inference_doc(doc).path)
    with pytest.raises(ValueError, match="has no input 'Other'"):
        service.run({"Inputs": {"Other": [{"a": 1}]}})
    with pytest.raises(ValueError, match="list of objects"):
        service.run({"Inputs": {"WebServiceInput0": [1, 2]}})
    with pytest.raises(NotebookCellError, match="apply_sql_transformation.*no such column: b"):
        service.run({"Inputs": {"WebServiceInput0": [{"a": 1}]}})  # the endpoint answers 500
    with pytest.raises(ValueError, match="JSON object"):
        service.run("[1, 2]")


def test_a_document_without_web_service_ports_cannot_be_served(doc):
    doc.add_node("builtin:enter_data_manually")
    doc.save()
    with pytest.raises(Exception, match="needs a Web Service Input and a Web Service Output"):
        InferenceService(doc.path)


def test_component_prints_stay_out_of_the_servers_output(doc, capsys):
    service = InferenceService(_inference_doc(doc).path)
    service.run({"data": [{"a": 1, "b": 1}]})
    assert "rows" not in capsys.readouterr().out
