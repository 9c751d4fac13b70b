"""uvicorn's httptools protocol with TCP_NODELAY set on every accepted socket.

Workers get their listening socket from the supervisor. Plain asyncio only sets TCP_NODELAY
on sockets it knows to be TCP, and a socket rebuilt from a file descriptor can look like
another family (uvicorn's ``fd=`` builds it as AF_UNIX), so Nagle's algorithm stays on and
small answers wait for the client's delayed ACK: about 40 ms a request. Set it here, always.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["NoDelayHttpToolsProtocol", "set_nodelay"]


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
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self.nodelay = set_nodelay(transport)
        super().connection_made(transport)
