"""Serving the simulator over real HTTP with uvicorn (``imstui sim``, SDK fidelity tests, benchmarks).

Loopback only unless the caller explicitly allows a remote bind. Port 0 binds a free port first, so the
real port is known (and printed) before serving starts.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import selectors
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.requests import ClientDisconnect

from imstui.sim.app import SimulatedDrop, create_app, sim_state
from imstui.sim.config import SimConfig
from imstui.sim.state import SimState

# A client that goes away mid-request (a killed `imstui`, a timeout) is routine for a server: one line, no traceback.
_GONE_CLIENT = (ClientDisconnect, ConnectionError)


class _DropFilter(logging.Filter):
    """Keep uvicorn and the simulator quiet about connections: those the simulator drops on purpose are not logged;
    a client that disconnects is logged as one line without a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, SimulatedDrop):
            return False
        if isinstance(exc, _GONE_CLIENT):
            record.msg, record.args = "client disconnected before the answer (%s)", (type(exc).__name__,)
            record.exc_info = record.exc_text = None
        return True


_FILTER = _DropFilter()
_QUIET_LOGGERS = ("uvicorn.error", "imstui.sim")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this: without it, headers and body leave in two segments and the
    # second waits for the client's delayed ACK (~40 ms per request on Linux loopback).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def precise_timer_loop() -> asyncio.AbstractEventLoop:
    """An event loop whose timers fire close to their time, for the ``latency`` fault. The default loop waits in
    ``epoll``, whose timeout is in whole milliseconds rounded up: a wait for an answer due in 19.3 ms lasted 20 ms,
    0.5 ms late on average on top of the wake-up (measured on the 2-core bench machine, an idle loop: a 19.7 ms
    sleep overshot by 0.58 ms at the median under epoll, 0.28 ms under select, which takes microseconds). Answers
    are never sent earlier than they are due either way."""
    return asyncio.SelectorEventLoop(selectors.SelectSelector())


def has_latency(config: SimConfig) -> bool:
    """Whether any route has the ``latency`` fault (its answers wait on the loop's timers)."""
    faults = config.faults
    return any(spec.latency[1] > 0 for spec in (faults.default, *faults.routes.values()))


def make_server(config: SimConfig, sock: socket.socket, *, log_level: str = "warning") -> tuple[uvicorn.Server, Any]:
    app = create_app(config)
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).addFilter(_FILTER)
    # With service latency the answers leave on a timer: a loop that keeps time to the sub-millisecond (select()
    # serves the simulator's few connections; it is not used otherwise, where epoll scales to any number).
    loop = f"{__name__}:precise_timer_loop" if has_latency(config) else "auto"
    uv_config = uvicorn.Config(
        app, log_level=log_level, lifespan="off", access_log=False, server_header=False, loop=loop
    )
    return uvicorn.Server(uv_config), app


@dataclass
class RunningSim:
    """A simulator served by uvicorn in a background thread (tests)."""

    url: str
    host: str
    port: int
    state: SimState
    app: Any
    _server: uvicorn.Server
    _thread: threading.Thread

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> RunningSim:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_in_thread(config: SimConfig | None = None, host: str = "127.0.0.1", port: int = 0) -> RunningSim:
    """Start uvicorn on ``host:port`` (0 = a free port) in a daemon thread and wait until it accepts."""
    if not is_loopback(host):
        raise ValueError("run_in_thread binds loopback addresses only")
    sock = bind_socket(host, port)
    bound_port = sock.getsockname()[1]
    server, app = make_server(config if config is not None else SimConfig.from_env(), sock)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="imstui-sim", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the simulator did not start")
        time.sleep(0.01)
    url_host = f"[{host}]" if ":" in host else host
    return RunningSim(
        url=f"http://{url_host}:{bound_port}",
        host=host,
        port=bound_port,
        state=sim_state(app),
        app=app,
        _server=server,
        _thread=thread,
    )
