"""The Jupyter server extension of jupyter_mlstudio: the studio's REST API and live events
under ``/mlstudio/api/v1/``, over the workspace found in the server's root folder.

Enabled on install by ``jupyter-config/server-config/jupyter_mlstudio.json``. Handlers are thin:
they parse, call :mod:`jupyter_mlstudio.studio`, and format; errors map to HTTP statuses in
:mod:`jupyter_mlstudio.server.errors`.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "_jupyter_labextension_paths",
    "_jupyter_server_extension_points",
    "_load_jupyter_server_extension",
    "_unload_jupyter_server_extension",
]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "jupyter_mlstudio.server"}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "../labextension", "dest": "jupyter-mlstudio"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    from jupyter_mlstudio.server.app import setup

    setup(serverapp)


def _unload_jupyter_server_extension(serverapp: Any) -> None:
    """Stop the event hub and the thread pool when the server stops."""
    settings = serverapp.web_app.settings
    if "mlstudio_hub" in settings:
        settings["mlstudio_hub"].close()
        settings["mlstudio"].close()
