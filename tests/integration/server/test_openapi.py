"""The OpenAPI description in the repo lists exactly the routes and methods the server has."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from jupyter_mlstudio.server.routes import ROUTES

SPEC = Path(__file__).resolve().parents[3] / "jupyter_mlstudio" / "server" / "openapi.yaml"


def _routes() -> dict[str, set[str]]:
    out = {}
    for pattern, handler in ROUTES:
        path = "/" + re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", pattern)
        methods = {m for m in ("get", "post", "put", "patch", "delete") if m in vars(handler)}
        out[path] = methods
    return out


def test_openapi_matches_routes():
    spec = yaml.safe_load(SPEC.read_text())
    assert spec["openapi"].startswith("3.")
    described = {
        path: {m for m in item if m in ("get", "post", "put", "patch", "delete")}
        for path, item in spec["paths"].items()
    }
    assert set(described) == set(_routes())
    for path, methods in _routes().items():
        assert described[path] == methods, path
        for method in methods:
            declared = {
                p["name"]
                for p in spec["paths"][path][method].get("parameters", [])
                if p["in"] == "path"
            }
            assert declared == set(re.findall(r"{(\w+)}", path)), (path, method)
