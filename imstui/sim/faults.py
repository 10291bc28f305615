"""Fault injection and gateway throttling for the simulator.

``--faults`` syntax: comma-separated ``key=value`` items; a key may be prefixed with a route name and a dot to
apply to that route only (route settings override the global ones key by key)::

    5xx=0.1,429=0.05,latency=0.2,drop=0.01,malformed=0.02,truncated=0.01,rate=200,window=300,copy.5xx=0.5

Keys:

``5xx=P``        probability of a server error instead of the real answer (the request is not processed): one of
                 500 ``{"error":{"code":"IMG.0061",...}}``, 502 HTML page, 503 empty body, chosen by the RNG.
``429=P``        probability of ``429 APIGW.0308`` (the request is not processed). Like the real gateway
                 (``kms-eps-tags.md`` §4) the answer has no ``Retry-After``; the window is only in the message:
                 "The throttling threshold has been reached: policy user over ratelimit,limit:200,time:5 minute"
                 (limit and time from ``rate``/``window`` when set, else the captured 200 per 5 minutes).
``latency=S``    the service's response time in seconds: the answer leaves S seconds after the request came in,
                 its processing included (a request is processed when it arrives, as a real service does, so a
                 copy is made even if the client gives up waiting); ``latency=A-B`` picks uniformly in [A, B].
``drop=P``       probability that the connection is dropped *after* the request was processed (a copy job is
                 created!): under uvicorn the status line and headers go out, then the connection closes; in
                 process (httpx.ASGITransport) the app raises ``SimulatedDrop`` (an ``httpx.RemoteProtocolError``).
``malformed=P``  probability that the (already computed) JSON answer is replaced by invalid JSON.
``truncated=P``  probability that the JSON answer is cut in half (with a matching Content-Length).
``rate=N``       gateway budget: N requests per ``window`` per AK (token bucket of N tokens, refilled at N per
                 window on the sim clock); beyond it ``429 APIGW.0308`` naming the limit and window. Global rate =
                 one bucket per AK over all routes; ``job.rate=N`` = a bucket per AK for that route.
``window=S``     the throttling window in seconds (default 1; ``window=300`` is the captured "time:5 minute").
``policy=NAME``  the policy the 429 message names: ``user`` (default), ``api`` or ``ip``.
``retry_after=S`` opt-in ``Retry-After`` header (not what the real gateway sends): injected 429s carry S
                 seconds, rate-limited 429s the seconds until the bucket has a token again.

Routes: ``projects`` (GET /v3/projects), ``domains`` (GET /v3/auth/domains), ``list`` (GET /v2/cloudimages),
``image`` (GET /v2/images/{id}), ``copy`` (both copy POSTs), ``job`` (both job GETs), ``quota``
(GET /v1/cloudimages/quota), ``tags`` (an image's tags/action POST and tags GET).
Decisions come from a ``random.Random(seed)``: the same seed and request sequence give the same faults.
"""

from __future__ import annotations

import math
import random
import threading
from dataclasses import dataclass, field, fields, replace

ROUTES = ("projects", "domains", "list", "image", "copy", "job", "quota", "tags")

_KEYS = {
    "5xx": "error_5xx",
    "500": "error_5xx",
    "429": "throttle",
    "throttle": "throttle",
    "latency": "latency",
    "drop": "drop",
    "malformed": "malformed",
    "truncated": "truncated",
    "truncate": "truncated",
    "rate": "rate",
    "retry_after": "retry_after",
    "retry-after": "retry_after",
    "window": "window",
    "policy": "policy",
}
POLICIES = ("user", "api", "ip")
# The one captured throttling answer (terraform-provider-huaweicloud#1335): 200 requests per 5 minutes.
CAPTURED_LIMIT = 200
CAPTURED_WINDOW = 300.0
_PROBABILITIES = ("error_5xx", "throttle", "drop", "malformed", "truncated")


@dataclass(frozen=True)
class FaultSpec:
    error_5xx: float = 0.0
    throttle: float = 0.0
    latency: tuple[float, float] = (0.0, 0.0)
    drop: float = 0.0
    malformed: float = 0.0
    truncated: float = 0.0
    rate: float | None = None
    retry_after: float | None = None
    window: float = 1.0
    policy: str = "user"

    @property
    def is_quiet(self) -> bool:
        return self == FaultSpec()


@dataclass(frozen=True)
class FaultConfig:
    default: FaultSpec = field(default_factory=FaultSpec)
    routes: dict[str, FaultSpec] = field(default_factory=dict)
    # Route names whose ``rate`` was set explicitly (their bucket is per route, not shared).
    route_rates: frozenset[str] = frozenset()

    def for_route(self, route: str) -> FaultSpec:
        return self.routes.get(route, self.default)

    @classmethod
    def parse(cls, text: str | None) -> FaultConfig:
        """Parse the ``--faults`` syntax (see the module docstring). Raises ``ValueError`` with a usable message."""
        if not text or not text.strip():
            return cls()
        global_items: dict[str, object] = {}
        route_items: dict[str, dict[str, object]] = {}
        for raw in text.split(","):
            item = raw.strip()
            if not item:
                continue
            key, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"fault item {item!r} is not key=value")
            key = key.strip().lower()
            route = None
            if "." in key:
                route, _, key = key.partition(".")
                if route not in ROUTES:
                    raise ValueError(f"unknown route {route!r} in {item!r} (routes: {', '.join(ROUTES)})")
            attr = _KEYS.get(key)
            if attr is None:
                raise ValueError(
                    f"unknown fault key {key!r} "
                    "(keys: 5xx 429 latency drop malformed truncated rate window policy retry_after)"
                )
            parsed = _parse_value(attr, value.strip(), item)
            target = global_items if route is None else route_items.setdefault(route, {})
            target[attr] = parsed
        default = replace(FaultSpec(), **global_items)  # type: ignore[arg-type]
        routes = {route: replace(default, **items) for route, items in route_items.items()}  # type: ignore[arg-type]
        route_rates = frozenset(route for route, items in route_items.items() if "rate" in items)
        return cls(default=default, routes=routes, route_rates=route_rates)

    def describe(self) -> str:
        """The configuration back in ``--faults`` syntax (empty when no fault is configured)."""
        parts = _describe(self.default, FaultSpec(), "")
        for route, spec in sorted(self.routes.items()):
            parts.extend(_describe(spec, self.default, route + "."))
        return ",".join(parts)


_NAMES = {"error_5xx": "5xx", "throttle": "429"}


def _describe(spec: FaultSpec, base: FaultSpec, prefix: str) -> list[str]:
    parts = []
    for f in fields(spec):
        value = getattr(spec, f.name)
        if value == getattr(base, f.name):
            continue
        name = _NAMES.get(f.name, f.name)
        if f.name == "latency":
            low, high = value
            text = f"{low:g}" if low == high else f"{low:g}-{high:g}"
        elif isinstance(value, str):
            text = value
        else:
            text = f"{value:g}"
        parts.append(f"{prefix}{name}={text}")
    return parts


def _number(value: str, item: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{item!r}: {value!r} is not a number") from None
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{item!r}: must be a finite number >= 0")
    return number


def _parse_value(attr: str, value: str, item: str) -> object:
    if attr in _PROBABILITIES:
        number = _number(value, item)
        if number > 1:
            raise ValueError(f"{item!r}: a probability must be between 0 and 1")
        return number
    if attr == "latency":
        low_text, dash, high_text = value.partition("-")
        low = _number(low_text, item)
        high = _number(high_text, item) if dash else low
        if high < low:
            raise ValueError(f"{item!r}: latency range must be low-high")
        return (low, high)
    if attr == "policy":
        if value.lower() not in POLICIES:
            raise ValueError(f"{item!r}: policy must be one of {', '.join(POLICIES)}")
        return value.lower()
    if attr in ("rate", "window"):
        number = _number(value, item)
        if number <= 0:
            raise ValueError(f"{item!r}: {attr} must be > 0")
        return number
    return _number(value, item)


@dataclass(frozen=True)
class FaultDecision:
    latency: float = 0.0
    before: str | None = None  # "5xx" or "429": answer this instead of processing the request
    variant: int = 0  # which 5xx flavour
    after: str | None = None  # "drop", "malformed" or "truncated": spoil the computed answer
    retry_after: float | None = None  # None: no Retry-After header (the real gateway's way)


class FaultInjector:
    """Draws fault decisions from a seeded RNG (thread-safe; the sim may be served from a thread)."""

    def __init__(self, config: FaultConfig, seed: int | None = None) -> None:
        self.config = config
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def decide(self, route: str) -> FaultDecision:
        spec = self.config.for_route(route)
        if spec.is_quiet:
            return FaultDecision()
        with self._lock:
            rng = self._rng
            low, high = spec.latency
            latency = rng.uniform(low, high) if high > low else low
            before = None
            variant = 0
            if spec.error_5xx and rng.random() < spec.error_5xx:
                before = "5xx"
                variant = rng.randrange(3)
            elif spec.throttle and rng.random() < spec.throttle:
                before = "429"
            after = None
            for name, probability in (
                ("drop", spec.drop),
                ("malformed", spec.malformed),
                ("truncated", spec.truncated),
            ):
                if probability and rng.random() < probability:
                    after = name
                    break
        return FaultDecision(latency=latency, before=before, variant=variant, after=after, retry_after=spec.retry_after)


class RateLimiter:
    """Token buckets keyed by (AK, scope), refilled on the simulator clock."""

    def __init__(self) -> None:
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: tuple[str, str], rate: float, now: float, window: float = 1.0) -> float | None:
        """Take a token (``rate`` per ``window`` seconds); return None when allowed, else the seconds until a
        token is available."""
        per_second = rate / window
        with self._lock:
            tokens, stamp = self._buckets.get(key, (rate, now))
            tokens = min(rate, tokens + max(0.0, now - stamp) * per_second)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return None
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / per_second


def throttle_message(spec: FaultSpec) -> str:
    """The gateway's 429 message in the captured format, naming the policy, limit and window."""
    limit, window = (spec.rate, spec.window) if spec.rate is not None else (CAPTURED_LIMIT, CAPTURED_WINDOW)
    return (
        f"The throttling threshold has been reached: policy {spec.policy} over ratelimit,"
        f"limit:{limit:g},time:{_period(window)}"
    )


def _period(seconds: float) -> str:
    for unit, size in (("hour", 3600.0), ("minute", 60.0)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} second"
