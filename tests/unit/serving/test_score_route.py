"""``POST /score`` answered in front of Starlette (serving/app.py), the other routes behind it."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from jupyter_mlstudio.serving.app import build_app
from jupyter_mlstudio.serving.auth import KeyChecker
from jupyter_mlstudio.serving.keys import digest
from jupyter_mlstudio.serving.scoring import ScoringService

SCORE = """
import json
def init():
    pass
def run(raw_data):
    data = json.loads(raw_data)
    if data.get("explode"):
        raise RuntimeError("asked to explode")
    return [sum(row) for row in data["data"]]
"""


@pytest.fixture
def app(tmp_path):
    (tmp_path / "score.py").write_text(SCORE)
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"digests": [digest("good-key")], "auth_enabled": True}))
    service = ScoringService.load(str(tmp_path / "score.py"))
    return build_app(
        service, endpoint="e", deployment="d", keys=KeyChecker(keys), max_body_bytes=200
    )


class _Client:
    """Synchronous calls into the ASGI app (no server, no network)."""

    def __init__(self, app) -> None:
        self.app = app

    def _call(self, method: str, url: str, **kw) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://e") as client:
                return await client.request(method, url, **kw)

        return asyncio.run(go())

    def post(self, url: str, **kw) -> httpx.Response:
        return self._call("POST", url, **kw)

    def get(self, url: str, **kw) -> httpx.Response:
        return self._call("GET", url, **kw)


def test_score_answers_checks_keys_and_limits(app):
    client = _Client(app)
    good = {"Authorization": "Bearer good-key"}
    answer = client.post("/score", content=b'{"data": [[1, 2], [3, 4]]}', headers=good)
    assert (answer.status_code, answer.json()) == (200, [3, 7])
    assert answer.headers["content-type"] == "application/json"

    refused = client.post("/score", content=b'{"data": [[1]]}', headers={"Authorization": "x"})
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == 'Bearer realm="score"'
    assert refused.json()["error"]["code"] == "Unauthorized"

    big = client.post("/score", content=b'{"data": [' + b"1," * 200 + b"1]}", headers=good)
    assert (big.status_code, big.json()["error"]["code"]) == (413, "BodyTooLarge")

    failed = client.post("/score", content=b'{"explode": true}', headers=good)
    assert failed.status_code == 500 and "Traceback" not in failed.text
    bad = client.post("/score", content=b"{not json", headers=good)
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "MalformedJson")

    # The other routes are Starlette's, behind it.
    assert client.get("/score").text == "Healthy"
    assert "requests" in client.get("/metrics").text.lower()
    assert client.get("/nowhere").status_code == 404


def test_a_body_in_chunks_is_joined_and_a_chunked_oversize_refused(app):
    def call(chunks: list[bytes]) -> tuple[int, bytes]:
        sent: list[dict] = []
        messages = [
            {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
            for i, c in enumerate(chunks)
        ]

        async def receive() -> dict:
            return messages.pop(0)

        async def send(message: dict) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "method": "POST",
            "path": "/score",
            "headers": [(b"authorization", b"Bearer good-key")],  # no content-length
        }
        asyncio.run(app(scope, receive, send))
        return sent[0]["status"], sent[1]["body"]

    assert call([b'{"data": ', b"[[1, 2]]", b"}"]) == (200, b"[3]")
    status, body = call([b'{"data": [' + b"1," * 60, b"1," * 60, b"1]}"])
    assert status == 413 and b"BodyTooLarge" in body
