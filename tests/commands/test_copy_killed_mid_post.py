"""A real `imstui copy` process killed (SIGKILL) while its POST is in flight, against a loopback server that never
answers: the next headless command that opens the ledger shows the submission as "outcome unknown"."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from ims_fake_server import AK, IMAGE_ID, PROJECT_ID, REGION, SK, image_doc


class _NeverAnswersCopy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.post_arrived = threading.Event()
        self.release = threading.Event()


class _Handler(BaseHTTPRequestHandler):
    server: _NeverAnswersCopy

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _json(self, status: int, doc: object) -> None:
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path.startswith("/v2/cloudimages"):
            self._json(200, {"images": [image_doc()]})
        else:
            self._json(404, {"error_code": "APIGW.0101", "error_msg": "The API does not exist."})

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.post_arrived.set()
        self.server.release.wait(600)  # never answers while the test runs


@pytest.fixture
def server() -> Iterator[_NeverAnswersCopy]:
    srv = _NeverAnswersCopy()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.release.set()
        srv.shutdown()
        srv.server_close()


def _env(endpoint: str) -> dict[str, str]:
    env = dict(os.environ)  # the isolated HOME/XDG dirs of this test
    env.update(
        HUAWEICLOUD_SDK_AK=AK,
        HUAWEICLOUD_SDK_SK=SK,
        HUAWEICLOUD_SDK_REGION=REGION,
        HUAWEICLOUD_SDK_PROJECT_ID=PROJECT_ID,
        IMSTUI_IMS_ENDPOINT=endpoint,
    )
    return env


def test_a_copy_killed_mid_post_is_listed_as_outcome_unknown_by_the_next_headless_command(
    server: _NeverAnswersCopy,
) -> None:
    env = _env(f"http://127.0.0.1:{server.server_address[1]}")
    copy = subprocess.Popen(
        [sys.executable, "-m", "imstui", "copy", IMAGE_ID, "--name", "web-copy"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        arrived = server.post_arrived.wait(120)  # the condition, not a guess at how long it takes
        assert arrived, "the copy POST never reached the server"
        os.kill(copy.pid, signal.SIGKILL)
    finally:
        _, copy_err = copy.communicate(timeout=60)  # reaped: its pid no longer counts as alive
    assert copy.returncode == -signal.SIGKILL and "Traceback" not in copy_err

    listed = subprocess.run(
        [sys.executable, "-m", "imstui", "jobs", "--failed", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr
    assert "Traceback" not in listed.stdout + listed.stderr
    [job] = json.loads(listed.stdout)["jobs"]
    assert job["state"] == "outcome_unknown" and job["job_id"] is None
    assert job["name"] == "web-copy" and job["source_image_id"] == IMAGE_ID
    assert "check the image list" in job["fail_reason"]
