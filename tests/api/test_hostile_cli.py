"""The headless commands in front of a hostile server on 127.0.0.1: one JSON document, no traceback.

``imstui image --json`` used to print nothing but an ``OverflowError`` traceback for an image size of 400 digits,
and ``UnicodeEncodeError`` for a lone surrogate in a name.
"""

from __future__ import annotations

import json

import pytest
from hostile_server import IMAGE_ID, JOB_ID, hostile_thread, json_text
from ims_fake_server import AK, PROJECT_ID, REGION, SK

from imstui.cli import main


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", AK)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", SK)
    monkeypatch.setenv("HUAWEICLOUD_SDK_REGION", REGION)
    monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", PROJECT_ID)


HOSTILE_IMAGE = (
    f'{{"images": [{{"id": "{IMAGE_ID}", "name": "web\\ud800-01", "status": "active", "__imagetype": "private",'
    ' "__os_type": "Linux", "__image_size": ' + "9" * 400 + ', "min_disk": 1e400}]}'
)


@pytest.mark.parametrize("as_json", [True, False])
def test_image_with_impossible_numbers_and_a_lone_surrogate(
    env: None, capsys: pytest.CaptureFixture[str], as_json: bool
) -> None:
    with hostile_thread(json_text(HOSTILE_IMAGE)) as server:
        code = main(["image", IMAGE_ID, "--endpoint", server.endpoint, *(["--json"] if as_json else [])])
    out, err = capsys.readouterr()
    out.encode("utf-8")
    err.encode("utf-8")
    assert "Traceback" not in out + err
    assert code == 0, err
    if as_json:
        doc = json.loads(out)
        assert doc["image"]["name"] == "web\ufffd-01"
        assert doc["image"]["id"] == IMAGE_ID
    else:
        assert "web\ufffd-01" in out


def test_job_with_an_impossible_progress_and_unencodable_reason(env: None, capsys: pytest.CaptureFixture[str]) -> None:
    body = (
        '{"status": "failed", "fail_reason": "disk \\ud800 full", "begin_time": "06-Nov-2024 06:14:27:168",'
        ' "end_time": "", "entities": {"process_percent": ' + "1" + "0" * 400 + "}}"
    )
    with hostile_thread(json_text(body)) as server:
        code = main(["job", JOB_ID, "--endpoint", server.endpoint, "--json"])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    doc = json.loads(out)
    assert "disk \ufffd full" in json.dumps(doc, ensure_ascii=False)
    assert code != 0  # the job failed ("failed" is final, as the copy page's prose spells it)
