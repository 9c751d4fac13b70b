"""uvicorn's httptools protocol with TCP_NODELAY on, and a gentler shutdown for swaps.

Workers get their listening socket from the supervisor. Plain asyncio only sets TCP_NODELAY
on sockets it knows to be TCP, and a socket rebuilt from a file descriptor can look like
another family (uvicorn's ``fd=`` builds it as AF_UNIX), so Nagle's algorithm stays on and
small answers wait for the client's delayed ACK: about 40 ms a request. Set it here, always.

When a worker stops because a newer one took over, uvicorn would close idle kept-alive
connections at once; a request the client sent in that instant then meets a reset. Here an
idle connection stays open for ``DRAIN_IDLE_SECONDS``: a request arriving meanwhile is
answered with ``Connection: close``, and only a connection still idle after that is closed.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["DRAIN_IDLE_SECONDS", "NoDelayHttpToolsProtocol", "set_nodelay"]

DRAIN_IDLE_SECONDS = 2.0


def set_nodelay(transport: asyncio.BaseTransport) -> bool:
    """Turn TCP_NODELAY on for the transport's socket; returns whether it is on."""
    sock = transport.get_extra_info("socket")
    if sock is None:
        return False
    # No check of sock.family: a socket rebuilt from a descriptor may report the wrong one.
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return bool(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
    except OSError:
        return False


class NoDelayHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with TCP_NODELAY on and idle connections drained on stop.

    Pass it as ``http=`` to ``uvicorn.Config``; one instance serves one connection.
    """

    _draining = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Turn TCP_NODELAY on for the new connection, then serve it as uvicorn does.

        ``self.nodelay`` records whether the option took.
        """
        self.nodelay = set_nodelay(transport)
        super().connection_made(transport)

    def shutdown(self) -> None:
        """Wind the connection down when the server stops.

        An idle connection stays open for ``DRAIN_IDLE_SECONDS``: a request arriving
        meanwhile is answered with ``Connection: close``, and one still idle then is closed.
        A connection busy with a request closes after its answer.
        """
        if self.cycle is None or self.cycle.response_complete:
            self._draining = True
            asyncio.get_running_loop().call_later(DRAIN_IDLE_SECONDS, self._close_if_idle)
        else:
            self.cycle.keep_alive = False

    def on_headers_complete(self) -> None:
        """Start the request as uvicorn does; while draining, its answer closes the connection."""
        super().on_headers_complete()
        if self._draining and self.cycle is not None:
            self.cycle.keep_alive = False  # answer it, then close

    def _close_if_idle(self) -> None:
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:
            self.transport.close()
        else:
            self.cycle.keep_alive = False
