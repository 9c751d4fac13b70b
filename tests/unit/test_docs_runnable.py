"""The documentation's promises, checked.

- Every code block marked ``python runnable`` or ``bash runnable`` in README.md and docs/
  runs: each page's blocks in order, in a fresh folder, each in its own process.
- docs/sdk-mapping.md names only things that exist: every ``jupyter_mlstudio...`` name in
  its tables imports.
- docs/rest-api.md lists every route of the OpenAPI description.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_BLOCK = re.compile(r"^```(python|bash) runnable\n(.*?)^```", re.M | re.S)


def runnable_blocks(page: Path) -> list[tuple[str, str]]:
    return [(m[1], m[2]) for m in _BLOCK.finditer(page.read_text(encoding="utf-8"))]


def test_the_docs_have_runnable_blocks():
    found = {p.name: len(runnable_blocks(p)) for p in PAGES}
    assert sum(found.values()) >= 4, found


@pytest.mark.parametrize("page", [p for p in PAGES if runnable_blocks(p)], ids=lambda p: p.name)
def test_runnable_blocks_run(page, tmp_path):
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    for i, (language, code) in enumerate(runnable_blocks(page)):
        command = (
            [sys.executable, "-c", code] if language == "python" else ["bash", "-e", "-c", code]
        )
        done = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240
        )
        assert done.returncode == 0, (
            f"{page.name}, runnable block {i + 1} ({language}) failed:\n"
            f"{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
        )


def test_every_name_in_the_sdk_mapping_exists():
    text = (ROOT / "docs" / "sdk-mapping.md").read_text(encoding="utf-8")
    names = set(re.findall(r"`(jupyter_mlstudio(?:\.\w+)+)`", text))
    assert len(names) > 40
    missing = []
    for dotted in sorted(names):
        module, _, attr = dotted.rpartition(".")
        try:
            getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError):
            try:
                importlib.import_module(dotted)
            except ImportError:
                missing.append(dotted)
    assert missing == []


def test_the_rest_page_lists_every_route():
    spec = yaml.safe_load((ROOT / "jupyter_mlstudio" / "server" / "openapi.yaml").read_text())
    page = (ROOT / "docs" / "rest-api.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `(GET|POST|PUT|PATCH|DELETE)` \| `([^`]+)` \|", page, re.M))
    described = {
        (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method in ops
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert listed == described


def test_the_designer_page_lists_every_builtin_component():
    from jupyter_mlstudio.designer import builtin_components

    page = (ROOT / "docs" / "designer-components.md").read_text(encoding="utf-8")
    missing = [c.ref for c in builtin_components() if f"`{c.ref}`" not in page]
    assert missing == []
