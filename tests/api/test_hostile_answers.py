"""Hostile answer contents over a real socket: unencodable text, impossible numbers, ids of the wrong shape.

What an operator would notice: every string the client hands out encodes as UTF-8 (no UnicodeEncodeError in a
terminal, a log or the ledger), an impossible number is unknown rather than a crash, and a copy answer whose job
id does not fit is an error that shows the id exactly (escaped) and says the POST was answered.
"""

from __future__ import annotations

import json

import pytest
from hostile_server import IMAGE_ID, JOB_ID, head, hostile, json_text, raw
from ims_fake_server import REGION, credentials

from imstui.api.client import ImsClient
from imstui.api.errors import ApiError, ConfigurationError, ProtocolError
from imstui.api.models import CopyRequest, JobStatus

COPY = CopyRequest(name="copy-of-web01")


def _image_list(fields: str) -> str:
    return f'{{"images": [{{"id": "{IMAGE_ID}", "status": "active", {fields}}}]}}'


async def test_lone_surrogates_in_an_image_are_replaced() -> None:
    body = _image_list('"name": "web\\ud800", "__description": "a\\udfff\\nb", "owner": "\\ud800"')
    async with hostile(json_text(body)) as server:
        async with server.client() as client:
            image = await client.get_image(IMAGE_ID)
    assert image.name == "web\ufffd" and image.description == "a\ufffd\nb" and image.owner == "\ufffd"


async def test_lone_surrogates_in_a_job_are_replaced_and_the_job_is_still_read() -> None:
    body = (
        '{"status": "FAIL", "fail_reason": "disk\\ud800 full \\u001b[2J", "error_code": "IMG.\\udfff",'
        ' "entities": {"image_name": "\\ud800"}}'
    )
    async with hostile(json_text(body)) as server:
        async with server.client() as client:
            job = await client.get_job(JOB_ID, retry=False)
    assert job.status is JobStatus.FAIL and job.job_id == JOB_ID
    assert job.fail_reason == "disk\ufffd full " and job.error_code == "IMG.\ufffd" and job.image_name == "\ufffd"


async def test_an_error_answer_with_unencodable_text_and_a_hostile_request_id() -> None:
    body = b'{"error": {"code": "IMG.0027\\ud800", "message": "no \\udfff image \\u202e"}}'
    answer = head(400, length=len(body), Content_Type="application/json", X_Request_Id="req\x1b]0;x\x07-\xff1")
    async with hostile(raw(answer + body)) as server:
        async with server.client() as client:
            with pytest.raises(ApiError) as info:
                await client.get_job(JOB_ID, retry=False)
    error = info.value
    str(error).encode("utf-8")
    assert error.message == "no \ufffd image" and error.code == "IMG.0027\ufffd"
    assert error.request_id is not None and "\x1b" not in error.request_id and "\x07" not in error.request_id


@pytest.mark.parametrize(
    ("size", "kept"),
    [("1e400", False), ("1" + "0" * 400, False), ("-4096", False), ("NaN", False), ('"4294967296"', True)],
)
async def test_an_impossible_image_size_is_unknown_not_a_crash(size: str, kept: bool) -> None:
    async with hostile(json_text(_image_list(f'"name": "web01", "__image_size": {size}'))) as server:
        async with server.client() as client:
            image = await client.get_image(IMAGE_ID)
    assert image.name == "web01"
    assert (image.size_bytes == 4294967296) if kept else (image.size_bytes is None and image.problems)


@pytest.mark.parametrize("percent", ["1" + "0" * 400, "1e400", "Infinity", "-1"])
async def test_an_impossible_progress_is_unknown_and_the_job_keeps_its_status(percent: str) -> None:
    body = f'{{"status": "RUNNING", "entities": {{"process_percent": {percent}}}}}'
    async with hostile(json_text(body)) as server:
        async with server.client() as client:
            job = await client.get_job(JOB_ID, retry=False)
    assert job.status is JobStatus.RUNNING and job.progress is None
    assert job.problems and job.problems[0].startswith("process_percent: ")


async def test_a_job_answer_with_another_job_id_keeps_the_one_asked_for() -> None:
    async with hostile(json_text(json.dumps({"status": "SUCCESS", "job_id": "z" * 5000}))) as server:
        async with server.client() as client:
            job = await client.get_job(JOB_ID, retry=False)
    assert job.job_id == JOB_ID and job.status is JobStatus.SUCCESS


# -- the copy answer's job id ---------------------------------------------------------------------------------------


async def test_a_documented_job_id_is_returned_as_it_is() -> None:
    async with hostile(json_text(json.dumps({"job_id": JOB_ID}))) as server:
        async with server.client() as client:
            assert await client.copy_image(IMAGE_ID, COPY) == JOB_ID


@pytest.mark.parametrize(
    ("job_id", "shown"),
    [
        ('"9a175ac8\\ud80092fa"', '"9a175ac8\\ud80092fa"'),
        ('"abc\\u001b]0;x\\u0007def"', '"abc\\u001b]0;x\\u0007def"'),
        ('"' + "f" * 129 + '"', '"' + "f" * 129 + '"'),  # was kept truncated with "…": a different job
        ('"job id"', '"job id"'),
    ],
)
async def test_a_copy_job_id_of_the_wrong_shape_is_refused_shown_exactly_and_says_the_post_was_answered(
    job_id: str, shown: str
) -> None:
    async with hostile(json_text(f'{{"job_id": {job_id}}}', X_Request_Id="req-42")) as server:
        async with server.client() as client:
            with pytest.raises(ProtocolError) as info:
                await client.copy_image(IMAGE_ID, COPY)
        assert sum(r.startswith(b"POST ") for r in server.requests) == 1
    message = str(info.value)
    assert message == (
        "IMS answered the copy request (HTTP 200) with a job id that is not one (letters, digits, '-' or '_', "
        f"1 to 64 characters): {shown} (escaped as received). The copy may have been accepted: check the jobs "
        "list before submitting again."
    )
    message.encode("utf-8")
    assert info.value.request_id == "req-42"


async def test_a_huge_copy_job_id_is_shown_with_its_length_not_silently_cut() -> None:
    async with hostile(json_text(json.dumps({"job_id": "a" * 5000}))) as server:
        async with server.client() as client:
            with pytest.raises(ProtocolError, match=r'"a{1000}"… \(5000 characters in all\) \(escaped as received\)'):
                await client.copy_image(IMAGE_ID, COPY)


async def test_a_numeric_copy_job_id_of_400_digits_is_refused() -> None:
    async with hostile(json_text('{"job_id": ' + "9" * 400 + "}")) as server:
        async with server.client() as client:
            with pytest.raises(ProtocolError, match="with a job id that is not one"):
                await client.copy_image(IMAGE_ID, COPY)


@pytest.mark.parametrize("bad", ["0a1b/../2c", "tok+en/with=signs" * 3, "abc\ud800"])
def test_a_project_id_that_is_not_one_is_refused_without_echoing_it(bad: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        ImsClient(credentials=credentials(), region=REGION, project_id=bad)
    message = str(info.value)
    assert bad not in message and f"({len(bad)} characters, not shown" in message
    message.encode("utf-8")
