"""`imstui image` prints the private-image quota line the console shows; at the limit the verdict says NOT possible
with IMG.0015; a quota call the cloud refuses leaves the quota unknown and the verdict alone. A flow-control
rejection (IMG.0060) of a copy says that nothing was created and that a resubmission is the operator's call."""

from __future__ import annotations

import json

import httpx
import pytest
from ims_fake_server import IMAGE_ID, FakeIms, gateway_error, ims_error

from imstui.cli import main


def _quota(used: int, limit: int) -> httpx.Response:
    return httpx.Response(200, json={"quotas": {"resources": [{"type": "image", "used": used, "quota": limit}]}})


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["image", IMAGE_ID, *argv])
    return code, capsys.readouterr().out


def test_room_left_is_one_line_and_a_json_field(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    fake.queue("GET", "/v1/cloudimages/quota$", _quota(48, 50))
    code, out = _run(capsys)
    assert code == 0 and "Copy within the region: possible" in out
    assert "Quota: private images 48 of 50 used" in out.splitlines()
    fake.queue("GET", "/v1/cloudimages/quota$", _quota(48, 50))
    code, out = _run(capsys, "--json")
    doc = json.loads(out)
    assert doc["quota"] == {
        "line": "private images 48 of 50 used",
        "used": 48,
        "quota": 50,
        "reached": False,
        "problem": None,
    }
    assert doc["eligibility"]["ok"] is True


def test_at_the_limit_the_copy_is_not_possible(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    fake.queue("GET", "/v1/cloudimages/quota$", _quota(50, 50))
    code, out = _run(capsys)
    assert code == 0 and "Copy within the region: NOT possible" in out
    assert "Private image quota reached (50 of 50 used)" in out and "IMG.0015" in out


def test_a_refused_quota_call_is_unknown_and_does_not_block(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    fake.queue("GET", "/v1/cloudimages/quota$", gateway_error(403, "APIGW.0306", "API access denied."))
    code, out = _run(capsys)
    assert code == 0 and "Copy within the region: possible" in out
    assert "Quota: private image quota unknown (HTTP 403 APIGW.0306): not checked" in out
    assert len(fake.seen("GET", "/v1/cloudimages/quota$")) == 1  # one attempt: a pre-flight does not retry


def test_a_flow_control_rejection_says_nothing_was_created(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    fake.queue("POST", "/copy$", ims_error(400, "IMG.0060", "The number of tasks exceeds the flow control limit."))
    code = main(["copy", IMAGE_ID, "--name", "burst-7"])
    err = capsys.readouterr().err
    assert code == 1 and "IMG.0060" in err
    assert "created nothing" in err and "submit again yourself" in err
    assert len(fake.seen("POST", "/copy$")) == 1  # a definite rejection is not resubmitted by imstui
