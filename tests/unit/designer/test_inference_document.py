"""The inference rewrite of a training document (pure: no run, nothing registered)."""

from __future__ import annotations

from collections import Counter

from jupyter_mlstudio.designer.inference import inference_document
from tests.unit.designer.test_compile import twenty_nodes


def test_the_twenty_node_pipeline_becomes_an_inference_graph(doc):
    twenty_nodes(doc)
    out, artifacts = inference_document(doc)
    refs = Counter(n["component"]["ref"].removeprefix("builtin:") for n in out.nodes)
    assert refs == {
        "import_data": 1,
        "enter_data_manually": 1,
        "web_service_input": 2,
        "join_data": 1,
        "apply_transformation": 2,
        "saved_transformation": 2,
        "remove_duplicate_rows": 1,
        "trained_model": 3,
        "score_model": 3,
        "web_service_output": 3,
    }
    # What must come from the run: three models and the two fitted transformations.
    assert sorted((a.source, a.port) for a in artifacts) == [
        ("n12", "trained_model"),
        ("n15", "trained_model"),
        ("n4", "cleaning_transformation"),
        ("n5", "transformation"),
        ("n9", "trained_model"),
    ]
    assert {a.step for a in artifacts} >= {"Clean Missing Data", "Train Model [n9]"}
    names = sorted(
        out.node(n["id"])["parameters"]["name"]
        for n in out.nodes
        if "web_service" in n["component"]["ref"]
    )
    assert names == [
        "WebServiceInput0",
        "WebServiceInput1",
        "WebServiceOutput0",
        "WebServiceOutput1",
        "WebServiceOutput2",
    ]
    # Split Data is gone: de-duplicated rows go straight to every Score Model.
    feeds = {(e["target"]["node"], e["target"]["port"]): e["source"] for e in out.edges}
    for score in ("n10", "n13", "n16"):
        assert feeds[(score, "input_dataset")] == {"node": "n6", "port": "results_dataset"}
    # Clean Missing Data now applies the saved cleaning to the joined rows.
    assert feeds[("n4", "transformation")] == {"node": "n4_saved", "port": "transformation"}
    assert feeds[("n4", "input_dataset")] == {"node": "n3", "port": "results_dataset"}
    # Request rows enter after each source.
    assert feeds[("n3", "left")]["node"].startswith("n1_input")
    # Filled with the registered model, the document is valid.
    for a in artifacts:
        out.node(a.node)["parameters"].update(model_name="m", model_version=1)
    assert out.validate() == []


def test_the_training_document_is_left_unchanged(doc):
    twenty_nodes(doc)
    before = doc.to_json()
    inference_document(doc)
    assert doc.to_json() == before
