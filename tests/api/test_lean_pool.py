"""The lean pool bookkeeping decides exactly what httpcore's own does, on any pool state (hypothesis), and the real
client gets it (and its cookie jar that skips answers without Set-Cookie)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from imstui.api.connection import _Cookies, build_http_client
from imstui.api.lean_pool import LeanConnectionPool, make_lean

ORIGINS = ("a", "b")


@dataclass
class FakeConnection:
    name: str
    origin: str
    closed: bool = False
    expired: bool = False
    idle: bool = False
    available: bool = False
    calls: list[str] = field(default_factory=list)

    def is_closed(self) -> bool:
        return self.closed

    def has_expired(self) -> bool:
        return self.expired

    def is_idle(self) -> bool:
        return self.idle

    def is_available(self) -> bool:
        return self.available

    def can_handle_request(self, origin: str) -> bool:
        return origin == self.origin


@dataclass
class FakeUrl:
    origin: str


@dataclass
class FakeInner:
    url: FakeUrl


@dataclass
class FakeRequest:
    request: FakeInner
    queued: bool
    assigned: str | None = None

    def is_queued(self) -> bool:
        return self.queued and self.assigned is None

    def assign_to_connection(self, connection: FakeConnection) -> None:
        self.assigned = connection.name


connections = st.lists(
    st.builds(
        lambda origin, closed, expired, idle, available: (origin, closed, expired, idle, available),
        st.sampled_from(ORIGINS),
        st.booleans(),
        st.booleans(),
        st.booleans(),
        st.booleans(),
    ),
    max_size=8,
)
requests = st.lists(st.tuples(st.sampled_from(ORIGINS), st.booleans()), max_size=6)


def _pool(cls: type, conns: list[Any], reqs: list[Any], max_connections: int, keepalive: int) -> Any:
    pool: Any = object.__new__(cls)
    pool._connections = [FakeConnection(f"c{i}", *spec) for i, spec in enumerate(conns)]
    pool._requests = [FakeRequest(FakeInner(FakeUrl(origin)), queued) for origin, queued in reqs]
    pool._max_connections = max_connections
    pool._max_keepalive_connections = keepalive
    counter = itertools.count()
    pool.create_connection = lambda origin: FakeConnection(f"new{next(counter)}", origin)
    return pool


def _outcome(pool: Any, closing: list[Any]) -> tuple[Any, ...]:
    return (
        [c.name for c in pool._connections],
        [c.name for c in closing],
        [r.assigned for r in pool._requests],
    )


@settings(max_examples=400, deadline=None)
@given(conns=connections, reqs=requests, max_connections=st.integers(1, 9), keepalive=st.integers(0, 9))
def test_lean_bookkeeping_decides_what_httpcore_decides(
    conns: list[Any], reqs: list[Any], max_connections: int, keepalive: int
) -> None:
    original = _pool(httpcore.AsyncConnectionPool, conns, reqs, max_connections, keepalive)
    lean = _pool(LeanConnectionPool, conns, reqs, max_connections, keepalive)
    expected = _outcome(original, httpcore.AsyncConnectionPool._assign_requests_to_connections(original))
    assert _outcome(lean, lean._assign_requests_to_connections()) == expected


async def test_the_real_client_gets_the_lean_pool_and_the_lean_cookie_jar() -> None:
    http = build_http_client(
        endpoints=["http://127.0.0.1:8800"], transport=None, timeout=httpx.Timeout(5.0), headers={}
    )
    try:
        pools = [t._pool for t in [http._transport, *http._mounts.values()] if isinstance(t, httpx.AsyncHTTPTransport)]
        assert pools and all(type(pool) is LeanConnectionPool for pool in pools)
        assert type(http._cookies) is _Cookies and type(http.cookies) is _Cookies
    finally:
        await http.aclose()


def test_a_pool_of_another_kind_is_left_alone() -> None:
    class Custom(httpcore.AsyncConnectionPool):
        pass

    pool = Custom()
    assert make_lean(pool) is False and type(pool) is Custom
    plain = httpcore.AsyncConnectionPool()
    assert make_lean(plain) is True and type(plain) is LeanConnectionPool
