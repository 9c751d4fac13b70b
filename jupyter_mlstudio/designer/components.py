"""Components: parameterized notebooks whose interface (typed ports, parameters) the designer
reads from the notebook's metadata, or, for a plain notebook, from its parameters cell.

A component notebook keeps its interface under ``metadata["mlstudio"]["component"]``::

    {"id": "split_data", "name": "Split Data", "category": "Data Transformation",
     "description": "...", "version": "1",
     "inputs":  [{"name": "input_dataset", "type": "DataFrame"}],
     "outputs": [{"name": "results1", "type": "DataFrame"}, ...],
     "parameters": [{"name": "fraction", "type": "float", "default": 0.7,
                     "min": 0, "max": 1}, ...]}

Every port and parameter is a variable of the notebook's ``parameters`` cell: an input port
receives the folder its producer wrote, an output port the folder to write.

A plain notebook's parameters cell declares the same things by convention::

    raw = ""          # input: DataFrame
    model_dir = ""    # output: Model
    extra = None      # optional input
    alpha = 0.5       # range: 0..1
    kind = "fast"     # choices: fast, slow
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from jupyter_mlstudio.errors import ValidationError

__all__ = [
    "PARAMETER_TYPES",
    "PORT_TYPES",
    "Component",
    "Parameter",
    "Port",
    "component_from_notebook",
    "port_accepts",
    "write_interface",
]

#: Port types: what a port's folder holds (and how components read it).
PORT_TYPES: dict[str, str] = {
    "DataFrame": "a table, data.parquet",
    "UntrainedModel": "a learner and its settings, not yet fitted (model.joblib)",
    "Model": "a fitted model (model.joblib)",
    "Transform": "a fitted data transformation (transform.joblib)",
    "Metrics": "evaluation results (metrics.json)",
    "AnyFile": "any files",
}

#: Parameter types and the Python types their values take.
PARAMETER_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "string": (str,),
    "text": (str,),  # multi-line: code, SQL, CSV
    "column": (str,),  # one column name
    "columns": (str,),  # comma-separated column names ("" for all)
    "path": (str,),  # a file or folder, relative to the document
}


def port_accepts(target: str, source: str) -> bool:
    """Whether an input port of type ``target`` takes data from an output of type ``source``."""
    return target == source or target == "AnyFile"


@dataclass(frozen=True)
class Port:
    """A typed input or output of a component."""

    name: str
    type: str
    description: str = ""
    optional: bool = False


@dataclass(frozen=True)
class Parameter:
    """A component parameter: type, default, and the range or choices it allows."""

    name: str
    type: str
    default: Any = None
    description: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple[Any, ...] | None = None
    optional: bool = False

    def check(self, value: Any) -> str | None:
        """Why ``value`` is not acceptable, or ``None`` when it is."""
        if value is None:
            return None if self.optional else "it needs a value."
        allowed = PARAMETER_TYPES.get(self.type, (object,))
        if isinstance(value, bool) and bool not in allowed:
            return f"it takes a value of type {self.type}, not the boolean {value!r}."
        if not isinstance(value, allowed):
            article = "an" if self.type[0] in "aeiou" else "a"
            return f"it takes {article} {self.type}, not {value!r} ({type(value).__name__})."
        if self.choices is not None and value not in self.choices:
            return f"{value!r} is not one of its choices: {', '.join(map(repr, self.choices))}."
        if self.min is not None and isinstance(value, int | float) and value < self.min:
            return f"{value!r} is below its minimum {self.min!r}."
        if self.max is not None and isinstance(value, int | float) and value > self.max:
            return f"{value!r} is above its maximum {self.max!r}."
        return None


@dataclass(frozen=True)
class Component:
    """A component's interface and where its notebook is."""

    id: str
    name: str
    notebook: Path
    category: str = "User"
    description: str = ""
    version: str = "1"
    inputs: tuple[Port, ...] = ()
    outputs: tuple[Port, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    inference: str = "keep"  # its part in "create inference pipeline" (see inference.py)
    ref: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def input(self, name: str) -> Port | None:
        """The input port ``name``, or ``None``."""
        return next((p for p in self.inputs if p.name == name), None)

    def output(self, name: str) -> Port | None:
        """The output port ``name``, or ``None``."""
        return next((p for p in self.outputs if p.name == name), None)

    def parameter(self, name: str) -> Parameter | None:
        """The parameter ``name``, or ``None``."""
        return next((p for p in self.parameters if p.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        """The interface as JSON-able data (what the canvas palette shows)."""
        return {
            "ref": self.ref,
            "id": self.id,
            "name": self.name,
            "category": self.category,
            "description": self.description,
            "version": self.version,
            "notebook": str(self.notebook),
            "inputs": [asdict(p) for p in self.inputs],
            "outputs": [asdict(p) for p in self.outputs],
            "parameters": [
                {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(p).items()}
                for p in self.parameters
            ],
            "inference": self.inference,
        }


# ---- reading notebooks ---------------------------------------------------------------------
def _read_notebook(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ValidationError(
            f"The component notebook {path} cannot be read: {exc}.",
            hint="Check that the file exists and is a Jupyter notebook.",
            path=str(path),
        ) from exc


def _source(cell: Mapping[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def parameters_cell(notebook: Mapping[str, Any]) -> str | None:
    """The source of the notebook's cell tagged ``parameters``, if it has one."""
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code" and "parameters" in (
            cell.get("metadata", {}).get("tags") or []
        ):
            return _source(cell)
    return None


def _from_metadata(meta: Mapping[str, Any], path: Path, ref: str) -> Component:
    for key in ("inputs", "outputs", "parameters"):
        items = meta.get(key, [])
        if not isinstance(items, list) or not all(
            isinstance(i, Mapping) and isinstance(i.get("name"), str) and i["name"].isidentifier()
            for i in items
        ):
            raise ValidationError(
                f"The interface of {path.name} is malformed: {key!r} must be a list of "
                "objects, each with a 'name' that is a Python variable name.",
                hint="Fix the notebook's metadata['mlstudio']['component'].",
                path=str(path),
            )

    def ports(key: str) -> tuple[Port, ...]:
        found = []
        for item in meta.get(key, []):
            kind = item.get("type", "AnyFile")
            if kind not in PORT_TYPES:
                raise ValidationError(
                    f"Component {meta.get('name')!r} ({path.name}): port {item.get('name')!r} "
                    f"has the unknown type {kind!r}.",
                    hint=f"Port types are: {', '.join(PORT_TYPES)}.",
                )
            found.append(
                Port(item["name"], kind, item.get("description", ""), bool(item.get("optional")))
            )
        return tuple(found)

    params = []
    for item in meta.get("parameters", []):
        kind = item.get("type", "string")
        if kind not in PARAMETER_TYPES:
            raise ValidationError(
                f"Component {meta.get('name')!r} ({path.name}): parameter {item.get('name')!r} "
                f"has the unknown type {kind!r}.",
                hint=f"Parameter types are: {', '.join(PARAMETER_TYPES)}.",
            )
        choices = item.get("choices")
        params.append(
            Parameter(
                item["name"],
                kind,
                item.get("default"),
                item.get("description", ""),
                item.get("min"),
                item.get("max"),
                tuple(choices) if choices is not None else None,
                bool(item.get("optional")),
            )
        )
    return Component(
        id=str(meta.get("id") or path.stem),
        name=str(meta.get("name") or path.stem),
        notebook=path,
        category=str(meta.get("category", "User")),
        description=str(meta.get("description", "")),
        version=str(meta.get("version", "1")),
        inputs=ports("inputs"),
        outputs=ports("outputs"),
        parameters=tuple(params),
        inference=str(meta.get("inference", "keep")),
        ref=ref,
        extra={k: v for k, v in meta.items() if k.startswith("x-")},
    )


_PORT_COMMENT = re.compile(
    r"#\s*(?P<optional>optional\s+)?(?P<dir>input|output)\b\s*(?::\s*(?P<type>\w+))?", re.I
)
_RANGE_COMMENT = re.compile(r"#.*?range\s*:\s*(?P<lo>[-\d.eE+]+)\s*\.\.\s*(?P<hi>[-\d.eE+]+)")
_CHOICES_COMMENT = re.compile(r"#.*?choices\s*:\s*(?P<items>.+)$")


def _literal_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str) and "\n" in value:
        return "text"
    return "string"


def interface_from_parameters_cell(source: str, name: str) -> dict[str, Any]:
    """The interface a plain notebook's parameters cell declares (see the module docstring).

    Variables commented ``# input`` / ``# output`` (with an optional ``: Type``), or named
    ``input_*`` / ``output_*``, are ports; every other literal assignment is a parameter whose
    type and default come from its value.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ValidationError(
            f"The parameters cell of {name} is not valid Python: {exc}.",
            hint="Fix the cell tagged 'parameters'.",
        ) from exc
    lines = source.splitlines()
    meta: dict[str, Any] = {"name": name, "inputs": [], "outputs": [], "parameters": []}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value_node = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            target, value_node = stmt.target, stmt.value
        else:
            continue
        if not isinstance(target, ast.Name):
            continue
        var = target.id
        comment = lines[stmt.lineno - 1][stmt.end_col_offset :] if stmt.lineno <= len(lines) else ""
        try:
            value = ast.literal_eval(value_node)
        except ValueError:
            continue  # computed values are not parameters the designer can set
        port = _PORT_COMMENT.search(comment)
        direction = port.group("dir").lower() if port else None
        if direction is None and var.startswith(("input_", "in_")):
            direction = "input"
        if direction is None and var.startswith(("output_", "out_")):
            direction = "output"
        if direction is not None:
            kind = port.group("type") if port and port.group("type") else "AnyFile"
            kind = next((t for t in PORT_TYPES if t.lower() == kind.lower()), "AnyFile")
            optional = bool(port and port.group("optional")) or value is None
            meta[f"{direction}s"].append(
                {"name": var, "type": kind, "optional": optional and direction == "input"}
            )
            continue
        param: dict[str, Any] = {
            "name": var,
            "type": _literal_type(value) if value is not None else "string",
            "default": value,
            "optional": value is None,
        }
        if (found := _RANGE_COMMENT.search(comment)) is not None:
            param["min"], param["max"] = float(found["lo"]), float(found["hi"])
        if (found := _CHOICES_COMMENT.search(comment)) is not None:
            items = [c.strip().strip("'\"") for c in found["items"].split(",") if c.strip()]
            param["choices"] = [type(value)(c) if value is not None else c for c in items]
        meta["parameters"].append(param)
    return meta


def component_from_notebook(path: str | Path, ref: str | None = None) -> Component:
    """The component a notebook is: its metadata interface, else its parameters cell's."""
    file = Path(path)
    notebook = _read_notebook(file)
    meta = (notebook.get("metadata") or {}).get("mlstudio", {}).get("component")
    if not meta:
        source = parameters_cell(notebook)
        meta = interface_from_parameters_cell(source or "", file.stem)
        meta["category"] = "User"
        meta["description"] = f"The notebook {file.name}."
    return _from_metadata(meta, file, ref or f"file:{file}")


def script_blocks(source: str, name: str = "script") -> tuple[str, str, str]:
    """A script split as a notebook would be: what comes before its parameters (docstring,
    imports, comments), the parameters block (the first run of top-level ``name = literal``
    assignments), and the rest."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ValidationError(
            f"{name} is not valid Python: {exc}.", hint="Fix the script's syntax."
        ) from exc

    def literal(stmt: ast.stmt) -> bool:
        value = getattr(stmt, "value", None)
        if not isinstance(stmt, ast.Assign | ast.AnnAssign) or value is None:
            return False
        try:
            ast.literal_eval(value)
        except ValueError:
            return False
        return True

    body = tree.body
    i = 0
    while i < len(body) and not literal(body[i]):
        stmt = body[i]
        docstring = isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
        if not (isinstance(stmt, ast.Import | ast.ImportFrom) or docstring):
            return source, "", ""  # code runs before any parameter: no parameters block
        i += 1
    j = i
    while j < len(body) and literal(body[j]):
        j += 1
    if i == len(body):
        return source, "", ""
    lines = source.splitlines(keepends=True)
    start, end = body[i].lineno - 1, body[j - 1].end_lineno or body[j - 1].lineno
    return "".join(lines[:start]), "".join(lines[start:end]), "".join(lines[end:])


def component_from_script(path: str | Path, ref: str | None = None) -> Component:
    """The component a Python script is: its parameters block declares ports and
    parameters as a notebook's parameters cell does."""
    file = Path(path)
    try:
        source = file.read_text()
    except OSError as exc:
        raise ValidationError(f"The script {file} cannot be read: {exc}.", path=str(file)) from exc
    _, params, _ = script_blocks(source, file.name)
    meta = interface_from_parameters_cell(params, file.stem)
    meta["category"] = "User"
    meta["description"] = f"The script {file.name}."
    return _from_metadata(meta, file, ref or f"file:{file}")


SCRIPT_NOTEBOOKS = ".mlpipeline-scripts"


def script_notebook(path: str | Path) -> Path:
    """The notebook a script runs as in a pipeline (``.mlpipeline-scripts/<name>.ipynb``
    beside it, rewritten when the script changes): its parameters block is the cell tagged
    ``parameters``, so papermill's injected values come after it."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    file = Path(path)
    before, params, after = script_blocks(file.read_text(), file.name)
    cells = []
    if before.strip():
        cells.append(new_code_cell(before.strip("\n")))
    if params.strip():
        cell = new_code_cell(params.strip("\n"))
        cell.metadata["tags"] = ["parameters"]
        cells.append(cell)
    if after.strip():
        cells.append(new_code_cell(after.strip("\n")))
    for index, cell in enumerate(cells):
        cell["id"] = f"script-{index}"
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["mlstudio"] = {"script": file.name}
    target = file.parent / SCRIPT_NOTEBOOKS / f"{file.stem}.ipynb"
    text = nbformat.writes(nb)
    if not target.is_file() or target.read_text() != text:
        target.parent.mkdir(exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(text)
        tmp.replace(target)
    return target


def write_interface(path: str | Path, interface: Mapping[str, Any]) -> Component:
    """Store an (edited) interface in the notebook's metadata; returns the component.

    This is how a plain notebook becomes a full component: the canvas shows what
    :func:`component_from_notebook` found, the user edits it, and it is written back.
    """
    import nbformat

    file = Path(path)
    _from_metadata(interface, file, "")  # refuse a bad interface before writing anything
    nb = nbformat.read(file, as_version=4)
    nb.metadata.setdefault("mlstudio", {})["component"] = dict(interface)
    tmp = file.with_name(f".{file.name}.tmp")
    nbformat.write(nb, tmp)
    tmp.replace(file)
    return component_from_notebook(file)
