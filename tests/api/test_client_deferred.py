"""A client whose HTTP stack is built on first use (``defer_http=True``, the console's sessions)."""

from __future__ import annotations

import httpx
import pytest
from ims_fake_server import PROJECT_ID, REGION, credentials

from imstui.api.client import ImsClient
from imstui.api.lazy import lazy_module

JOB_ID = "0123456789abcdef0123456789abcdef"


def _answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"job_id": JOB_ID, "status": "RUNNING", "job_type": "CopyImageInRegion"})


async def test_the_transport_factory_is_called_once_when_the_first_request_needs_it() -> None:
    calls: list[int] = []

    def factory() -> httpx.AsyncBaseTransport:
        calls.append(1)
        return httpx.MockTransport(_answer)

    client = ImsClient(
        credentials=credentials(), region=REGION, project_id=PROJECT_ID, transport=factory, defer_http=True
    )
    assert calls == []
    first = await client.get_job(JOB_ID)
    second = await client.get_job(JOB_ID)
    assert calls == [1] and first.job_id == second.job_id == JOB_ID
    await client.aclose()


async def test_a_closed_deferred_client_sends_nothing_and_closes_its_transport() -> None:
    closed: list[bool] = []

    class Transport(httpx.MockTransport):
        async def aclose(self) -> None:
            closed.append(True)

    client = ImsClient(
        credentials=credentials(),
        region=REGION,
        project_id=PROJECT_ID,
        transport=Transport(_answer),
        defer_http=True,
    )
    await client.aclose()
    assert closed == [True]  # as httpx's client closes the transport it was given
    with pytest.raises(RuntimeError, match="closed"):
        await client.get_job(JOB_ID)


def test_a_lazy_module_loads_on_the_first_name_read_and_keeps_it() -> None:
    stand_in = lazy_module("json")
    assert "json" in repr(stand_in)
    assert stand_in.dumps({"a": 1}) == '{"a": 1}'
    assert "dumps" in vars(stand_in)  # kept: the next read is a plain attribute read
    with pytest.raises(AttributeError):
        stand_in.__wrapped__  # noqa: B018 - dunder probing (copy, inspect) does not load anything
    with pytest.raises(AttributeError):
        stand_in.no_such_name  # noqa: B018
