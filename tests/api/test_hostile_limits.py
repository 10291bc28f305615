"""Deadlines and size limits against a hostile server on 127.0.0.1: the error an operator sees, never a hang.

The total deadline in these tests is 0.5 s while httpx's between-bytes timeouts stay at 5 s: a server that keeps
sending (one byte every 50 ms) or sends nothing after its headers can only be stopped by the deadline, so each
test asserts on the error it gives, never on elapsed time.
"""

from __future__ import annotations

import asyncio
import json
import zlib

import httpx
import pytest
from hostile_server import (
    IMAGE_ID,
    JOB_ID,
    announced,
    endless,
    gzip_bomb,
    gzipped,
    head,
    hostile,
    json_doc,
    raw,
)
from ims_fake_server import image_doc, job_doc

from imstui.api.errors import ConnectError, OutcomeUnknownError, ProtocolError, RequestTimeoutError
from imstui.api.limits import Limits
from imstui.api.models import CopyRequest, JobStatus

SLOW_BYTES = httpx.Timeout(5.0)  # between bytes: never reached before the 0.5 s deadline
COPY = CopyRequest(name="copy-of-web01")


async def _stall(writer: asyncio.StreamWriter) -> None:
    """Read the request and answer nothing at all (until the test ends)."""
    await asyncio.Event().wait()


async def _headers_then_stall(writer: asyncio.StreamWriter) -> None:
    """Headers and the first bytes of a body, then nothing more."""
    writer.write(head(200, length=1000, Content_Type="application/json") + b'{"status": "RUN')
    await writer.drain()
    await asyncio.Event().wait()


# -- deadline ------------------------------------------------------------------------------------------------------


async def test_a_body_trickling_one_byte_at_a_time_hits_the_total_deadline() -> None:
    trickle = endless(b" ", pause=0.05, Content_Type="application/json")
    async with hostile(trickle, json_doc(job_doc("RUNNING"))) as server:
        async with server.client(timeout=SLOW_BYTES) as client:
            with pytest.raises(RequestTimeoutError) as info:
                await client.get_job(JOB_ID, retry=False)
            after = await client.get_job(JOB_ID, retry=False)  # the client is still usable: the next check works
    assert after.status is JobStatus.RUNNING
    message = str(info.value)
    assert message == (
        "127.0.0.1 began answering (HTTP 200) but did not send a complete answer within 0.5 s "
        "(the limit for one request: connect, send and the whole answer)"
    )


async def test_a_server_that_never_answers_hits_the_deadline() -> None:
    async with hostile(_stall) as server:
        async with server.client(timeout=SLOW_BYTES) as client:
            with pytest.raises(
                RequestTimeoutError, match=r"^127\.0\.0\.1 did not send a complete answer within 0\.5 s"
            ):
                await client.get_image(IMAGE_ID)
        assert len(server.requests) == 1  # sent once: the poller/retry policy decides about another try


async def test_the_copy_post_that_never_completes_is_outcome_unknown_and_sent_once() -> None:
    async with hostile(_headers_then_stall) as server:
        async with server.client(timeout=SLOW_BYTES) as client:
            with pytest.raises(OutcomeUnknownError) as info:
                await client.copy_image(IMAGE_ID, COPY)
        posts = [r for r in server.requests if r.startswith(b"POST ")]
    assert len(posts) == 1
    assert str(info.value).startswith(
        f"outcome unknown — the copy request for image {IMAGE_ID} may have reached IMS but its answer did not "
        "arrive whole within 0.5 s."
    )
    assert "never resends" in str(info.value)


async def test_a_copy_post_without_any_answer_is_outcome_unknown() -> None:
    async with hostile(_stall) as server:
        async with server.client(timeout=SLOW_BYTES) as client:
            with pytest.raises(OutcomeUnknownError, match=r"no answer came within 0\.5 s"):
                await client.copy_image(IMAGE_ID, COPY)


async def test_nothing_sent_when_the_deadline_passes_before_connecting() -> None:
    """A deadline of 0 s passes before any byte leaves: a clear 'nothing was sent' (even for the POST)."""
    async with hostile() as server:
        async with server.client(Limits(deadline=0.0), timeout=SLOW_BYTES) as client:
            with pytest.raises(
                ConnectError, match=r"^timed out connecting to 127\.0\.0\.1 within 0 s \(nothing was sent\)$"
            ):
                await client.copy_image(IMAGE_ID, COPY)
        assert server.requests == []


async def test_a_prompt_answer_is_unaffected_by_the_deadline() -> None:
    async with hostile(json_doc(job_doc("RUNNING", entities={"process_percent": 40}))) as server:
        async with server.client(timeout=SLOW_BYTES) as client:
            job = await client.get_job(JOB_ID, retry=False)
    assert job.status is JobStatus.RUNNING and job.progress == pytest.approx(0.4)


# -- size ----------------------------------------------------------------------------------------------------------


async def test_an_announced_100_mb_body_is_refused_before_reading_it() -> None:
    async with hostile(announced(100 * 1024 * 1024)) as server:
        async with server.client() as client:
            with pytest.raises(ProtocolError) as info:
                await client.get_job(JOB_ID, retry=False)
    assert str(info.value) == (
        f"the answer to GET /v1/cloudimages/job/{JOB_ID} (HTTP 200) was not read: it announces 104,857,600 bytes, "
        "more than the limit "
        "(1 MiB received, 1 MiB decompressed)"
    )


async def test_an_endless_chunked_body_is_cut_at_the_limit() -> None:
    async with hostile(endless(b"[" * 65536, Content_Type="application/json")) as server:
        async with server.client(timeout=SLOW_BYTES) as client:
            with pytest.raises(ProtocolError, match="was not read: it is longer than the limit"):
                await client.get_image(IMAGE_ID)


async def test_a_gzip_bomb_is_stopped_at_the_decompression_limit() -> None:
    bomb = gzip_bomb(64)  # 64 MiB of JSON in well under 1 MiB of gzip
    assert len(bomb) < 1024 * 1024
    async with hostile(gzipped(bomb)) as server:
        async with server.client() as client:
            with pytest.raises(ProtocolError) as info:
                await client.get_image(IMAGE_ID)
    assert "was not read: it decompresses to more than the limit (1 MiB received, 1 MiB decompressed)" in str(
        info.value
    )


async def test_the_default_limits_stop_a_gzip_bomb_too() -> None:
    async with hostile(gzipped(gzip_bomb(64))) as server:
        async with server.client(Limits()) as client:
            with pytest.raises(ProtocolError, match=r"decompresses to more than the limit \(10 MiB received, 10 MiB"):
                await client.get_image(IMAGE_ID)


async def test_a_copy_answer_over_the_limit_says_the_post_was_answered() -> None:
    async with hostile(gzipped(gzip_bomb(8))) as server:
        async with server.client() as client:
            with pytest.raises(ProtocolError) as info:
                await client.copy_image(IMAGE_ID, COPY)
    message = str(info.value)
    assert message.startswith(f"the answer to the copy request for image {IMAGE_ID} (HTTP 200) was not read")
    assert "the copy may have been accepted: check the jobs list before submitting again" in message


@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS | 16, zlib.MAX_WBITS, -zlib.MAX_WBITS], ids=["gzip", "zlib", "raw"])
async def test_compressed_answers_within_the_limits_are_read(wbits: int) -> None:
    squeeze = zlib.compressobj(6, zlib.DEFLATED, wbits)
    body = squeeze.compress(json.dumps({"images": [image_doc()]}).encode()) + squeeze.flush()
    coding = "gzip" if wbits > zlib.MAX_WBITS else "deflate"
    answer = raw(head(200, length=len(body), Content_Encoding=coding, Content_Type="application/json") + body)
    async with hostile(answer) as server:
        async with server.client() as client:
            image = await client.get_image(IMAGE_ID)
        assert b"accept-encoding: gzip, deflate" in server.requests[0].lower()
    assert image.name == "web01-golden"


@pytest.mark.parametrize(
    ("coding", "body", "why"),
    [
        ("br", b"\x0b\x02\x80{}\x03", "it is encoded as 'br', which imstui cannot read"),
        ("gzip", b"\x1f\x8bnot really gzip", "its compressed body is damaged"),
    ],
)
async def test_an_unreadable_coding_is_one_clear_error(coding: str, body: bytes, why: str) -> None:
    answer = raw(head(200, length=len(body), Content_Encoding=coding, Content_Type="application/json") + body)
    async with hostile(answer) as server:
        async with server.client() as client:
            with pytest.raises(ProtocolError, match=why):
                await client.get_job(JOB_ID, retry=False)


def test_the_default_budget_is_the_read_timeout_and_generous_size_caps() -> None:
    """What `imstui job` against a 1-byte-a-second server waits at most: 30 s, then one clear error."""
    assert Limits() == Limits(deadline=30.0, max_body_bytes=10 * 1024 * 1024, max_decoded_bytes=10 * 1024 * 1024)
