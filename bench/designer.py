"""Designer benchmark: load, validate and compile a 200-node ``.mlpipeline`` document.

The document is ten copies of a 20-node pipeline (two data sources, a join, cleaning,
normalization, de-duplication, a split, three learners trained, scored and evaluated, a
SQL summary and a column selection): 200 nodes, 250 edges, one pipeline parameter.

Timed (best of 30 after 3 untimed calls, in this process):

1. ours: ``PipelineDocument.load`` + ``compile_document``, which validates (JSON Schema
   shape, components, ports and their types, inputs connected once, required inputs,
   cycles, parameters and their ranges) and builds the NotebookSteps with PipelineData and
   PipelineParameters. Goal: under 100 ms. Validation alone is reported too.
2. the pipeline package's own graph of those steps, ``Pipeline(...).graph`` (it checks each
   step's notebook file and its parameters cell), reported beside it.
3. the floor: ``json.load`` of the same file and a topological sort of its nodes (Kahn's
   algorithm written here, no library): the least any tool must do to read the document.

Elyra's pipeline parser was not measured: its virtualenv (bench/.venv-elyra, built by
bench/pipelines.py) was absent here, and its parser needs its component catalogs started.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jupyter_mlstudio.designer import PipelineDocument, compile_document
from jupyter_mlstudio.designer.library import ComponentLibrary
from jupyter_mlstudio.designer.validation import validate
from jupyter_mlstudio.pipeline.core import Pipeline

GOAL_MS = 100.0


def twenty(doc: PipelineDocument, k: int) -> None:
    """Add one 20-node copy (ids prefixed ``c<k>_``)."""

    def node(ref: str, **params: Any) -> str:
        return doc.add_node(f"builtin:{ref}", parameters=params, node_id=f"c{k}_{len(doc.nodes)}")

    a = node("import_data", path="people.csv")
    b = node("enter_data_manually", data="id,group\n1,a\n")
    join = node("join_data", left_keys="id", right_keys="id")
    clean = node("clean_missing_data")
    norm = node("normalize_data", columns="age,hours")
    dedup = node("remove_duplicate_rows")
    split = node("split_data", fraction={"pipelineParameter": "fraction"})
    for src, sport, dst, dport in (
        (a, "results_dataset", join, "left"),
        (b, "results_dataset", join, "right"),
        (join, "results_dataset", clean, "input_dataset"),
        (clean, "cleaned_dataset", norm, "input_dataset"),
        (norm, "transformed_dataset", dedup, "input_dataset"),
        (dedup, "results_dataset", split, "input_dataset"),
    ):
        doc.connect(src, sport, dst, dport)
    scores = []
    for learner in (
        "two_class_logistic_regression",
        "two_class_boosted_decision_tree",
        "multiclass_decision_forest",
    ):
        algo = node(learner)
        train = node("train_model", label_column="label")
        score = node("score_model")
        doc.connect(algo, "untrained_model", train, "untrained_model")
        doc.connect(split, "results1", train, "input_dataset")
        doc.connect(train, "trained_model", score, "trained_model")
        doc.connect(split, "results2", score, "input_dataset")
        scores.append(score)
    ev1, ev2 = node("evaluate_model"), node("evaluate_model")
    sql = node("apply_sql_transformation", sql="select count(*) as n from t1")
    sel = node("select_columns", columns="n")
    doc.connect(scores[0], "scored_dataset", ev1, "scored_dataset")
    doc.connect(scores[1], "scored_dataset", ev1, "scored_dataset_to_compare")
    doc.connect(scores[2], "scored_dataset", ev2, "scored_dataset")
    doc.connect(scores[2], "scored_dataset", sql, "t1")
    doc.connect(sql, "results_dataset", sel, "input_dataset")


def floor(path: Path) -> list[str]:
    """json.load and Kahn's topological sort: the least work of reading a document."""
    with path.open() as fh:
        data = json.load(fh)
    indegree = {n["id"]: 0 for n in data["nodes"]}
    after: dict[str, list[str]] = {nid: [] for nid in indegree}
    for edge in data["edges"]:
        after[edge["source"]["node"]].append(edge["target"]["node"])
        indegree[edge["target"]["node"]] += 1
    ready = deque(nid for nid, d in indegree.items() if d == 0)
    order = []
    while ready:
        nid = ready.popleft()
        order.append(nid)
        for nxt in after[nid]:
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                ready.append(nxt)
    if len(order) != len(indegree):
        raise ValueError("cycle")
    return order


def best_ms(fn: Callable[[], Any], repeat: int = 30) -> float:
    for _ in range(3):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="bench-designer-"))
    doc = PipelineDocument.new("bench")
    doc.add_parameter("fraction", 0.7)
    for k in range(10):
        twenty(doc, k)
    path = doc.save(folder / "bench.mlpipeline")
    nodes, edges = len(doc.nodes), len(doc.edges)
    library = ComponentLibrary(folder)

    def ours() -> Any:
        problems: list[Any] = []  # compile_document validates first and fills this
        compiled = compile_document(PipelineDocument.load(path), library, problems)
        return problems, compiled

    problems, compiled = ours()
    ok = problems == [] and len(compiled.steps) == nodes and len(floor(path)) == nodes
    graph = Pipeline(None, compiled.steps).graph
    ok = ok and len(graph["steps"]) == nodes

    def validate_only() -> Any:
        return validate(PipelineDocument.load(path), library)

    def engine_graph() -> Any:
        return Pipeline(None, compile_document(PipelineDocument.load(path), library).steps).graph

    t_ours = best_ms(ours)
    t_validate = best_ms(validate_only)
    t_engine = best_ms(engine_graph, repeat=5)
    t_floor = best_ms(lambda: floor(path))
    print(f"document: {nodes} nodes, {edges} edges, {path.stat().st_size:,} bytes")
    print(f"{'measure':58} {'ms':>9}")
    print(f"{'ours: load + validate + compile to NotebookSteps':58} {t_ours:9.2f}")
    print(f"{'  of which load + validate':58} {t_validate:9.2f}")
    print(f"{'ours + Pipeline(...).graph (pipeline package)':58} {t_engine:9.2f}")
    print(f"{'floor: json.load + topological sort':58} {t_floor:9.2f}")
    print(
        f"ours / floor: {t_ours / t_floor:.1f}x; goal under {GOAL_MS:.0f} ms: "
        f"{'met' if t_ours < GOAL_MS else 'NOT met'}"
    )
    if not ok:
        print("correctness check FAILED", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
