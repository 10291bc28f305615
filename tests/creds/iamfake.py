"""A fake IAM that checks SDK-HMAC signatures with the simulator's verifier: in-process (MockTransport) or on
127.0.0.1 (for subprocess tests)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx

from imstui.api.secret import Secret
from imstui.sim.auth import AccessKey, AuthFailure, verify

PROJECT_ID = "0b1d2c3e4f5a46b7c8d9e0f1a2b3c4d5"


def answer(
    method: str, target: str, headers: dict[str, str], body: bytes, keys: dict[str, AccessKey]
) -> tuple[int, dict[str, object]]:
    split = urlsplit(target)
    try:
        verify(
            method=method,
            raw_path=split.path,
            raw_query=split.query,
            headers=headers,
            body=body,
            keys=keys,
            now=time.time(),
        )
    except AuthFailure as exc:
        return 401, {"error_code": "APIGW.0301", "error_msg": exc.message, "request_id": "req-fake-iam"}
    if split.path != "/v3/projects":
        return 404, {"error_code": "APIGW.0101", "error_msg": "not found", "request_id": "req-fake-iam"}
    name = parse_qs(split.query).get("name", [""])[0]
    return 200, {"projects": [{"id": PROJECT_ID, "name": name}], "links": {}}


def keyset(ak: str, sk: str) -> dict[str, AccessKey]:
    return {ak: AccessKey(ak=ak, sk=Secret(sk))}


def mock_iam(ak: str, sk: str) -> httpx.MockTransport:
    keys = keyset(ak, sk)

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        status, body = answer(request.method, request.url.raw_path.decode(), headers, request.content, keys)
        return httpx.Response(status, json=body)

    return httpx.MockTransport(handler)


@contextmanager
def serve_iam(ak: str, sk: str) -> Iterator[str]:
    """A fake IAM on 127.0.0.1; yields its base URL."""
    keys = keyset(ak, sk)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, body = answer("GET", self.path, headers, b"", keys)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
