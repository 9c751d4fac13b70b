from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.postgres import PostgresServer, postgres_server


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    # The list of known workspaces lives in MLSTUDIO_HOME: keep each test's to itself.
    monkeypatch.setenv("MLSTUDIO_HOME", str(tmp_path_factory.mktemp("home")))
    monkeypatch.setenv("MLSTUDIO_HEARTBEAT_SECONDS", "0.5")
    # Dask clusters of compute targets end once idle this long, so none outlives its test.
    monkeypatch.setenv("MLSTUDIO_CLUSTER_IDLE_EXIT_SECONDS", "30")
    # A kernel spool daemon per test's home would start kernels for nothing: off, but in
    # the tests of the spool, whose daemons end soon after their last claim.
    monkeypatch.setenv("MLSTUDIO_KERNEL_SPOOL", "0")
    monkeypatch.setenv("MLSTUDIO_KERNEL_SPOOL_IDLE", "5")
    # Likewise the serving zygote (warm endpoint processes): off, but in its own tests
    # (MLSTUDIO_TEST_SERVING_ZYGOTE=1 runs every endpoint test with it).
    monkeypatch.setenv(
        "MLSTUDIO_SERVING_ZYGOTE", os.environ.get("MLSTUDIO_TEST_SERVING_ZYGOTE", "0")
    )
    monkeypatch.setenv("MLSTUDIO_SERVING_ZYGOTE_IDLE", "20")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer | None]:
    if os.environ.get("MLSTUDIO_SKIP_POSTGRES") == "1":
        yield None
        return
    with postgres_server() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def metadata_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh metadata database: SQLite in the test's folder, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'meta.db'}"
    server = request.getfixturevalue("postgres")
    if server is None:
        pytest.skip("MLSTUDIO_SKIP_POSTGRES=1")
    return server.new_database()


@pytest.fixture
def ws(tmp_path: Path, metadata_url: str, monkeypatch: pytest.MonkeyPatch):
    from jupyter_mlstudio.core import Workspace

    folder = tmp_path / "ws"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return Workspace.create(
        name="test_ws", path=folder, metadata_url=metadata_url, show_output=False
    )


@pytest.fixture
def local_ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A default workspace (SQLite, local artifacts) in the test's folder."""
    from jupyter_mlstudio.core import Workspace

    monkeypatch.chdir(tmp_path)
    return Workspace.create(name="local_ws", show_output=False)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    from tests.s3 import s3_server

    with s3_server() as url:
        yield url


@pytest.fixture
def s3_env(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Credentials and endpoint as environment variables (inherited by job processes)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    # botocore reads this for every client it makes, in this process and in jobs.
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    return s3_endpoint
