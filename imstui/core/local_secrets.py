"""The two stores that are not the OS keyring: session-only (memory) and the explicit plaintext opt-in."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from imstui.api.credentials import Credentials
from imstui.core.fsutil import write_private_file
from imstui.core.keyring_backends import SecretStoreUnavailable
from imstui.core.profiles import validate_profile_name
from imstui.core.secret_payload import PAYLOAD_VERSION, decode_payload, encode_payload

# -- the two non-keyring stores -----------------------------------------------------------------------------


class SessionSecrets:
    """Session-only credentials: in memory, never persisted, lost when imstui exits."""

    def __init__(self) -> None:
        self._items: dict[str, Credentials] = {}
        self._lock = threading.Lock()

    def get(self, profile: str) -> Credentials | None:
        with self._lock:
            return self._items.get(profile)

    def set(self, profile: str, credentials: Credentials) -> None:
        validate_profile_name(profile)
        with self._lock:
            self._items[profile] = credentials

    def delete(self, profile: str) -> bool:
        with self._lock:
            return self._items.pop(profile, None) is not None

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


#: The process-wide session store used by the console and the CLI.
SESSION_SECRETS = SessionSecrets()


class PlaintextSecrets:
    """The explicit opt-in: keys UNENCRYPTED in a 0600 JSON file under the config dir. Shown as a warning."""

    def __init__(self, path: Path | None = None, *, environ: Mapping[str, str] | None = None) -> None:
        from imstui.core.profiles import plaintext_path

        self.path = path if path is not None else plaintext_path(environ)

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"v": PAYLOAD_VERSION, "profiles": {}}
        except (OSError, ValueError):
            raise SecretStoreUnavailable(
                f"The plaintext credentials file {self.path} is unreadable or damaged.",
                "Move it away and store the keys again.",
                reason="corrupt",
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("profiles"), dict):
            raise SecretStoreUnavailable(
                f"The plaintext credentials file {self.path} is not in imstui's format.",
                "Move it away and store the keys again.",
                reason="corrupt",
            )
        return data

    def get(self, profile: str) -> Credentials | None:
        item = self._load()["profiles"].get(profile)
        if item is None:
            return None
        return decode_payload(json.dumps(item), where=f"profile {profile!r} in {self.path}")

    def set(self, profile: str, credentials: Credentials) -> None:
        validate_profile_name(profile)
        data = self._load()
        data["profiles"][profile] = json.loads(encode_payload(credentials))
        write_private_file(self.path, json.dumps(data, indent=1, sort_keys=True) + "\n")

    def delete(self, profile: str) -> bool:
        data = self._load()
        if data["profiles"].pop(profile, None) is None:
            return False
        if data["profiles"]:
            write_private_file(self.path, json.dumps(data, indent=1, sort_keys=True) + "\n")
        else:
            self.path.unlink(missing_ok=True)
        return True
