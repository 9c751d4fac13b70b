from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_mlstudio.core._snapshot import list_snapshot_files
from jupyter_mlstudio.errors import SnapshotTooLargeError, ValidationError


def _tree(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def test_amlignore_and_caches_are_left_out(tmp_path):
    _tree(
        tmp_path,
        {
            "train.py": b"x",
            "data/big.csv": b"1",
            "keep/a.txt": b"a",
            "__pycache__/t.pyc": b"",
            ".amlignore": b"data/\n*.log\n",
            "x.log": b"",
        },
    )
    rels = sorted(rel for _, rel in list_snapshot_files(tmp_path))
    assert rels == [".amlignore", "keep/a.txt", "train.py"]


def test_a_source_directory_over_the_limit_says_the_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("MLSTUDIO_SNAPSHOT_LIMIT_MB", "1")
    _tree(tmp_path, {"train.py": b"x", "blob.bin": b"0" * (2 * 1024 * 1024)})
    with pytest.raises(SnapshotTooLargeError, match=r"limit of 1 MB") as info:
        list_snapshot_files(tmp_path)
    assert ".amlignore" in info.value.hint


def test_a_missing_source_directory_is_named(tmp_path):
    with pytest.raises(ValidationError, match="does not exist"):
        list_snapshot_files(tmp_path / "nope")
