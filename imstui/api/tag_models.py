"""An image tag (key and value), with no network code: the core's tag rules import it at start-up."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImageTag:
    key: str
    value: str

    def __str__(self) -> str:
        return f"{self.key}={self.value}"

    def to_body(self) -> dict[str, str]:
        return {"key": self.key, "value": self.value}
