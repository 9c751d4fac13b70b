"""Accepting connections on a listening socket shared by several worker processes, fairly.

Every worker of a deployment accepts from the one socket the supervisor holds. Left to the event
loop, the first worker to wake takes every connection waiting, so a client that opens its
8 kept-alive connections at once gets one busy worker and one idle one (measured: 6 and 2, and
two workers served no more than one). Here a worker takes one connection at a time and, when
it has siblings, waits before taking the next one for a time that grows with the connections
it already holds, so the worker holding fewer gets there first. The wait is a fraction of a
millisecond per held connection: kept-alive clients do not notice it, and a worker that is the
only one in its generation never waits.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from collections.abc import Callable

import uvicorn

__all__ = ["BalancedServer", "FairAcceptor", "accept_pause"]

log = logging.getLogger("jupyter_mlstudio.serving")

# Seconds a worker waits before its next accept, per connection it holds (when it has siblings).
PAUSE_PER_CONNECTION = 0.001
PAUSE_MAX = 0.01
# Out of descriptors or memory: back off instead of spinning on a readable socket.
_RESOURCE_ERRORS = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


def accept_pause(held: int, siblings: bool) -> float:
    """Seconds to wait before the next accept for a worker holding ``held`` connections.

    Parameters
    ----------
    held : int
        Open connections this worker serves now.
    siblings : bool
        Whether other workers accept from the same socket; without them there is no one to
        leave the connection to, so the answer is 0.

    Returns
    -------
    float
        0 when the worker should accept again at once.
    """
    if not siblings or held <= 0:
        return 0.0
    return min(PAUSE_MAX, held * PAUSE_PER_CONNECTION)


class FairAcceptor:
    """Accepts one connection at a time from ``sock`` and hands it to ``protocol_factory``.

    It stands where uvicorn keeps its ``asyncio.Server`` objects, so it has their ``close``
    and ``wait_closed``.

    Parameters
    ----------
    loop : asyncio.AbstractEventLoop
        The worker's running loop.
    sock : socket.socket
        The shared listening socket (made non-blocking here).
    protocol_factory : Callable[[], asyncio.Protocol]
        Makes the HTTP protocol for an accepted connection.
    held : Callable[[], int]
        How many connections this worker serves now.
    siblings : bool
        Whether other workers accept from the same socket.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        sock: socket.socket,
        protocol_factory: Callable[[], asyncio.Protocol],
        held: Callable[[], int],
        siblings: bool,
    ) -> None:
        self._loop = loop
        self._sock = sock
        self._factory = protocol_factory
        self._held = held
        self._siblings = siblings
        self._closed = False
        self._armed = False
        self._resume: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[object]] = set()
        sock.setblocking(False)
        self._arm()

    def _arm(self) -> None:
        self._resume = None
        if not self._closed and not self._armed:
            self._loop.add_reader(self._sock.fileno(), self._on_readable)
            self._armed = True

    def _disarm(self) -> None:
        if self._armed:
            self._loop.remove_reader(self._sock.fileno())
            self._armed = False

    def _on_readable(self) -> None:
        try:
            conn, _ = self._sock.accept()
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            return  # a sibling took it, or the client gave up: wait for the next one
        except OSError as exc:
            if exc.errno in _RESOURCE_ERRORS:
                log.warning("cannot accept a connection now (%s); retrying in 0.1 s", exc)
                self._pause(0.1)
                return
            raise
        conn.setblocking(False)
        task = self._loop.create_task(self._serve(conn))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        # +1: the connection just taken is not in the worker's count until its protocol starts.
        pause = accept_pause(self._held() + 1, self._siblings)
        if pause:
            self._pause(pause)

    def _pause(self, seconds: float) -> None:
        self._disarm()
        self._resume = self._loop.call_later(seconds, self._arm)

    async def _serve(self, conn: socket.socket) -> None:
        try:
            await self._loop.connect_accepted_socket(self._factory, conn)
        except OSError:
            conn.close()  # the client went away before the transport was made

    def close(self) -> None:
        """Stop accepting; connections already taken stay with their protocols."""
        self._closed = True
        self._disarm()
        if self._resume is not None:
            self._resume.cancel()
            self._resume = None

    async def wait_closed(self) -> None:
        """Wait for connections taken but not yet handed to a protocol."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


class BalancedServer(uvicorn.Server):
    """uvicorn's server, accepting from a shared socket through a :class:`FairAcceptor`.

    Parameters
    ----------
    config : uvicorn.Config
        The server's configuration (its ``http`` protocol class serves each connection).
    sock : socket.socket
        The listening socket shared with the deployment's other workers.
    siblings : bool
        Whether other workers accept from ``sock`` too.
    """

    def __init__(self, config: uvicorn.Config, sock: socket.socket, siblings: bool) -> None:
        super().__init__(config)
        self._listen = sock
        self._siblings = siblings

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start as uvicorn does, but accept through a :class:`FairAcceptor`."""
        await super().startup(sockets=[])  # the app and lifespan, no listeners of its own
        loop = asyncio.get_running_loop()
        config, state = self.config, self.server_state

        def create_protocol() -> asyncio.Protocol:
            return config.http_protocol_class(  # type: ignore[call-arg]
                config=config, server_state=state, app_state=self.lifespan.state, _loop=loop
            )

        acceptor = FairAcceptor(
            loop, self._listen, create_protocol, lambda: len(state.connections), self._siblings
        )
        self.servers = [acceptor]  # type: ignore[list-item]
