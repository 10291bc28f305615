"""Any JSON at all as a page of the image list: the lister yields pages of images with usable ids, encodable text
and in-range numbers, and a next marker that is an id (or none), or raises one of imstui's errors — never anything
else, and never an endless loop."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ims_fake_server import IAM, IMS, PROJECT_ID, REGION, credentials

from imstui.api.client import ImsClient
from imstui.api.errors import ImstuiError
from imstui.api.fields import MAX_SIZE_BYTES, is_api_id
from imstui.api.image_list import ImageLister, ImageQuery
from imstui.api.retry import RetryPolicy

_text = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["\ud800", "\x1b[2J", "\u202e", "[b]x[/b]", "00000000-0000-4000-8000-000000000001", ""]),
)
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30), st.sampled_from([10**400]), _text
)
_json = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_text, inner, max_size=3)),
    max_leaves=10,
)
_ids = st.one_of(st.sampled_from([f"00000000-0000-4000-8000-{n:012d}" for n in range(4)]), _text, _scalars)
_image = st.fixed_dictionaries({"id": _ids}, optional={"name": _text, "__image_size": _scalars, "min_disk": _scalars})
_page = st.one_of(
    _json,
    st.fixed_dictionaries(
        {"images": st.lists(st.one_of(_image, _json), max_size=4)},
        optional={"page_info": st.one_of(_json, st.fixed_dictionaries({"next_marker": _ids}))},
    ),
)


def _lister(answers: list[Any]) -> ImageLister:
    """The answers in turn (the last one again and again: a server that never stops paging)."""
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        doc = answers[min(len(calls), len(answers) - 1)]
        calls.append(request)
        return httpx.Response(200, content=json.dumps(doc).encode("utf-8", "surrogatepass"))

    client = ImsClient(
        credentials=credentials(),
        region=REGION,
        project_id=PROJECT_ID,
        ims_endpoint=IMS,
        iam_endpoint=IAM,
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy.no_retries(),
    )
    return ImageLister(client, page_size=2)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(answers=st.lists(_page, min_size=1, max_size=4))
def test_any_answers_give_clean_pages_or_an_imstui_error(answers: list[Any]) -> None:
    lister = _lister(answers)

    async def walk() -> None:
        seen: set[str] = set()
        try:
            async for page in lister.pages(ImageQuery()):
                assert page.next_marker is None or is_api_id(page.next_marker)
                for image in page.images:
                    assert is_api_id(image.id) and image.id not in seen
                    seen.add(image.id)
                    image.name.encode("utf-8")
                    assert image.size_bytes is None or 0 <= image.size_bytes <= MAX_SIZE_BYTES
        except ImstuiError:
            pass

    asyncio.run(walk())
    assert lister.requests <= 10_000
