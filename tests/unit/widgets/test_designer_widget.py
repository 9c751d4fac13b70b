"""The notebook designer (``Designer``) over real ``.mlpipeline`` files and the built-in
components: mouse gestures through the same handlers the canvas calls, the Python API, the
parameter forms, validation marks, save, and a real submitted run followed live (the poller
is ticked by the test, so nothing depends on timing)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from jupyter_mlstudio.designer import PipelineDocument
from jupyter_mlstudio.errors import MlStudioError, ValidationError
from jupyter_mlstudio.widgets import Designer
from jupyter_mlstudio.widgets._designer_model import NODE_H, NODE_W
from jupyter_mlstudio.widgets._poller import Poller

DATA = "x,y\n1,0\n1,0\n2,1\n"


@pytest.fixture
def two_nodes(tmp_path: Path) -> Path:
    """Enter Data Manually -> Remove Duplicate Rows, plus an unconnected Train Model."""
    doc = PipelineDocument.new("demo")
    a = doc.add_node("builtin:enter_data_manually", parameters={"data": DATA}, position=(0, 0))
    b = doc.add_node("builtin:remove_duplicate_rows", position=(0, 150))
    doc.connect(a, "results_dataset", b, "input_dataset")
    return doc.save(tmp_path / "demo.mlpipeline")


def _drag(d: Designer, start: tuple[float, float], end: tuple[float, float]) -> None:
    """What the canvas sends for a drag: a press, moves on the way, a release."""
    d.handle_mouse_down(*start)
    for i in range(1, 5):
        t = i / 4
        d.handle_mouse_move(start[0] + (end[0] - start[0]) * t, start[1] + (end[1] - start[1]) * t)
    d.handle_mouse_up(*end)


def _port(d: Designer, node: str, port: str, kind: str) -> tuple[float, float]:
    return d.model.port_xy(d.model.port(node, port, kind))


def _panel_field(d: Designer, cls: str):
    """The widget with CSS class ``cls`` in the side panel."""
    todo = list(d.panel.children)
    while todo:
        item = todo.pop()
        if cls in item._dom_classes:
            return item
        todo.extend(getattr(item, "children", ()))
    raise AssertionError(f"no {cls} in the panel")


def test_opens_a_document_and_summarises_it_where_widgets_cannot_render(two_nodes):
    d = Designer(two_nodes)
    assert [n["id"] for n in d.document.nodes] == ["n1", "n2"]
    assert d.problems == []
    text = d.summary_text()
    assert "Enter Data Manually [Data Input and Output]" in text
    assert "in  input_dataset: DataFrame" in text
    assert "n1.results_dataset -> n2.input_dataset" in text
    bundle = d._repr_mimebundle_()
    assert bundle["text/plain"] == text
    assert "application/vnd.jupyter.widget-view+json" in bundle
    # The HTML fallback is a picture of the graph: one group per node, one path per edge.
    html = bundle["text/html"]
    assert html.count('class="mls-designer-svg-node"') == 2
    assert html.count("<path ") == 1
    # The canvas holds every node, whatever the document positions (negative ones too).
    assert d.canvas.width >= NODE_W and d.canvas.height >= 150 + NODE_H


def test_mouse_drag_moves_a_node_and_save_writes_its_position(two_nodes):
    d = Designer(two_nodes)
    x, y = d.model.node_xy("n2")
    _drag(d, (x + 60, y + 30), (x + 300, y + 90))
    assert d.document.node("n2")["position"] == {"x": 240.0, "y": 210.0}
    assert d.selected == "n2"
    assert d.model.dirty and "&#9679;" in d.title.value  # unsaved
    # The canvas grew to hold the node where it was dropped.
    assert d.canvas.width >= d.model.node_xy("n2")[0] + NODE_W
    d.save()
    saved = json.loads(two_nodes.read_text())
    assert saved["nodes"][1]["position"] == {"x": 240.0, "y": 210.0}
    assert not d.model.dirty and "&#9679;" not in d.title.value
    # Dragged past the canvas' top-left edge, a node stops there.
    x, y = d.model.node_xy("n1")
    _drag(d, (x + 10, y + 10), (-200, -200))
    assert d.model.node_xy("n1") == (0.0, 0.0)


def test_a_click_selects_without_moving_and_an_empty_click_clears(two_nodes):
    d = Designer(two_nodes)
    x, y = d.model.node_xy("n1")
    before = dict(d.document.node("n1")["position"])
    d.handle_mouse_down(x + 20, y + 20)
    d.handle_mouse_move(x + 21, y + 21)  # a tremble, not a drag
    d.handle_mouse_up(x + 21, y + 21)
    assert d.selected == "n1" and d.document.node("n1")["position"] == before
    assert not d.model.dirty
    # The panel shows the node's parameters as fields.
    assert _panel_field(d, "mls-designer-param-data").value == DATA
    # A click on the edge's curve selects the edge; on empty canvas, nothing.
    (sx, sy), (tx, ty) = (
        _port(d, "n1", "results_dataset", "output"),
        _port(d, "n2", "input_dataset", "input"),
    )
    mid = ((sx + tx) / 2, (sy + ty) / 2)
    d.handle_mouse_down(*mid)
    d.handle_mouse_up(*mid)
    assert d.selected == "e1"
    d.handle_mouse_down(d.canvas.width - 5, 5)
    d.handle_mouse_up(d.canvas.width - 5, 5)
    assert d.selected is None


def test_mouse_drag_from_an_output_to_an_input_port_makes_an_edge(two_nodes):
    d = Designer(two_nodes)
    n3 = d.add_node("builtin:select_columns", position=(260, 150))
    assert any(p.code == "required_input" and p.node == n3 for p in d.problems)
    assert "1 problem(s)" in d.title.value
    _drag(d, _port(d, "n1", "results_dataset", "output"), _port(d, n3, "input_dataset", "input"))
    assert d.document.edges[-1] == {
        "id": "e2",
        "source": {"node": "n1", "port": "results_dataset"},
        "target": {"node": n3, "port": "input_dataset"},
    }
    assert d.problems == [] and "valid" in d.title.value
    # Dropped on empty canvas, the drag makes nothing.
    _drag(d, _port(d, n3, "selected_dataset", "output"), (d.canvas.width - 5, 5))
    assert len(d.document.edges) == 2


def test_an_incompatible_port_is_refused_with_a_message(two_nodes):
    d = Designer(two_nodes)
    train = d.add_node("builtin:train_model", position=(260, 150))
    start = _port(d, "n1", "results_dataset", "output")
    _drag(d, start, _port(d, train, "untrained_model", "input"))
    assert len(d.document.edges) == 1
    assert "takes UntrainedModel" in d.message.value and "gives DataFrame" in d.message.value
    assert "mls-designer-error" in d.message.value
    # The taken input of n2 refuses a second edge; a node cannot feed itself.
    _drag(d, start, _port(d, "n2", "input_dataset", "input"))
    assert "already connected" in d.message.value
    _drag(d, _port(d, "n2", "results_dataset", "output"), _port(d, "n2", "input_dataset", "input"))
    assert "cannot feed itself" in d.message.value
    assert len(d.document.edges) == 1


def test_connect_api_refuses_what_the_mouse_is_refused(two_nodes):
    d = Designer(two_nodes)
    sel = d.add_node("builtin:select_columns")
    train = d.add_node("builtin:train_model")
    with pytest.raises(ValidationError, match="takes UntrainedModel"):
        d.connect("n1", "results_dataset", train, "untrained_model")
    with pytest.raises(ValidationError, match="has no output port 'nope'") as err:
        d.connect("n1", "nope", sel, "input_dataset")
    assert "results_dataset" in (err.value.hint or "")
    d.connect("n2", "results_dataset", sel, "input_dataset")
    # p -> q -> r; r feeding a free input of p would close a cycle.
    p, q, r = (d.add_node("builtin:apply_sql_transformation") for _ in range(3))
    d.connect(p, "results_dataset", q, "t1")
    d.connect(q, "results_dataset", r, "t1")
    with pytest.raises(ValidationError, match="cycle"):
        d.connect(r, "results_dataset", p, "t2")
    assert len(d.document.edges) == 4


def test_parameters_are_checked_and_the_form_edits_the_document(two_nodes):
    d = Designer(two_nodes)
    sel = d.add_node("builtin:select_columns")
    d.set_parameter(sel, "mode", "exclude")
    assert d.document.node(sel)["parameters"]["mode"] == "exclude"
    with pytest.raises(ValidationError, match="not one of its choices"):
        d.set_parameter(sel, "mode", "bogus")
    with pytest.raises(ValidationError, match="has no parameter 'colour'"):
        d.set_parameter(sel, "colour", "red")
    assert d.document.node(sel)["parameters"] == {"mode": "exclude"}
    # The side panel's fields come from the schema: a dropdown of the choices, a checkbox.
    d.select("n2")
    keep = _panel_field(d, "mls-designer-param-keep_first")
    assert type(keep).__name__ == "Checkbox" and keep.value is True
    keep.value = False
    assert d.document.node("n2")["parameters"]["keep_first"] is False
    d.select(sel)
    mode = _panel_field(d, "mls-designer-param-mode")
    assert list(mode.options) == ["include", "exclude"] and mode.value == "exclude"
    mode.value = "include"
    assert d.document.node(sel)["parameters"]["mode"] == "include"
    # A value the schema refuses is shown under its field and not stored.
    split = d.add_node("builtin:split_data")
    seed = _panel_field(d, "mls-designer-param-seed")
    assert type(seed).__name__ == "IntText"
    fraction = _panel_field(d, "mls-designer-param-fraction")
    fraction.value = 0.25
    assert d.document.node(split)["parameters"]["fraction"] == 0.25
    column = _panel_field(d, "mls-designer-param-stratify_column")
    column.value = "y"
    assert d.document.node(split)["parameters"]["stratify_column"] == "y"
    with pytest.raises(ValidationError):
        d.set_parameter(split, "seed", "seven")
    assert "seed" not in d.document.node(split)["parameters"]


def test_validation_marks_nodes_and_the_panel_lists_their_problems(tmp_path):
    doc = PipelineDocument.new("broken")
    doc.add_node("builtin:remove_duplicate_rows", position=(-300, -100))
    doc.add_node("builtin:nonexistent", position=(0, 0))
    d = Designer(doc)
    codes = {(p.node, p.code) for p in d.validate()}
    assert ("n1", "required_input") in codes and ("n2", "unknown_component") in codes
    assert "unknown" in d.summary_text() and "Problems:" in d.summary_text()
    # Negative positions are shifted onto the canvas.
    assert d.model.node_xy("n1")[0] >= 0 and d.model.node_xy("n1")[1] >= 0
    d.select("n2")
    assert "cannot be found" in d.panel.children[0].value
    d.select("n1")
    html = "".join(getattr(c, "value", "") for c in d.panel.children)
    assert "input_dataset" in html and "not connected" in html
    # Toolbar Validate lists them; Save refuses a document that has no path yet.
    d._validate_clicked()
    assert "required input" in d.message.value
    d._act(d._save_clicked)
    assert "has no path yet" in d.message.value
    assert d.save(tmp_path / "broken.mlpipeline").exists()


def test_add_remove_layout_and_a_new_file(tmp_path):
    d = Designer(tmp_path / "new.mlpipeline")
    assert d.document.nodes == [] and not (tmp_path / "new.mlpipeline").exists()
    a = d.add_node("builtin:enter_data_manually")
    b = d.add_node("builtin:remove_duplicate_rows")
    c = d.add_node("builtin:select_columns")
    assert d.model.node_xy(b)[1] > d.model.node_xy(a)[1]  # each new node below the last
    d.connect(a, "results_dataset", b, "input_dataset")
    d.connect(a, "results_dataset", c, "input_dataset")
    d.auto_layout()
    pos = {n["id"]: n["position"] for n in d.document.nodes}
    assert pos[a]["y"] < pos[b]["y"] == pos[c]["y"] and pos[b]["x"] != pos[c]["x"]
    # The panel's Delete button removes the selected node and its edges.
    d.select(b)
    _panel_field(d, "mls-designer-delete").click()
    assert [n["id"] for n in d.document.nodes] == [a, c] and len(d.document.edges) == 1
    d.select("e2")
    _panel_field(d, "mls-designer-delete").click()
    assert d.document.edges == []
    with pytest.raises(ValidationError, match="no node or edge"):
        d.select("zz")
    with pytest.raises(MlStudioError, match="no built-in component"):
        d.add_node("builtin:nope")
    d.save()
    assert Designer(tmp_path / "new.mlpipeline").document.data == d.document.data
    with pytest.raises(ValidationError, match="no pipeline document"):
        Designer(tmp_path / "missing.json")


def test_submit_colours_nodes_by_step_status_until_the_run_ends(local_ws, tmp_path):
    doc = PipelineDocument.new("one")
    doc.add_node("builtin:enter_data_manually", parameters={"data": DATA})
    doc.path = tmp_path / "one.mlpipeline"
    poller = Poller(threaded=False)
    d = Designer(doc, local_ws, poller=poller)
    # A document with errors is refused before anything runs.
    bad = d.add_node("builtin:remove_duplicate_rows")
    with pytest.raises(MlStudioError, match="problem"):
        d.submit("designer-widget")
    d.remove(bad)
    run = d.submit("designer-widget")
    assert d.is_live and d.run_status not in ("Completed", "Failed", "Canceled")
    assert d.status["n1"] not in ("Completed", "Failed")  # the step had no time to end
    end = time.monotonic() + 120
    while d.is_live:
        assert time.monotonic() < end, "the run did not end"
        poller.tick()
        time.sleep(0.2)
    assert d.run_status == "Completed" and d.status == {"n1": "Completed"}
    assert run.get_status() == "Completed"
    assert 'data-status="Completed"' in d.run_box.value  # the run's badge
    assert "data-node='n1' data-status='Completed'" in d.run_box.value
    assert "n1: Enter Data Manually [Data Input and Output] - Completed" in d.summary_text()
    # The selected node's panel names its step run; "Step details" shows that run.
    d.select("n1")
    step_id = d.step_runs["n1"]
    assert step_id in d.panel.children[1].children[0].value
    _panel_field(d, "mls-designer-step").click()
    shown = d.step_box.children[1]
    assert "mls-run-details" in shown._dom_classes
    assert step_id in d.step_box.children[1].children[0].value  # its header
    with pytest.raises(ValidationError, match="no step run"):
        d.show_step("nope")


def test_nodes_without_positions_are_laid_out_and_broken_files_refused(tmp_path):
    doc = PipelineDocument.new("bare")
    a = doc.add_node("builtin:enter_data_manually")
    b = doc.add_node("builtin:remove_duplicate_rows")
    doc.connect(a, "results_dataset", b, "input_dataset")
    for node in doc.nodes:
        del node["position"]  # optional in the format
    d = Designer(doc)
    assert d.model.node_xy(b)[1] > d.model.node_xy(a)[1]  # b in the row below a
    assert "position" in d.document.node(a)
    path = tmp_path / "broken.mlpipeline"
    path.write_text(
        json.dumps({"format": "mlpipeline", "version": 1, "nodes": [{"x": 1}], "edges": []})
    )
    with pytest.raises(ValidationError, match="no id or component"):
        Designer(path)
    path.write_text("{not json")
    with pytest.raises(ValidationError, match="not valid JSON"):
        Designer(path)
