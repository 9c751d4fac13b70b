"""Keys, auth, metrics and the TCP_NODELAY protocol."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from jupyter_mlstudio.serving import keys
from jupyter_mlstudio.serving.auth import KeyChecker
from jupyter_mlstudio.serving.metrics import Metrics
from jupyter_mlstudio.serving.spec import write_json_atomic


def test_keys_are_sealed_with_the_workspace_secret(tmp_path):
    from jupyter_mlstudio.serving.errors import WebserviceException

    sealer = keys.KeySealer(tmp_path / "secrets" / "k.key")
    key = keys.new_key()
    sealed = sealer.seal(key)
    assert key not in sealed
    assert sealer.open(sealed) == key
    assert oct((tmp_path / "secrets" / "k.key").stat().st_mode & 0o777) == "0o600"
    other = keys.KeySealer(tmp_path / "other.key")
    with pytest.raises(WebserviceException, match="sealed with another workspace secret"):
        other.open(sealed)
    assert len(keys.digest(key)) == 64


def test_key_checker_follows_the_keys_file(tmp_path):
    path = tmp_path / "keys.json"
    checker = KeyChecker(path)
    assert not checker.allows("Bearer anything")  # no file: refuse, never open
    write_json_atomic(path, {"auth_enabled": True, "digests": [keys.digest("k1")]})
    assert checker.allows("Bearer k1")
    assert checker.allows("bearer k1")
    assert not checker.allows("Bearer k2")
    assert not checker.allows("k1")
    assert not checker.allows(None)
    write_json_atomic(path, {"auth_enabled": True, "digests": [keys.digest("k2")]})
    assert checker.allows("Bearer k2") and not checker.allows("Bearer k1")
    write_json_atomic(path, {"auth_enabled": False, "digests": []})
    assert checker.allows(None)


def test_metrics_render_prometheus_text():
    metrics = Metrics("svc", "default")
    metrics.observe(200, 0.0004)
    metrics.observe(200, 0.003)
    metrics.observe(500, 0.2)
    text = metrics.render()
    assert 'mlstudio_requests_total{endpoint="svc",deployment="default"' in text
    assert 'code="200"} 2' in text and 'code="500"} 1' in text
    assert "mlstudio_errors_total{" in text and text.count("mlstudio_errors_total{") == 1
    lines = dict(line.rsplit(" ", 1) for line in text.splitlines() if not line.startswith("#"))
    bucket = 'mlstudio_request_duration_seconds_bucket{endpoint="svc",deployment="default"'
    key = next(k for k in lines if k.startswith(bucket) and 'le="0.0005"' in k)
    assert lines[key] == "1"
    inf = next(k for k in lines if k.startswith(bucket) and 'le="+Inf"' in k)
    assert lines[inf] == "3"


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_accepted_sockets_get_tcp_nodelay_even_from_an_inherited_descriptor(loop):
    """Workers serve a socket inherited as a descriptor; each accepted connection must have
    TCP_NODELAY on (else ~40 ms per small answer)."""
    import uvicorn

    from jupyter_mlstudio.serving.protocol import NoDelayHttpToolsProtocol

    seen: list[bool] = []

    class Recording(NoDelayHttpToolsProtocol):
        def connection_made(self, transport):
            super().connection_made(transport)
            sock = transport.get_extra_info("socket")
            seen.append(bool(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)))

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    # As uvicorn's fd= does: a socket object built from the descriptor claiming AF_UNIX.
    inherited = socket.fromfd(listener.fileno(), socket.AF_UNIX, socket.SOCK_STREAM)
    config = uvicorn.Config(app, http=Recording, loop=loop, lifespan="off", log_level="error")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [inherited]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        for _ in range(3):
            with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
                client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                assert client.recv(1024).startswith(b"HTTP/1.1 200")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()
    assert seen == [True, True, True]


def test_routes_split_every_hundred_requests_exactly(tmp_path):
    from collections import Counter

    from jupyter_mlstudio.serving.router import Routes

    path = tmp_path / "routes.json"
    write_json_atomic(
        path, {"routes": {"blue": {"port": 1, "traffic": 90}, "green": {"port": 2, "traffic": 10}}}
    )
    routes = Routes(path)
    picks = [routes.pick() for _ in range(100)]
    assert Counter(picks) == {"blue": 90, "green": 10}
    assert "green" not in picks[:5] or picks.count("green") == 10  # spread, not bunched
    write_json_atomic(
        path, {"routes": {"blue": {"port": 1, "traffic": 0}, "green": {"port": 2, "traffic": 100}}}
    )
    routes.reload()
    assert {routes.pick() for _ in range(10)} == {"green"}
    write_json_atomic(
        path, {"routes": {"blue": {"port": 1, "traffic": 0}, "green": {"port": 2, "traffic": 0}}}
    )
    routes.reload()
    assert routes.pick() is None
