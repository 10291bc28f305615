"""Any JSON at all as an image list, a job status or a copy answer: the client either returns a model whose every
string encodes as UTF-8 and whose numbers are in range, or raises one of imstui's errors, never anything else
(a stray exception would end `imstui job` in a traceback or stop a poller's check)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ims_fake_server import IMAGE_ID, JOB_ID, FakeIms, make_client

from imstui.api.errors import ImstuiError
from imstui.api.models import CopyRequest, Image, Job

_text = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["\ud800", "\udfff", "\x1b[2J", "\u202e", "SUCCESS", "failed", "06-Nov-2024 06:14:27:168", ""]),
)
_numbers = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40),
    st.sampled_from([10**400, -(10**400), 2**63]),
    st.floats(allow_nan=True, allow_infinity=True),
)
_scalars = st.one_of(st.none(), st.booleans(), _numbers, _text)
_json = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_text, inner, max_size=3)),
    max_leaves=12,
)
_IMAGE_KEYS = ["id", "name", "status", "__image_size", "min_disk", "min_ram", "tags", "__whole_image", "__os_type"]
_JOB_KEYS = ["job_id", "status", "begin_time", "end_time", "fail_reason", "error_code", "entities"]
_ENTITY_KEYS = ["process_percent", "image_id", "image_name", "sub_jobs_result", "error", "current_task"]


def _shaped(keys: list[str], value: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(keys), value, max_size=len(keys))


_entities = _shaped(_ENTITY_KEYS, st.one_of(_json, st.lists(_shaped(_JOB_KEYS, _json), max_size=2)))
_job_docs = st.one_of(_json, _shaped(_JOB_KEYS, st.one_of(_json, _entities)))
_image_docs = st.one_of(
    _json,
    st.builds(
        lambda doc: {"images": [{**doc, "id": IMAGE_ID}]}, _shaped(_IMAGE_KEYS, st.one_of(_json, st.lists(_text)))
    ),
)


def _body(doc: Any) -> bytes:
    return json.dumps(doc, allow_nan=True).encode("utf-8", "surrogatepass")


def _check_strings(value: Any) -> None:
    if isinstance(value, str):
        value.encode("utf-8")
    elif isinstance(value, tuple):
        for item in value:
            _check_strings(item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            _check_strings(getattr(value, item.name))


async def _ask(doc: Any, call: str) -> Any:
    fake = FakeIms()
    path = {"image": "/v2/cloudimages", "job": "/v1/cloudimages/job/", "copy": "/copy"}[call]
    fake.queue("POST" if call == "copy" else "GET", path, httpx.Response(200, content=_body(doc)))
    fake.queue("GET", path, httpx.Response(200, content=_body(doc)))  # the image lookup's second look
    async with make_client(fake) as client:
        if call == "image":
            return await client.get_image(IMAGE_ID)
        if call == "job":
            return await client.get_job(JOB_ID, retry=False)
        return await client.copy_image(IMAGE_ID, CopyRequest(name="c"))


def _run(doc: Any, call: str) -> None:
    try:
        result = asyncio.run(_ask(doc, call))
    except ImstuiError as error:
        str(error).encode("utf-8")
        return
    _check_strings(result)
    if isinstance(result, Image) and result.size_bytes is not None:
        assert 0 <= result.size_bytes <= 2**50
    if isinstance(result, Job) and result.progress is not None:
        assert 0.0 <= result.progress <= 1.0


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(doc=_image_docs)
def test_any_image_list(doc: Any) -> None:
    _run(doc, "image")


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(doc=_job_docs)
def test_any_job_status(doc: Any) -> None:
    _run(doc, "job")


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(doc=st.one_of(_json, _shaped(["job_id"], _json)))
def test_any_copy_answer(doc: Any) -> None:
    _run(doc, "copy")
