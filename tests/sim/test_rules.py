"""Server-side rules: the simulator answers a bad copy request with the IMS code the real service uses."""

from __future__ import annotations

import json

import httpx
import pytest

from imstui.sim import controlled_backend, seed
from imstui.sim.demo import DemoBackend

from .conftest import COPY_HEADERS


async def _post(client: httpx.AsyncClient, image_id: str, content: bytes, version: str = "v1") -> httpx.Response:
    return await client.post(f"/{version}/cloudimages/{image_id}/copy", content=content, headers=COPY_HEADERS)


async def _refused(client: httpx.AsyncClient, image_id: str, body: object, code: str, status: int = 400) -> None:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = await _post(client, image_id, content)
    assert response.status_code == status, response.text
    assert response.json() == {"error": {"code": code, "message": response.json()["error"]["message"]}}
    assert response.json()["error"]["message"]
    assert response.headers["X-Request-Id"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "IMG.0013"),
        ({"name": ""}, "IMG.0013"),
        ({"description": "no name"}, "IMG.0013"),
        ({"name": "n" * 129}, "IMG.0002"),
        ({"name": " leading"}, "IMG.0003"),
        ({"name": "trailing "}, "IMG.0003"),
        ({"name": "bad/slash"}, "IMG.0003"),
        ({"name": "[b]markup"}, "IMG.0003"),
        ({"name": 42}, "IMG.0003"),
        ({"name": "ok", "description": "d" * 1025}, "IMG.0004"),
        ({"name": "ok", "description": "line\nbreak"}, "IMG.0054"),
        ({"name": "ok", "description": "carriage\rreturn"}, "IMG.0054"),
        ({"name": "ok", "description": "<script>"}, "IMG.0054"),
        ({"name": "ok", "cmk_id": "00000000-0000-4000-8000-000000000000"}, "IMG.0095"),
        ({"name": "ok", "enterprise_project_id": "not-a-uuid"}, "IMG.0155"),
        (b"not json", "IMG.0001"),
        (b"[1, 2]", "IMG.0001"),
        (b"", "IMG.0007"),
        (b"  \n", "IMG.0007"),
    ],
)
async def test_bad_copy_bodies_get_the_ims_code(client: httpx.AsyncClient, body: object, code: str) -> None:
    await _refused(client, seed.ELIGIBLE_LINUX_ID, body, code)


async def test_valid_names_including_chinese_and_128_chars_are_accepted(client: httpx.AsyncClient) -> None:
    for name in ("web 01.copy_-x", "中文镜像副本", "n" * 128):
        body = json.dumps({"name": name, "description": "中文 description, with spaces."}).encode()
        assert (await _post(client, seed.ELIGIBLE_LINUX_ID, body)).status_code == 200


@pytest.mark.parametrize(("image_id", "code"), sorted(seed.REFUSALS.items()))
async def test_images_that_cannot_be_copied_are_refused(client: httpx.AsyncClient, image_id: str, code: str) -> None:
    await _refused(client, image_id, {"name": "copy"}, code)


@pytest.mark.parametrize("version", ["v1", "v2.1"])
async def test_both_copy_routes_apply_the_rules(client: httpx.AsyncClient, version: str) -> None:
    response = await _post(client, seed.FULL_ECS_ID, b'{"name": "x"}', version)
    assert response.json()["error"]["code"] == "IMG.0130"
    assert (await _post(client, seed.ELIGIBLE_LINUX_ID, b'{"name": "x"}', version)).status_code == 200


async def test_unknown_and_malformed_image_ids(client: httpx.AsyncClient) -> None:
    await _refused(client, "00000000-0000-4000-8000-000000000000", {"name": "x"}, "IMG.0027")
    await _refused(client, "not-a-uuid", {"name": "x"}, "IMG.0066")
    glance = await client.get("/v2/images/00000000-0000-4000-8000-000000000000")
    assert glance.status_code == 404 and glance.json()["error"]["code"] == "IMG.0027"


async def test_copy_with_the_source_key_is_refused(client: httpx.AsyncClient) -> None:
    await _refused(client, seed.ENCRYPTED_ID, {"name": "x", "cmk_id": seed.DEMO_CMK_ID}, "IMG.0096")
    ok = await _post(client, seed.ENCRYPTED_ID, json.dumps({"name": "x", "cmk_id": seed.SECOND_CMK_ID}).encode())
    assert ok.status_code == 200


async def test_private_image_quota() -> None:
    own = sum(1 for image in seed.catalogue("p") if image["owner"] == "p" and image["__imagetype"] == "private")
    backend = controlled_backend(private_image_quota=own + 2)
    async with backend.client() as client:
        for _ in range(2):
            assert (await _post(client, seed.ELIGIBLE_LINUX_ID, b'{"name": "q"}')).status_code == 200
        await _refused(client, seed.ELIGIBLE_LINUX_ID, {"name": "q"}, "IMG.0015")


async def test_flow_control_limits_unfinished_jobs() -> None:
    backend = controlled_backend(max_running_jobs=2)
    async with backend.client() as client:
        for _ in range(2):
            assert (await _post(client, seed.ELIGIBLE_LINUX_ID, b'{"name": "f"}')).status_code == 200
        await _refused(client, seed.ELIGIBLE_LINUX_ID, {"name": "f"}, "IMG.0060")
        backend.manual_clock.advance(30)  # both finished: room again
        assert (await _post(client, seed.ELIGIBLE_LINUX_ID, b'{"name": "f"}')).status_code == 200


async def test_job_path_with_another_project(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/v1/{'f' * 32}/jobs/{'a' * 32}")
    assert response.status_code == 400 and response.json()["error"]["code"] == "IMG.0067"


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/cloudimages/nothing-here"), ("DELETE", "/v2/cloudimages"), ("GET", "/v1/cloudimages/x/copy")],
)
async def test_unknown_route_or_method_is_gateway_404(backend: DemoBackend, method: str, path: str) -> None:
    async with backend.client() as client:
        response = await client.request(method, path)
    assert response.status_code == 404
    body = response.json()
    assert body["error_code"] == "APIGW.0101"
    assert body["request_id"] == response.headers["X-Request-Id"]


@pytest.mark.parametrize(
    ("faults", "method", "path", "status"),
    [
        (None, "GET", "/v2/cloudimages?limit=1", 200),
        (None, "GET", f"/v2/images/{seed.ELIGIBLE_LINUX_ID}", 200),
        (None, "POST", f"/v2.1/cloudimages/{seed.ELIGIBLE_LINUX_ID}/copy", 400),  # empty body: IMS shape
        (None, "GET", "/v2/images/00000000-0000-4000-8000-000000000000", 404),  # IMS shape
        (None, "GET", f"/v1/cloudimages/job/{'a' * 32}", 400),  # IMG.0023
        (None, "GET", "/v9/nothing", 404),  # gateway shape
        (None, "DELETE", "/v2/cloudimages", 404),  # method not published: gateway shape
        ("list.5xx=1", "GET", "/v2/cloudimages", 500),
        ("list.429=1", "GET", "/v2/cloudimages", 429),
        ("rate=1", "GET", "/v2/cloudimages", 429),  # the second request of the run
        ("list.malformed=1", "GET", "/v2/cloudimages", 200),
        ("list.truncated=1", "GET", "/v2/cloudimages", 200),
    ],
)
async def test_every_response_carries_a_request_id(faults: str | None, method: str, path: str, status: int) -> None:
    backend = controlled_backend(faults=faults, seed=3)
    async with backend.client() as client:
        if faults == "rate=1":
            await client.get(path)
        response = await client.request(method, path)
        unsigned = await client.request(method, path, auth=None)  # the gateway's refusal (401) too
    unknown_route = (
        path.startswith("/v9/") or method == "DELETE"
    )  # the gateway finds no API before it checks the signature
    for answer, expected in ((response, status), (unsigned, 404 if unknown_route else 401)):
        rid = answer.headers["X-Request-Id"]
        assert answer.status_code == expected or (expected == 500 and answer.status_code >= 500)
        assert len(rid) == 32 and int(rid, 16) >= 0
        if answer.headers.get("content-type", "").startswith("application/json") and expected not in (200,):
            try:
                body = answer.json()
            except ValueError:
                continue
            if "error_code" in body:  # gateway shape: the body names the same request id
                assert body["request_id"] == rid
    assert response.headers["X-Request-Id"] != unsigned.headers["X-Request-Id"]


@pytest.mark.parametrize("where", ["handler", "gateway"])
async def test_a_simulator_crash_is_still_a_500_with_a_request_id(where: str, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = controlled_backend()

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulator bug")

    if where == "handler":
        monkeypatch.setattr(backend.state, "list_images_page", boom)
    else:
        monkeypatch.setattr(backend.state.faults, "decide", boom)
    async with backend.client() as client:
        response = await client.get("/v2/cloudimages")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "IMG.0061"
    assert len(response.headers["X-Request-Id"]) == 32
