"""``imstui doctor``: where the settings and keys come from, whether the keyring is safe, and whether the keys work.

Headless and plain text (``--json`` for scripts). Checks, in order: the profiles file (path, permissions), the
profiles, the keyring backend and its verdict (with the remedies when it is not secure), which source the active
profile's keys resolve to (env / keyring / session / plaintext), and one cheap signed call (IAM project discovery)
that proves the keys work, with the error code, its meaning and the next step when they do not.
Exit 0 when everything is good, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from imstui.api.errors import ApiError, ImstuiError
from imstui.api.sanitize import sanitize
from imstui.commands.output import EXIT_FAILURE, EXIT_OK, add_command
from imstui.core.credential_source import ProfileSettings, describe_missing, load_profile_settings
from imstui.core.fsutil import permission_problem
from imstui.core.profiles import ProfileStore, plaintext_path
from imstui.core.secret_store import BackendInfo, SecretStore, SecretStoreUnavailable, default_store


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = add_command(
        subparsers,
        common,
        "doctor",
        help="check the profile, the keyring and the keys (one signed call)",
        description="Check the configuration, the keyring backend and the keys; exit 0 when all is good.",
        handler=run,
    )
    parser.add_argument("--no-call", action="store_true", help="skip the signed call (offline check)")


# -- shared with `imstui profile` -----------------------------------------------------------------------------


def interactive() -> bool:
    """Prompts (getpass) only on a real terminal; headless commands never run under Textual."""
    try:
        return sys.stdin.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def ensure_unlocked(store: SecretStore, info: BackendInfo | None = None) -> str | None:
    """Unlock a password-based backend from a masked prompt when on a terminal.

    Returns ``None`` when the store is usable, else one sentence explaining why not.
    """
    info = info or store.backend_info()
    if not info.needs_master_password or info.unlocked or not info.secure:
        return None
    if not interactive():
        return (
            f"{info.name} needs its master password and there is no terminal to ask it on: run this command "
            "interactively, or use `imstui session` (Secret Service) instead."
        )
    for _attempt in range(3):
        prompt = (
            "New master password for the encrypted keyring: "
            if info.new_master_password
            else ("Master password for the encrypted keyring: ")
        )
        password = getpass.getpass(prompt)
        if info.new_master_password and getpass.getpass("Repeat it: ") != password:
            print("The two entries differ; try again.", file=sys.stderr)
            continue
        try:
            store.unlock(password)
        except SecretStoreUnavailable as exc:
            print(exc.full_text, file=sys.stderr)
            if exc.reason != "wrong-master-password":
                return exc.message
            continue
        finally:
            del password
        return None
    return "The keyring stayed locked (three attempts)."


def load_settings_interactive(
    profile: str | None,
    *,
    store: SecretStore,
    profiles: ProfileStore | None = None,
    environ: Mapping[str, str] | None = None,
) -> ProfileSettings:
    """:func:`load_profile_settings`, asking for the keyring's master password on a terminal if it needs one."""
    try:
        return load_profile_settings(profile, store=store, profiles=profiles, environ=environ)
    except SecretStoreUnavailable as exc:
        if exc.reason != "needs-master-password":
            raise
        blocked = ensure_unlocked(store)
        if blocked:
            raise SecretStoreUnavailable(blocked, exc.remedy, reason=exc.reason) from None
    return load_profile_settings(profile, store=store, profiles=profiles, environ=environ)


_STORES_NOTHING = frozenset({"keyring.backends.fail.Keyring", "keyring.backends.null.Keyring"})


@dataclass
class KeyCheck:
    """The result of the signed call."""

    ok: bool
    summary: str
    code: str | None = None
    meaning: str | None = None
    remedy: str | None = None
    request_id: str | None = None
    project_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def check_keys(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> KeyCheck:
    """One signed call (IAM project discovery) with the settings ``args`` resolve to (``--demo``: the simulator)."""
    return asyncio.run(_check_keys(args, environ))


async def _check_keys(args: argparse.Namespace, environ: Mapping[str, str] | None) -> KeyCheck:
    from imstui.connect import open_client

    try:
        client = open_client(args, environ=environ)
    except ImstuiError as exc:
        return KeyCheck(False, f"cannot connect: {sanitize(exc.message)}", remedy=getattr(exc, "remedy", None))
    async with client:
        try:
            project_id = await client.discover_project_id()
        except ApiError as exc:
            from imstui.api.catalogue import describe

            info = describe(exc.code, exc.message)
            return KeyCheck(
                False,
                f"the signed call failed: {sanitize(str(exc))}",
                code=exc.code,
                meaning=info.meaning if info else None,
                remedy=info.next_step if info else None,
                request_id=exc.request_id,
            )
        except ImstuiError as exc:
            return KeyCheck(False, f"the signed call failed: {sanitize(str(exc))}")
    configured = client.project_id
    note = ""
    if configured and configured != project_id:
        note = f" (the profile uses project {configured}, a sub-project or another project: fine if intended)"
    return KeyCheck(
        True,
        f"keys accepted by IAM at {client.iam_endpoint}; project of {client.region}: {project_id}{note}",
        project_id=project_id,
    )


# -- the report -----------------------------------------------------------------------------------------------


@dataclass
class Report:
    lines: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def add(self, label: str, value: str) -> None:
        self.lines.append((label, value))


def _source_label(settings: ProfileSettings) -> str:
    if settings.source is None:
        return "none"
    if settings.source == "env":
        return "env (HUAWEICLOUD_SDK_AK/SK: used for this run, never stored)"
    where = {
        "keyring": "keyring (OS keyring item service=imstui, user=" + str(settings.profile) + ")",
        "session": "session (memory only, lost on exit)",
        "plaintext": "PLAINTEXT file (insecure opt-in)",
    }[settings.source]
    return where


def build_report(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Report:
    env = os.environ if environ is None else environ
    report = Report()
    profiles = ProfileStore(environ=env)

    # 1. The profiles file.
    state = "present" if profiles.path.exists() else "absent: no profiles yet"
    report.add("config file", f"{profiles.path} ({state})")
    report.data["config_path"] = str(profiles.path)
    for path in (profiles.path, profiles.path.parent, plaintext_path(env)):
        problem = permission_problem(path)
        if problem:
            report.problems.append(problem)

    # 2. The profiles.
    try:
        all_profiles = profiles.list()
        default = profiles.default_name()
    except ImstuiError as exc:
        report.problems.append(exc.message)
        all_profiles, default = [], None
    shown = [
        f"{p.name}{'*' if p.name == default else ''} ({p.credential_store}{', INSECURE' if p.is_plaintext else ''})"
        for p in all_profiles
    ]
    report.add("profiles", ", ".join(shown) if shown else "none")
    report.data["profiles"] = [dict(p.to_toml(), name=p.name) for p in all_profiles]
    report.data["default_profile"] = default

    # 3. The keyring backend.
    store = default_store()
    info = store.backend_info()
    verdict = "secure" if info.secure else "NOT secure"
    if info.needs_master_password and info.secure:
        verdict += ", unlocked" if info.unlocked else ", locked (master password needed)"
    report.add("keyring", f"{info.name} [{info.module}]: {verdict}")
    report.add("", info.description)
    report.data["keyring"] = info.as_dict()
    # "available" to a reader of the JSON: a backend that can hold a secret at all (keyring's fail and null
    # backends cannot, though detecting them worked).
    report.data["keyring"]["available"] = info.available and info.module not in _STORES_NOTHING

    # 4. The active profile and where its keys come from.
    settings: ProfileSettings | None = None
    demo = bool(getattr(args, "demo", False))
    name: str | None = None
    try:
        name = profiles.active_name(getattr(args, "profile", None))
        settings = load_settings_interactive(
            getattr(args, "profile", None), store=store, profiles=profiles, environ=env
        )
    except SecretStoreUnavailable as exc:
        # Without a secure keyring the remedies are listed once, under "remedies": the problem says what is wrong.
        report.problems.append(f"{exc.message} (see the remedies)" if not info.secure else exc.full_text)
    except ImstuiError as exc:
        report.problems.append(exc.message)
    if demo:
        report.add("active profile", "--demo: the built-in simulator (its public demo keys)")
    else:
        report.add("active profile", name or "none")
    if settings is None and not demo:
        report.add("credentials", "unavailable (see the problems below)")
    if settings is not None and not demo:
        report.add("credentials", _source_label(settings))
        if settings.credentials is not None:
            report.add(
                "access key",
                settings.credentials.ak_hint
                + (" (temporary, with token)" if settings.credentials.is_temporary else ""),
            )
        else:
            report.problems.append(describe_missing(settings))
        if settings.warning:
            report.add("WARNING", settings.warning)
        if settings.source in (None, "keyring") and settings.credential_store == "keyring" and not info.secure:
            report.problems.append("The active profile keeps its keys in the keyring, which is not usable here.")
        report.data["credential_source"] = settings.source
        report.data["active_profile"] = settings.profile
    if not info.secure and not demo:
        report.add("remedies", "(no secure keyring: options, best first)")
        for index, remedy in enumerate(info.remedies, 1):
            report.add("", f"{index}. {remedy}")

    # 5. One signed call.
    have_keys = demo or (settings is not None and settings.credentials is not None)
    if getattr(args, "no_call", False):
        report.add("signed call", "skipped (--no-call)")
    elif not have_keys:
        report.add("signed call", "skipped: no credentials")
    else:
        result = check_keys(args, env)
        report.data["signed_call"] = result.as_dict()
        report.add("signed call", ("OK: " if result.ok else "FAILED: ") + result.summary)
        if not result.ok:
            report.problems.append(result.summary)
            if result.meaning:
                report.add("", f"meaning: {result.meaning}")
            if result.remedy:
                report.add("", f"next step: {result.remedy}")
            if result.request_id:
                report.add("", f"request id: {sanitize(result.request_id)}")
    report.data["problems"] = list(report.problems)
    report.data["ok"] = not report.problems
    return report


def render(report: Report) -> str:
    width = max((len(label) for label, _ in report.lines), default=0)
    out = ["imstui doctor"]
    for label, value in report.lines:
        out.append(f"  {label.ljust(width)}  {value}" if label else f"  {' ' * width}  {value}")
    if report.problems:
        out.append(f"result: {len(report.problems)} problem(s)")
        out.extend(f"  - {problem}" for problem in report.problems)
    else:
        out.append("result: all good")
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    report = build_report(args)
    if getattr(args, "json", False):
        print(json.dumps(report.data, indent=2, sort_keys=True))
    else:
        print(render(report))
    return EXIT_OK if not report.problems else EXIT_FAILURE
