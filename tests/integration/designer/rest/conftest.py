"""The canvas' REST routes on a real Jupyter server (pytest-jupyter's jp_fetch; its hooks run
the async tests, so they live in this folder's conftest only)."""

from __future__ import annotations

from pytest_jupyter.jupyter_server import *  # noqa: F403  (jp_fetch, jp_serverapp, ...)
