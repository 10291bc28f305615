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
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_attributes", "lazy_module"]


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


def lazy_attributes(namespace: dict[str, Any], homes: Mapping[str, str]) -> Callable[[str], Any]:
    """A package's ``__getattr__`` (PEP 562) for names that load from their module on first use: ``homes`` maps each
    name to the module defining it; the value read is kept in ``namespace`` (the package's ``globals()``), so later
    reads are plain ones. Unknown names raise :class:`AttributeError` as a module's missing attribute does."""
    package = namespace["__name__"]

    def load(name: str) -> Any:
        module = homes.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = namespace[name] = getattr(importlib.import_module(module), name)
        return value

    return load
