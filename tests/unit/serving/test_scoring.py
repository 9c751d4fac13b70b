"""The framework-free scoring core: a score.py loaded in this process, no server."""

from __future__ import annotations

import textwrap

import orjson
import pytest

from jupyter_mlstudio.serving.scoring import ScoringService


def _load(tmp_path, text: str, **kwargs) -> ScoringService:
    path = tmp_path / "score.py"
    path.write_text(textwrap.dedent(text))
    return ScoringService.load(path, **kwargs)


PLAIN = """
import json
calls = []
def init():
    calls.append("init")
def run(raw_data):
    data = json.loads(raw_data)
    if data.get("boom"):
        raise RuntimeError("kaboom")
    if data.get("bad"):
        raise ValueError("X has 2 features")
    if data.get("weird"):
        return object()
    return {"echo": data, "type": type(raw_data).__name__}
"""


def test_init_once_then_run_gets_the_body_as_text(tmp_path):
    service = _load(tmp_path, PLAIN)
    assert service.module.calls == ["init"]
    result = service.score(b'{"data": [1, 2]}', "application/json")
    assert result.status == 200
    assert orjson.loads(result.body) == {"echo": {"data": [1, 2]}, "type": "str"}
    service.score(b'{"data": 1}')
    assert service.module.calls == ["init"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{nope", 400, "MalformedJson"),
        (b"   ", 400, "EmptyBody"),
        (b'{"boom": true}', 500, "ScoringError"),
        (b'{"bad": true}', 400, "BadInput"),
        (b'{"weird": true}', 500, "OutputNotSerializable"),
    ],
)
def test_failures_are_json_errors_without_tracebacks(tmp_path, body, status, code):
    service = _load(tmp_path, PLAIN)
    result = service.score(body, "application/json")
    assert result.status == status
    error = orjson.loads(result.body)["error"]
    assert error["code"] == code
    assert "Traceback" not in error["message"]
    assert service.score(b'{"ok": 1}').status == 200  # and the next one is fine


def test_a_module_level_sample_input_checks_the_body(tmp_path):
    service = _load(
        tmp_path, PLAIN.replace("calls = []", 'calls = []\nsample_input = {"data": [[0.5, 1.5]]}')
    )
    assert service.score(b'{"data": [[1, 2], [3.5, 4]]}').status == 200
    for body, words in [
        (b'{"data": [[1, 2, 3]]}', "Row 0 of 'body.data' has 3 values; this endpoint expects 2"),
        (b'{"data": [["a", 2]]}', "must be a number"),
        (b'{"rows": []}', "lacks the key(s) ['data']"),
        (b"null", "must be an object"),
    ]:
        result = service.score(body)
        assert result.status == 422, body
        assert words in orjson.loads(result.body)["error"]["message"]


DECORATED = """
import numpy as np
import pandas as pd
from jupyter_mlstudio.serving.schema import (
    NumpyParameterType, PandasParameterType, StandardPythonParameterType,
    input_schema, output_schema,
)

def init():
    pass

@input_schema("data", NumpyParameterType(np.array([[0.1, 0.2, 0.3]])))
@input_schema("frame", PandasParameterType(pd.DataFrame({"a": [1.0], "b": ["x"]})), optional=True)
@input_schema("method", StandardPythonParameterType("predict"), optional=True)
@output_schema(NumpyParameterType(np.array([1.0])))
def run(data, frame=None, method="predict"):
    out = {"shape": list(data.shape), "dtype": str(data.dtype), "method": method}
    if frame is not None:
        out["columns"] = list(frame.columns)
    return out
"""


def test_inference_schema_decorators_convert_and_check(tmp_path):
    service = _load(tmp_path, DECORATED)
    ok = service.score(b'{"data": [[1, 2, 3], [4, 5, 6]], "method": "proba"}')
    assert orjson.loads(ok.body) == {"shape": [2, 3], "dtype": "float64", "method": "proba"}
    frame = service.score(b'{"data": [[1, 2, 3]], "frame": [{"a": 2.0, "b": "y", "c": 1}]}')
    assert orjson.loads(frame.body)["columns"] == ["a", "b"]
    cases = [
        (b'{"data": [[1, 2]]}', "shape (1, 2); this endpoint expects ('n', 3)"),
        (b'{"data": [["a", "b", "c"]]}', "holds text values; this endpoint expects number"),
        (b'{"data": [[1, 2], [3]]}', "not a rectangular array"),
        (b'{"method": "x"}', "lacks ['data']"),
        (b'{"data": [[1, 2, 3]], "extra": 1}', "unexpected key(s) ['extra']"),
        (b'{"data": [[1, 2, 3]], "method": 5}', "must be a string"),
        (b'{"data": [[1, 2, 3]], "frame": [{"a": 1.0}]}', "lacks the column(s) ['b']"),
    ]
    for body, words in cases:
        result = service.score(body)
        assert result.status == 422, body
        assert words in orjson.loads(result.body)["error"]["message"], body


def test_swagger_comes_from_the_decorators(tmp_path):
    from jupyter_mlstudio.serving.swagger import swagger_document

    service = _load(tmp_path, DECORATED)
    doc = swagger_document("svc", inputs=service.inputs, output=service.output)
    props = doc["definitions"]["ServiceInput"]["properties"]
    assert props["data"] == {
        "type": "array",
        "items": {"type": "array", "items": {"type": "number", "format": "double"}},
    }
    assert props["frame"]["items"]["properties"]["b"] == {"type": "string"}
    assert doc["definitions"]["ServiceInput"]["example"]["data"] == [[0.1, 0.2, 0.3]]
    assert doc["definitions"]["ServiceOutput"]["items"] == {"type": "number", "format": "double"}
    assert doc["paths"]["/score"]["post"]["security"] == [{"Bearer": []}]


def test_a_script_without_run_or_with_a_failing_init_raises_on_load(tmp_path):
    with pytest.raises(AttributeError, match="no run\\(\\) function"):
        _load(tmp_path, "def init():\n    pass\n")
    with pytest.raises(ZeroDivisionError):
        _load(tmp_path, "def init():\n    1 / 0\ndef run(x):\n    return x\n")
