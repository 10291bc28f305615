"""A string holder that never shows its value in repr/str/format, logs or tracebacks."""

from __future__ import annotations

from typing import Any, NoReturn


class Secret:
    """Holds a secret (SK, security token). Only :meth:`reveal` returns the value.

    ``repr``/``str``/``format`` print ``Secret('****')`` so that Textual's crash screen (which prints locals),
    log records and f-strings cannot leak it. Pickling is refused.
    """

    __slots__ = ("_value",)
    _value: str

    def __init__(self, value: str | Secret) -> None:
        raw: object = value.reveal() if isinstance(value, Secret) else value
        if not isinstance(raw, str):
            raise TypeError("Secret holds a str")
        object.__setattr__(self, "_value", raw)

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __len__(self) -> int:
        return len(self._value)

    def __repr__(self) -> str:
        return "Secret('****')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            import hmac

            return hmac.compare_digest(self._value.encode(), other._value.encode())
        return NotImplemented

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError("Secret is immutable")

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled")
