"""Pushes the studio's change feed to connected clients.

One poll a second (``MLSTUDIO_EVENTS_SECONDS``), only while a client is connected: the store's
change feed gives run status changes and new metric points for everyone, and each client's
log followers give new log lines for the runs it watches.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from typing import Any, Protocol

from tornado.ioloop import PeriodicCallback

from jupyter_mlstudio.errors import MlStudioError
from jupyter_mlstudio.server.context import StudioContext
from jupyter_mlstudio.studio.feed import LogFollower

__all__ = ["EventHub"]

log = logging.getLogger(__name__)


class Client(Protocol):
    """A connected client (the ``/events`` websocket handler) that the hub pushes events to."""

    def send_events(self, events: list[dict[str, Any]]) -> None: ...


class EventHub:
    """Polls the studio's change feed while clients are connected and pushes what is new.

    Parameters
    ----------
    context
        The server's studio context (the workspace and the thread pool for blocking calls).
    seconds
        Seconds between polls (default: ``MLSTUDIO_EVENTS_SECONDS``, else 1).
    """

    def __init__(self, context: StudioContext, seconds: float | None = None) -> None:
        self._context = context
        self._seconds = seconds or float(os.environ.get("MLSTUDIO_EVENTS_SECONDS", "1.0"))
        self._clients: dict[Client, dict[tuple[str, str], LogFollower]] = {}
        self._timer: PeriodicCallback | None = None
        self._busy = False

    # ---- clients -------------------------------------------------------------------------
    def add(self, client: Client) -> None:
        """Start pushing events to ``client``; the first client starts the polling timer."""
        self._clients[client] = {}
        if self._timer is None:
            self._timer = PeriodicCallback(self._tick, self._seconds * 1000)
            self._timer.start()

    def remove(self, client: Client) -> None:
        """Stop pushing to ``client`` (and its log follows); the last one stops the timer."""
        self._clients.pop(client, None)
        if not self._clients and self._timer is not None:
            self._timer.stop()
            self._timer = None

    def follow_log(self, client: Client, run_id: str, name: str, offset: int | None) -> None:
        """Push ``client`` new lines of the run's log ``name`` (replacing a follow of the same).

        Nothing happens for a client that was not added.

        Parameters
        ----------
        client
            A client given to :meth:`add`.
        run_id
            The run whose log to follow.
        name
            The log file's name in the run's files.
        offset
            Byte offset to start from; ``None`` starts at the log's current end (the client
            read the tail over REST).

        Raises
        ------
        WorkspaceNotFoundError
            If the server's folder has no workspace yet.
        """
        studio = self._context.studio()
        followers = self._clients.get(client)
        if followers is not None:
            followers[(run_id, name)] = LogFollower(studio.runs, run_id, name, offset)

    def unfollow_log(self, client: Client, run_id: str) -> None:
        """Stop pushing ``client`` lines of any of the run's logs."""
        followers = self._clients.get(client, {})
        for key in [k for k in followers if k[0] == run_id]:
            del followers[key]

    # ---- polling -------------------------------------------------------------------------
    async def _tick(self) -> None:
        if self._busy:  # a slow poll is still running: skip, do not pile up
            return
        self._busy = True
        try:
            await self._poll()
        finally:
            self._busy = False

    async def _poll(self) -> None:
        try:
            studio = await self._run(self._context.studio)
        except MlStudioError:
            return  # no workspace yet: nothing to report
        try:
            shared = await self._run(studio.feed.poll)
        except Exception:
            log.exception("mlstudio: change feed poll failed")
            shared = []
        for client, followers in list(self._clients.items()):
            events = list(shared)
            for key, follower in list(followers.items()):
                try:
                    event = await self._run(follower.poll)
                except MlStudioError:
                    followers.pop(key, None)  # the run was deleted
                    continue
                if event is not None:
                    events.append(event)
            if events:
                client.send_events(events)

    async def _run(self, fn: Callable[[], Any]) -> Any:
        return await asyncio.wrap_future(self._context.executor.submit(fn))

    def close(self) -> None:
        """Stop polling and forget every client."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._clients.clear()
