"""Helpers shared by the simulator's tests and the benchmarks: run ``imstui sim`` as a subprocess, and watch the
status checks a poller makes.

    with start_sim_process("--seed", "1") as sim:          # python -m imstui sim --port 0 ..., exports parsed
        client = ImsClient(credentials=sim.credentials(), ims_endpoint=sim.endpoint, ...)
        sim.kms_endpoint, sim.eps_endpoint, sim.domain_id  # KMS/EPS: the same port; the account id EPS signs with
    recorder = RecordingApi(client, clock=time.time)      # an ImsApi; recorder.calls: (time, job id, error)

No Textual import; nothing here is used by imstui itself.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from imstui.api.credentials import Credentials
from imstui.api.models import CopyRequest, Image, Job
from imstui.api.protocol import ImsApi
from imstui.api.quota import ImageQuota
from imstui.api.secret import Secret

END_OF_BANNER = "# Ctrl-C"  # the last line `imstui sim` prints before serving


def parse_exports(lines: Iterable[str]) -> dict[str, str]:
    """``export NAME=VALUE`` lines (shell-quoted, as ``imstui sim`` prints them) -> ``{NAME: VALUE}`` unquoted.

    A value that refers to a variable (``"$IMSTUI_SIM_SK"``) is returned as written (``$IMSTUI_SIM_SK``)."""
    exports: dict[str, str] = {}
    for line in lines:
        if not line.startswith("export "):
            continue
        words = shlex.split(line, posix=True)
        if len(words) == 2:
            name, _, value = words[1].partition("=")
            exports[name] = value
    return exports


@dataclass
class SimProcess:
    """A running ``python -m imstui sim``: its banner ``lines`` and the ``exports`` they carry."""

    process: subprocess.Popen[str]
    lines: list[str]
    exports: dict[str, str] = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        return self.exports["IMSTUI_IMS_ENDPOINT"]

    @property
    def kms_endpoint(self) -> str:
        """KMS, on the simulator's one port (an older banner without the export: the IMS endpoint, the same)."""
        return self.exports.get("IMSTUI_KMS_ENDPOINT", self.endpoint)

    @property
    def eps_endpoint(self) -> str:
        return self.exports.get("IMSTUI_EPS_ENDPOINT", self.endpoint)

    @property
    def domain_id(self) -> str | None:
        """The simulated account (domain) id EPS requests are signed with (None: not printed)."""
        return self.exports.get("IMSTUI_DOMAIN_ID")

    @property
    def region(self) -> str:
        return self.exports["HUAWEICLOUD_SDK_REGION"]

    @property
    def project_id(self) -> str:
        return self.exports["HUAWEICLOUD_SDK_PROJECT_ID"]

    @property
    def pid(self) -> int:
        return self.process.pid

    def credentials(self) -> Credentials:
        """The printed demo AK/SK (public values that only open this simulator)."""
        return Credentials(self.exports["HUAWEICLOUD_SDK_AK"], Secret(self.exports["HUAWEICLOUD_SDK_SK"]))

    def client_env(self, base: Mapping[str, str]) -> dict[str, str]:
        """``base`` plus the printed exports: the environment of a client command pointed at this simulator."""
        return {**base, **self.exports}

    def stop(self, timeout: float = 20.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
        if self.process.stdout is not None:
            self.process.stdout.close()

    def __enter__(self) -> SimProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_sim_process(
    *args: str,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
    stderr: int | IO[str] | None = subprocess.DEVNULL,
) -> SimProcess:
    """Start ``python -m imstui sim --port 0 ARGS...`` and return once it printed its banner (it is then serving).

    ``stderr`` defaults to DEVNULL: uvicorn logs every request a client abandons when a benchmark run stops.
    Raises ``RuntimeError`` (with what it printed) if the simulator exits instead.
    """
    command = [sys.executable, "-m", "imstui", "sim", "--port", "0", *args]
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith(END_OF_BANNER):
            return SimProcess(process, lines, parse_exports(lines))
    code = process.wait(timeout=20)
    process.stdout.close()
    raise RuntimeError(f"imstui sim exited with status {code} before serving: {''.join(lines)!r}")


class RecordingApi:
    """An :class:`~imstui.api.protocol.ImsApi` that forwards to ``api`` and records every status check as
    ``(clock(), job_id, exception or None)`` in :attr:`calls` (the time is taken when the check is sent)."""

    def __init__(self, api: ImsApi, *, clock: Callable[[], float]) -> None:
        self.api = api
        self.clock = clock
        self.calls: list[tuple[float, str, BaseException | None]] = []

    @property
    def region(self) -> str:
        return self.api.region

    @property
    def project_id(self) -> str | None:
        return self.api.project_id

    async def ensure_project_id(self) -> str:
        return await self.api.ensure_project_id()

    async def get_image(self, image_id: str) -> Image:
        return await self.api.get_image(image_id)

    async def copy_image(self, image_id: str, request: CopyRequest) -> str:
        return await self.api.copy_image(image_id, request)

    async def get_image_quota(self) -> ImageQuota:
        return await self.api.get_image_quota()

    async def get_job(self, job_id: str, *, retry: bool = True) -> Job:
        at = self.clock()
        try:
            job = await self.api.get_job(job_id, retry=retry)
        except BaseException as exc:
            self.calls.append((at, job_id, exc))
            raise
        self.calls.append((at, job_id, None))
        return job

    def asked(self, job_id: str) -> list[float]:
        """When ``job_id`` was asked, oldest first."""
        return [at for at, asked, _ in self.calls if asked == job_id]

    async def aclose(self) -> None:
        await self.api.aclose()
