"""``/events``: a websocket of live events (run status, metric points, log lines).

Client messages: ``{"type": "follow_log", "runId", "name"?, "offset"?}`` and
``{"type": "unfollow_log", "runId"}``. Server messages: ``{"events": [...]}`` (see
:mod:`jupyter_mlstudio.studio.feed`).
"""

from __future__ import annotations

import json
from typing import Any

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import ws_authenticated
from jupyter_server.base.handlers import JupyterHandler
from tornado import web, websocket

from jupyter_mlstudio.core._streaming import LOG_NAME
from jupyter_mlstudio.errors import MlStudioError
from jupyter_mlstudio.server.hub import EventHub


class EventsHandler(JupyterHandler, websocket.WebSocketHandler):
    """``/events``: the websocket that pushes live events to one studio client."""

    auth_resource = "mlstudio"

    @property
    def hub(self) -> EventHub:
        """The server's event hub (from the web app's ``mlstudio_hub`` setting)."""
        return self.settings["mlstudio_hub"]

    async def pre_get(self) -> None:
        """Refuse (403) a user not authorized to read the ``mlstudio`` resource."""
        authorized = await ensure_async(
            self.authorizer.is_authorized(self, self.current_user, "read", "mlstudio")
        )
        if not authorized:
            raise web.HTTPError(403)

    @ws_authenticated
    async def get(self, *args: Any, **kwargs: Any) -> None:
        """``GET /events``: upgrade to a websocket; 403 when not authenticated or authorized."""
        await self.pre_get()
        res = super().get(*args, **kwargs)
        if res is not None:
            await res

    def open(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """Join the hub and greet: ``{"events": [{"type": "hello"}]}``."""
        self.hub.add(self)
        self.write_message(json.dumps({"events": [{"type": "hello"}]}))

    def on_message(self, message: str | bytes) -> None:
        """Follow or unfollow a run's log, as the message asks.

        ``{"type": "follow_log", "runId", "name"?, "offset"?}`` (name defaults to the run's
        standard log) or ``{"type": "unfollow_log", "runId"}``; other messages are ignored.
        A studio error is sent back as an event ``{"type": "error", "message"}``.
        """
        try:
            body = json.loads(message)
            kind, run_id = body.get("type"), str(body.get("runId") or "")
        except (ValueError, AttributeError):
            return
        try:
            if kind == "follow_log" and run_id:
                offset = body.get("offset")
                self.hub.follow_log(
                    self,
                    run_id,
                    str(body.get("name") or LOG_NAME),
                    int(offset) if isinstance(offset, int) else None,
                )
            elif kind == "unfollow_log" and run_id:
                self.hub.unfollow_log(self, run_id)
        except MlStudioError as exc:
            self.write_message(json.dumps({"events": [{"type": "error", "message": exc.message}]}))

    def send_events(self, events: list[dict[str, Any]]) -> None:
        """Send ``{"events": events}``; a closed socket leaves the hub instead."""
        try:
            self.write_message(json.dumps({"events": events}, allow_nan=False, default=str))
        except websocket.WebSocketClosedError:
            self.hub.remove(self)

    def on_close(self) -> None:
        """Leave the hub (and stop following logs)."""
        self.hub.remove(self)
