"""Wire the studio into a running Jupyter server."""

from __future__ import annotations

from typing import Any

from jupyter_server.utils import url_path_join

from jupyter_mlstudio.server.context import StudioContext
from jupyter_mlstudio.server.hub import EventHub
from jupyter_mlstudio.server.routes import API_PREFIX, ROUTES

__all__ = ["setup"]


def setup(serverapp: Any) -> None:
    """Register the routes and the shared context on ``serverapp``'s web app."""
    web_app = serverapp.web_app
    context = StudioContext(serverapp.root_dir)
    hub = EventHub(context)
    web_app.settings["mlstudio"] = context
    web_app.settings["mlstudio_hub"] = hub
    base = web_app.settings["base_url"]
    web_app.add_handlers(
        ".*$", [(url_path_join(base, API_PREFIX, path) + "/?$", h) for path, h in ROUTES]
    )
    context.start()
    serverapp.log.info("jupyter_mlstudio: studio API at %s", url_path_join(base, API_PREFIX))
