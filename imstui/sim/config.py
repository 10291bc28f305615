"""Simulator configuration: demo credentials, job timing, limits, clocks, faults, seed.

Demo credentials (public demo values, NOT secrets; they only open the local simulator):

=====================  ==========================================
AK                     ``IMSTUIDEMOAK00000001``
SK                     ``imstui-demo-sk-public-value-not-a-secret``
temporary AK           ``IMSTUIDEMOTMPAK00001``
temporary SK           ``imstui-demo-temporary-sk-public-value-01``
security token         ``imstui-demo-security-token-public-value``
project id             ``0b1d2c3e4f5a46b7c8d9e0f1a2b3c4d5``
domain (account) id    ``d0e1f2a3b4c54d6e8f90a1b2c3d4e5f6``
region                 ``ap-southeast-1``
=====================  ==========================================

Environment overrides (read by :meth:`SimConfig.from_env`): ``IMSTUI_SIM_AK``, ``IMSTUI_SIM_SK``,
``IMSTUI_SIM_PROJECT_ID``, ``IMSTUI_SIM_REGION``.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, replace
from typing import Any

from imstui.api.credentials import Credentials
from imstui.api.secret import Secret
from imstui.sim.auth import MAX_SKEW_SECONDS, AccessKey
from imstui.sim.clock import Clock, SystemClock
from imstui.sim.faults import FaultConfig
from imstui.sim.jobs import STATUS_CASES, TIME_FORMATS, WireStyle

QUOTA_API_MODES = ("ok", "forbidden", "missing")

DEMO_AK = "IMSTUIDEMOAK00000001"
DEMO_SK = "imstui-demo-sk-public-value-not-a-secret"
DEMO_TEMP_AK = "IMSTUIDEMOTMPAK00001"
DEMO_TEMP_SK = "imstui-demo-temporary-sk-public-value-01"
DEMO_SECURITY_TOKEN = "imstui-demo-security-token-public-value"  # noqa: S105 - public demo value
DEMO_PROJECT_ID = "0b1d2c3e4f5a46b7c8d9e0f1a2b3c4d5"
DEMO_DOMAIN_ID = "d0e1f2a3b4c54d6e8f90a1b2c3d4e5f6"
DEMO_DOMAIN_NAME = "imstui-demo-account"
DEMO_REGION = "ap-southeast-1"

ENV_AK = "IMSTUI_SIM_AK"
ENV_SK = "IMSTUI_SIM_SK"
ENV_PROJECT_ID = "IMSTUI_SIM_PROJECT_ID"
ENV_REGION = "IMSTUI_SIM_REGION"


@dataclass(frozen=True)
class SimConfig:
    """Everything the simulator needs. ``SimConfig()`` = demo values and demo timing on real time.

    Job timing: a copy job stays ``INIT`` for ``init_seconds`` then ``RUNNING`` for ``run_seconds`` (each drawn
    uniformly from the range, divided by ``speed``); ``purge_after`` seconds after it finished the job is
    forgotten (400 IMG.0023, as the error table documents). ``progress_scale`` is what
    ``entities.process_percent`` reaches at 100 % (1.0: fractions 0-1; 100.0: percent).

    Wire variants (defaults follow the evidence): ``time_format`` ``iso`` or ``legacy`` (``04-Jun-2015
    18:11:06:586``), ``status_case`` ``upper`` or ``lower`` (``success``/``failed``, the copy page's prose).

    Limits: ``private_image_quota`` (IMG.0015 when a copy would exceed it; ``GET /v1/cloudimages/quota``
    reports it), ``max_running_jobs`` (IMG.0060 when that many copies are unfinished), ``copy_burst``
    ``(N, S)``: IMG.0060 for a copy beyond N accepted within S seconds (off by default). ``quota_api``:
    ``ok``, ``forbidden`` (403 APIGW.0306) or ``missing`` (404 APIGW.0101) for the quota endpoint.

    Image list: ``generated_images`` deterministic images beyond the seeded ones (``imstui.sim.fleet``; for paging
    and benchmarks); ``page_info``: the list answer carries ``page_info.next_marker`` (the SDK's model has it;
    Terraform says the API does not send it, so by default it is absent and clients page by the last image's id);
    ``refuse_all_granted_eps``: the list answers 403 to ``enterprise_project_id=all_granted_eps`` (an account where
    that filter is refused [UNCERTAIN]: clients must fall back to asking without it).
    """

    ak: str = DEMO_AK
    sk: Secret = field(default_factory=lambda: Secret(DEMO_SK))
    temporary_ak: str | None = DEMO_TEMP_AK
    temporary_sk: Secret = field(default_factory=lambda: Secret(DEMO_TEMP_SK))
    security_token: Secret = field(default_factory=lambda: Secret(DEMO_SECURITY_TOKEN))
    project_id: str = DEMO_PROJECT_ID
    region: str = DEMO_REGION
    domain_id: str = DEMO_DOMAIN_ID
    domain_name: str = DEMO_DOMAIN_NAME
    init_seconds: tuple[float, float] = (2.0, 5.0)
    run_seconds: tuple[float, float] = (13.0, 35.0)
    speed: float = 1.0
    purge_after: float = 600.0
    progress_scale: float = 1.0
    fail_probability: float = 0.0  # extra random FAIL (IMG.0061) for otherwise good copies
    private_image_quota: int = 100  # IMG.0015 beyond this many own private images (incl. copies in flight)
    max_running_jobs: int = 50  # IMG.0060 when this many copy jobs are unfinished
    copy_burst: tuple[int, float] | None = None  # IMG.0060 beyond N copies accepted within S seconds
    quota_api: str = "ok"
    time_format: str = "iso"
    status_case: str = "upper"
    clock: Clock = field(default_factory=SystemClock)  # drives jobs and the rate limit
    auth_clock: Clock = field(default_factory=SystemClock)  # X-Sdk-Date freshness (clients sign with real time)
    max_skew: float = MAX_SKEW_SECONDS
    faults: FaultConfig = field(default_factory=FaultConfig)
    seed: int | None = None
    generated_images: int = 0
    page_info: bool = False
    refuse_all_granted_eps: bool = False

    def __post_init__(self) -> None:
        for name in ("sk", "temporary_sk", "security_token"):
            value: object = getattr(self, name)
            if not isinstance(value, Secret):  # plain strings are accepted and wrapped at once
                object.__setattr__(self, name, Secret(str(value)))
        if not (self.speed > 0 and math.isfinite(self.speed)):
            raise ValueError("speed must be a positive number")
        if self.progress_scale not in (1.0, 100.0):
            raise ValueError("progress_scale must be 1 or 100")
        for name in ("init_seconds", "run_seconds"):
            low, high = getattr(self, name)
            if low < 0 or high < low:
                raise ValueError(f"{name} must be a (low, high) range of seconds >= 0")
        if not 0 <= self.fail_probability <= 1:
            raise ValueError("fail_probability must be between 0 and 1")
        for name, allowed in (
            ("quota_api", QUOTA_API_MODES),
            ("time_format", TIME_FORMATS),
            ("status_case", STATUS_CASES),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}")
        if not 0 <= self.generated_images <= 200_000:
            raise ValueError("generated_images must be 0 to 200,000")
        if self.copy_burst is not None and not (self.copy_burst[0] >= 1 and self.copy_burst[1] > 0):
            raise ValueError("copy_burst must be (at least 1 copy, a window > 0 seconds)")

    @property
    def wire_style(self) -> WireStyle:
        return WireStyle(self.time_format, self.status_case, self.progress_scale)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> SimConfig:
        """Demo defaults, then ``IMSTUI_SIM_*`` from the environment, then ``overrides``."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        if env.get(ENV_AK):
            values["ak"] = env[ENV_AK]
        if env.get(ENV_SK):
            values["sk"] = Secret(env[ENV_SK])
        if env.get(ENV_PROJECT_ID):
            values["project_id"] = env[ENV_PROJECT_ID]
        if env.get(ENV_REGION):
            values["region"] = env[ENV_REGION]
        values.update(overrides)
        return cls(**values)

    @classmethod
    def instant(cls, **overrides: Any) -> SimConfig:
        """Jobs finish at once (the first poll already sees SUCCESS/FAIL), demo credentials, seed 0."""
        values: dict[str, Any] = {"init_seconds": (0.0, 0.0), "run_seconds": (0.0, 0.0), "seed": 0}
        values.update(overrides)
        return cls(**values)

    def with_(self, **changes: Any) -> SimConfig:
        return replace(self, **changes)

    @property
    def sk_from_env(self) -> bool:
        return bool(os.environ.get(ENV_SK)) and os.environ.get(ENV_SK) == self.sk.reveal()

    def keys(self) -> dict[str, AccessKey]:
        keys = {self.ak: AccessKey(self.ak, self.sk)}
        if self.temporary_ak:
            keys[self.temporary_ak] = AccessKey(self.temporary_ak, self.temporary_sk, self.security_token)
        return keys

    def credentials(self) -> Credentials:
        """The permanent demo AK/SK as client credentials."""
        return Credentials(self.ak, self.sk)

    def temporary_credentials(self) -> Credentials:
        if not self.temporary_ak:
            raise ValueError("this configuration has no temporary key")
        return Credentials(self.temporary_ak, self.temporary_sk, self.security_token)
