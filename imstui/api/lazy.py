"""A module loaded on first use: ``httpx = lazy_module("httpx")`` binds a stand-in that imports the real module
the first time one of its names is read, then keeps each name read (later reads are plain attribute reads).

For the modules the client needs only once it sends a request (httpx and what is built on it): the console shows
its session connected without loading them, and loads them in a thread right after
(:meth:`imstui.api.client.ImsClient.prepare`). Bind it under ``if not TYPE_CHECKING`` beside a real import for the
type checker, so that the names keep their types.
"""

from __future__ import annotations

import importlib
import types
from typing import Any

__all__ = ["lazy_module"]


class _LazyModule(types.ModuleType):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.__dict__["_lazy_target"] = name

    def __getattr__(self, attribute: str) -> Any:  # only for names not read before
        if attribute.startswith("__") and attribute.endswith("__"):
            raise AttributeError(attribute)  # copy/pickle/inspect probing: never a reason to load the module
        value = getattr(importlib.import_module(self.__dict__["_lazy_target"]), attribute)
        self.__dict__[attribute] = value
        return value

    def __repr__(self) -> str:
        return f"<lazy module {self.__dict__['_lazy_target']!r}>"


def lazy_module(name: str) -> Any:
    """A stand-in for the module ``name`` that imports it when one of its names is first read."""
    return _LazyModule(name)
