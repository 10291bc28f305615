"""A keyring backend for subprocess tests (selected with PYTHON_KEYRING_BACKEND=creds.filekeyring.ScrambledFileKeyring).

It keeps items in a file with the values XOR-scrambled, standing in for an encrypted store: a leak scan must not
find the raw secret in it. Not secure; tests only.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

_KEY = b"imstui-test-scramble"


def _scramble(data: bytes) -> bytes:
    return bytes(b ^ _KEY[i % len(_KEY)] for i, b in enumerate(data))


class ScrambledFileKeyring(KeyringBackend):
    priority = 1
    viable = False

    @property
    def path(self) -> Path:
        return Path(os.environ["XDG_DATA_HOME"]) / "test-keyring.json"

    def _load(self) -> dict[str, str]:
        try:
            return dict(json.loads(self.path.read_text()))
        except FileNotFoundError:
            return {}

    def _save(self, items: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(items))

    def get_password(self, service: str, username: str) -> str | None:
        value = self._load().get(f"{service}/{username}")
        return None if value is None else _scramble(bytes.fromhex(value)).decode()

    def set_password(self, service: str, username: str, password: str) -> None:
        items = self._load()
        items[f"{service}/{username}"] = _scramble(password.encode()).hex()
        self._save(items)

    def delete_password(self, service: str, username: str) -> None:
        items = self._load()
        if items.pop(f"{service}/{username}", None) is None:
            raise PasswordDeleteError("not found")
        self._save(items)
