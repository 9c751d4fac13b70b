from __future__ import annotations

import pytest

from jupyter_mlstudio.errors import ArtifactNotFoundError, ValidationError
from jupyter_mlstudio.store import ArtifactStore


def test_writes_land_whole_and_list_relative(tmp_path):
    store = ArtifactStore(str(tmp_path))
    store.put_bytes(b"abc", "runs/r1/outputs/a.txt")
    store.put_bytes(b"d", "runs/r1/logs/b.txt")
    assert store.list("runs/r1") == ["logs/b.txt", "outputs/a.txt"]
    assert store.read_bytes("runs/r1/outputs/a.txt", 1) == b"bc"
    assert not list(tmp_path.rglob("*.tmp-*"))


@pytest.mark.parametrize("bad", ["../x", "/../../etc/passwd", "a/../../b", ""])
def test_paths_cannot_leave_the_store(tmp_path, bad):
    with pytest.raises(ValidationError):
        ArtifactStore(str(tmp_path)).put_bytes(b"x", bad)


def test_missing_files_are_reported_by_name(tmp_path):
    with pytest.raises(ArtifactNotFoundError, match="nope.txt"):
        ArtifactStore(str(tmp_path)).read_bytes("nope.txt")


def test_a_protocol_without_its_backend_says_what_to_install(tmp_path):
    from jupyter_mlstudio.errors import UserErrorException

    with pytest.raises(UserErrorException, match=r"pip install"):
        ArtifactStore("gcs://bucket/root")
