"""httpcore's connection pool, minus a quadratic bookkeeping loop (measured: the poller's hottest pool function).

On every request it places and every response it releases, ``AsyncConnectionPool._assign_requests_to_connections``
(httpcore 1.0) asks, for each idle connection, ``len([c.is_idle() for c in connections])``: a list of every
connection's ``is_idle()`` whose length is simply the number of connections, so C connections cost C² calls; and
for each queued request it lists the idle connections even when a connection is available. With the poller's
8 connections that was ~180 ``is_idle`` calls per status check and 13 % of its profiled time.

:class:`LeanConnectionPool` makes the same decisions in the same order, with ``len(connections)`` and the idle
list built only when it is used (``is_idle``/``is_available``/``has_expired`` only read state). It is applied only to
a plain pool of the httpcore series it was written against (:func:`make_lean`); another httpcore keeps its own.
"""

from __future__ import annotations

from typing import Any

import httpcore
from httpcore._async.connection_pool import AsyncConnectionPool

__all__ = ["LeanConnectionPool", "make_lean"]

_WRITTEN_FOR = "1.0."


class LeanConnectionPool(AsyncConnectionPool):
    def _assign_requests_to_connections(self) -> list[Any]:
        closing: list[Any] = []
        connections = self._connections
        # Closed, expired, and idle connections beyond the keep-alive limit leave the pool (httpcore's order).
        for connection in list(connections):
            if connection.is_closed():
                connections.remove(connection)
            elif connection.has_expired() or (
                connection.is_idle() and len(connections) > self._max_keepalive_connections
            ):
                connections.remove(connection)
                closing.append(connection)
        for pool_request in [request for request in self._requests if request.is_queued()]:
            origin = pool_request.request.url.origin
            available = next(
                (c for c in connections if c.can_handle_request(origin) and c.is_available()),
                None,
            )
            if available is not None:
                pool_request.assign_to_connection(available)
                continue
            if len(connections) >= self._max_connections:
                idle = next((c for c in connections if c.is_idle()), None)
                if idle is None:
                    continue  # stays queued until a connection is released
                connections.remove(idle)
                closing.append(idle)
            connection = self.create_connection(origin)
            connections.append(connection)
            pool_request.assign_to_connection(connection)
        return closing


def make_lean(pool: httpcore.AsyncConnectionPool) -> bool:
    """Give ``pool`` the lean bookkeeping if it is a plain httpcore 1.0 pool; True if it now has it."""
    if type(pool) is LeanConnectionPool:
        return True
    if type(pool) is not AsyncConnectionPool or not httpcore.__version__.startswith(_WRITTEN_FOR):
        return False
    pool.__class__ = LeanConnectionPool
    return True
