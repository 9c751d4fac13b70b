from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

MLSTUDIO = Path(sys.executable).parent / "mlstudio"


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


class Cli:
    """Runs the installed ``mlstudio`` console script in a folder, as a user would."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __call__(self, *args: str, ok: bool = True, timeout: float = 240) -> Result:
        done = subprocess.run(
            [str(MLSTUDIO), *args],
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        result = Result(done.returncode, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr, done.stderr
        if ok:
            assert done.returncode == 0, f"{args}: {done.stderr}\n{done.stdout}"
        return result


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    """One workspace per test module (each command is a new Python process: they add up)."""
    runner = Cli(tmp_path_factory.mktemp("cli"))
    runner("workspace", "create", "--name", "cli_ws", "--path", ".")
    return runner
