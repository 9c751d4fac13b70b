from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

SCRIPTS = {
    "clean.py": """
        import argparse, os
        p = argparse.ArgumentParser(); p.add_argument("--out"); p.add_argument("--rows", default="3")
        a = p.parse_args()
        with open(os.path.join(a.out, "data.txt"), "w") as fh:
            fh.write(",".join(str(i) for i in range(int(a.rows))))
        print("cleaned", a.rows, "rows")
    """,
    "train.py": """
        import argparse, os
        from jupyter_mlstudio.core import Run
        p = argparse.ArgumentParser()
        p.add_argument("--inp"); p.add_argument("--depth", type=int); p.add_argument("--model")
        a = p.parse_args()
        rows = open(os.path.join(a.inp, "data.txt")).read().split(",")
        run = Run.get_context()
        run.log("depth", a.depth); run.log("rows", len(rows))
        with open(os.path.join(a.model, "model.txt"), "w") as fh:
            fh.write(f"depth={a.depth}")
    """,
    "timed.py": """
        import sys, time
        from jupyter_mlstudio.core import Run
        run = Run.get_context()
        run.log("start", time.time()); time.sleep(float(sys.argv[1])); run.log("end", time.time())
        if len(sys.argv) > 2 and sys.argv[2] == "fail":
            raise SystemExit("this step fails on purpose")
    """,
    "lazy.py": """
        import sys
        print("declared an output and wrote nothing to", sys.argv[1])
    """,
}


@pytest.fixture
def code(tmp_path: Path) -> Path:
    folder = tmp_path / "code"
    folder.mkdir()
    for name, text in SCRIPTS.items():
        (folder / name).write_text(textwrap.dedent(text))
    return folder
