"""Fault injection (each kind, deterministic with a seed), the --faults syntax, and the gateway rate limit."""

from __future__ import annotations

import json

import httpx
import pytest

from imstui.sim import FaultConfig, SimConfig, SimulatedDrop, controlled_backend, seed
from imstui.sim.demo import DemoBackend
from imstui.sim.faults import FaultInjector, FaultSpec
from imstui.sim.server import run_in_thread

from .conftest import COPY_HEADERS


async def _statuses(backend: DemoBackend, n: int) -> list[int]:
    async with backend.client() as client:
        return [(await client.get("/v2/cloudimages", params={"limit": "1"})).status_code for _ in range(n)]


def test_fault_syntax_parses_global_and_per_route_settings() -> None:
    config = FaultConfig.parse("5xx=0.1,429=0.05,latency=0.2,drop=0.01,malformed=0.02,rate=50,copy.5xx=0.5")
    assert config.default == FaultSpec(
        error_5xx=0.1, throttle=0.05, latency=(0.2, 0.2), drop=0.01, malformed=0.02, rate=50.0
    )
    assert config.for_route("copy").error_5xx == 0.5
    assert config.for_route("copy").throttle == 0.05  # inherited from the global settings
    assert config.for_route("job") == config.default
    assert FaultConfig.parse(config.describe()) == config
    assert FaultConfig.parse("latency=0.1-0.3").default.latency == (0.1, 0.3)
    assert FaultConfig.parse("") == FaultConfig()
    throttling = FaultConfig.parse("rate=200,window=300,policy=ip,retry_after=2,job.rate=5")
    assert FaultConfig.parse(throttling.describe()) == throttling
    assert (throttling.default.window, throttling.default.policy, throttling.default.retry_after) == (300, "ip", 2)
    assert FaultConfig().default.retry_after is None  # the real gateway's way: no Retry-After unless asked


@pytest.mark.parametrize(
    "text",
    [
        "5xx",
        "5xx=2",
        "bogus=1",
        "nowhere.5xx=0.1",
        "latency=0.3-0.1",
        "rate=0",
        "drop=-0.1",
        "429=abc",
        "window=0",
        "policy=nobody",
    ],
)
def test_bad_fault_syntax_is_a_clear_error(text: str) -> None:
    with pytest.raises(ValueError, match=r"\S"):
        FaultConfig.parse(text)


async def test_5xx_fault_answers_a_server_error_without_processing() -> None:
    backend = controlled_backend(faults="copy.5xx=1", seed=11)
    async with backend.client() as client:
        seen = set()
        for _ in range(12):
            response = await client.post(
                f"/v1/cloudimages/{seed.ELIGIBLE_LINUX_ID}/copy", content=b'{"name": "x"}', headers=COPY_HEADERS
            )
            assert response.status_code >= 500 and response.headers["X-Request-Id"]
            seen.add(response.status_code)
        assert seen == {500, 502, 503}  # IMS 500, an HTML 502 from a proxy, an empty 503
        assert backend.state.copies_created == 0
        assert (await client.get("/v2/cloudimages", params={"limit": "1"})).status_code == 200  # other routes fine


async def test_429_fault_is_the_captured_gateway_answer_without_retry_after() -> None:
    backend = controlled_backend(faults="429=1")
    async with backend.client() as client:
        response = await client.get(f"/v1/cloudimages/job/{'a' * 32}")
    assert response.status_code == 429
    body = response.json()
    assert set(body) == {"error_code", "error_msg", "request_id"} and body["error_code"] == "APIGW.0308"
    assert body["error_msg"] == (
        "The throttling threshold has been reached: policy user over ratelimit,limit:200,time:5 minute"
    )
    assert "Retry-After" not in response.headers


async def test_429_fault_sends_retry_after_only_when_asked() -> None:
    backend = controlled_backend(faults="429=1,retry_after=7,policy=api")
    async with backend.client() as client:
        response = await client.get(f"/v1/cloudimages/job/{'a' * 32}")
    assert response.status_code == 429 and response.headers["Retry-After"] == "7"
    assert "policy api over ratelimit" in response.json()["error_msg"]


async def test_latency_fault_delays_the_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr("imstui.sim.app.asyncio.sleep", fake_sleep)
    monkeypatch.setattr("imstui.sim.app._clock", lambda: 100.0)  # processing takes no time: the whole latency is slept
    backend = controlled_backend(faults="latency=0.5-1.5")
    assert await _statuses(backend, 3) == [200, 200, 200]
    assert len(slept) == 3 and all(0.5 <= s <= 1.5 for s in slept)


async def test_drop_in_process_is_a_transport_error_after_the_copy_was_made() -> None:
    backend = controlled_backend(faults="copy.drop=1")
    async with backend.client() as client:
        with pytest.raises(httpx.TransportError):
            await client.post(
                f"/v1/cloudimages/{seed.ELIGIBLE_LINUX_ID}/copy", content=b'{"name": "x"}', headers=COPY_HEADERS
            )
    assert backend.state.copies_created == 1  # the outcome is unknown to the client, but the job exists


def test_drop_under_uvicorn_closes_the_connection() -> None:
    config = SimConfig.instant(faults=FaultConfig.parse("job.drop=1"))
    with run_in_thread(config) as sim:
        auth_client = httpx.Client(base_url=sim.url, auth=_auth(config), timeout=5)
        with auth_client, pytest.raises(httpx.TransportError) as caught:
            auth_client.get(f"/v1/cloudimages/job/{'a' * 32}")
        assert not isinstance(caught.value, SimulatedDrop)  # a real protocol error seen on the socket
        with httpx.Client(base_url=sim.url, auth=_auth(config), timeout=5) as ok:
            assert ok.get("/v2/cloudimages", params={"limit": "1"}).status_code == 200


def _auth(config: SimConfig) -> httpx.Auth:
    from imstui.api.signer import SdkHmacAuth

    return SdkHmacAuth(config.credentials(), config.project_id)


@pytest.mark.parametrize("kind", ["malformed", "truncated"])
async def test_spoiled_json_is_not_parseable(kind: str) -> None:
    backend = controlled_backend(faults=f"list.{kind}=1")
    async with backend.client() as client:
        response = await client.get("/v2/cloudimages", params={"id": seed.ELIGIBLE_LINUX_ID})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    with pytest.raises(ValueError):
        json.loads(response.content)


async def test_faults_are_deterministic_for_a_seed() -> None:
    spec = "5xx=0.3,429=0.2"
    first = await _statuses(controlled_backend(faults=spec, seed=5), 40)
    second = await _statuses(controlled_backend(faults=spec, seed=5), 40)
    other = await _statuses(controlled_backend(faults=spec, seed=6), 40)
    assert first == second
    assert first != other
    assert {200, 429} <= set(first) and any(s >= 500 for s in first)


def test_injector_draws_only_configured_faults() -> None:
    injector = FaultInjector(FaultConfig.parse("job.drop=1"), seed=0)
    assert injector.decide("list").after is None
    assert injector.decide("job").after == "drop"


async def test_rate_limit_answers_429_beyond_the_budget_and_recovers() -> None:
    backend = controlled_backend(faults="rate=3")
    assert await _statuses(backend, 4) == [200, 200, 200, 429]
    async with backend.client() as client:
        throttled = await client.get("/v2/cloudimages")
        assert throttled.json()["error_code"] == "APIGW.0308" and "Retry-After" not in throttled.headers
        assert throttled.json()["error_msg"].endswith("policy user over ratelimit,limit:3,time:1 second")
        backend.manual_clock.advance(1.0)
        assert (await client.get("/v2/cloudimages", params={"limit": "1"})).status_code == 200


async def test_a_five_minute_window_names_itself_and_refills_only_after_minutes() -> None:
    backend = controlled_backend(faults="rate=2,window=300,retry_after=1")
    assert await _statuses(backend, 3) == [200, 200, 429]
    async with backend.client() as client:
        throttled = await client.get("/v2/cloudimages")
        assert throttled.json()["error_msg"].endswith("limit:2,time:5 minute")
        assert int(throttled.headers["Retry-After"]) == 150  # opted in: the seconds until one token is back
        backend.manual_clock.advance(60)
        assert (await client.get("/v2/cloudimages")).status_code == 429
        backend.manual_clock.advance(90)
        assert (await client.get("/v2/cloudimages")).status_code == 200


async def test_per_route_rate_limit_leaves_other_routes_alone() -> None:
    backend = controlled_backend(faults="job.rate=1")
    async with backend.client() as client:
        codes = [(await client.get(f"/v1/cloudimages/job/{'a' * 32}")).status_code for _ in range(2)]
        assert codes == [400, 429]  # IMG.0023 for the unknown job, then throttled
        assert await _statuses(backend, 5) == [200] * 5


async def test_rate_limit_is_per_access_key() -> None:
    backend = controlled_backend(faults="rate=1")
    assert await _statuses(backend, 2) == [200, 429]
    async with backend.client(credentials=backend.config.temporary_credentials()) as other:
        assert (await other.get("/v2/cloudimages", params={"limit": "1"})).status_code == 200
