"""``imstui profile list|add|remove|test|import|default``: stored credential profiles, headless.

The secret key (and optional security token) is read from a masked prompt on a terminal, or from stdin with
``--sk-stdin`` (one line each: SK, then the token or an empty line), never from the command line (argv is
visible in ``ps``). Keys go to the OS keyring; if the keyring is not secure the command refuses (exit 1) and
lists the alternatives, unless ``--insecure-plaintext`` (the explicit, permanently displayed opt-in) is given.
"""

from __future__ import annotations

import argparse
import configparser
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any

from imstui.api.credentials import Credentials, mask_ak
from imstui.api.errors import ImstuiError
from imstui.api.secret import Secret
from imstui.commands.doctor import check_keys, ensure_unlocked, interactive, load_settings_interactive
from imstui.commands.output import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, add_command
from imstui.commands.profile_set import add_domain_id_option, register_set
from imstui.core.credential_source import ENV_AK, ENV_SK, ENV_TOKEN, describe_missing, stored_keys_environ
from imstui.core.profiles import (
    CREDENTIAL_STORES,
    CredentialStoreName,
    Profile,
    ProfileStore,
    validate_profile_name,
)
from imstui.core.secret_store import (
    PlaintextSecrets,
    SecretStore,
    SecretStoreUnavailable,
    default_store,
    remedies_here,
)

SDK_CREDENTIALS_ENV = "HUAWEICLOUD_SDK_CREDENTIALS_FILE"


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = add_command(
        subparsers,
        common,
        "profile",
        help="manage stored credential profiles (keys in the OS keyring)",
        description="Manage credential profiles: settings in the config file, keys in the OS keyring.",
        json_option=False,
    )
    actions = parser.add_subparsers(dest="profile_action", metavar="ACTION")
    parser.set_defaults(handler=lambda args: _usage(parser))

    p_list = actions.add_parser("list", help="list the profiles (no keyring access)")
    p_list.add_argument("--json", action="store_true", help="print JSON")
    p_list.set_defaults(handler=cmd_list)

    p_add = actions.add_parser("add", help="create or replace a profile and store its keys")
    p_add.add_argument("name", help="profile name: 1-64 of A-Z a-z 0-9 _ . -")
    _add_setting_options(p_add, region_required=True)
    p_add.add_argument("--ak", dest="ak_value", help="access key id (not secret; prompted for on a terminal if absent)")
    p_add.add_argument(
        "--sk-stdin",
        action="store_true",
        help="read the secret key from stdin (first line) and an optional security token (second line)",
    )
    p_add.set_defaults(handler=cmd_add)

    p_import = actions.add_parser(
        "import",
        help="import keys from the Huawei Cloud SDK credentials file (~/.huaweicloud/credentials)",
    )
    p_import.add_argument("name", help="profile name to create")
    _add_setting_options(p_import, region_required=True)
    p_import.add_argument(
        "--file",
        dest="credentials_file",
        help=f"INI file (default ${SDK_CREDENTIALS_ENV} or ~/.huaweicloud/credentials)",
    )
    p_import.add_argument(
        "--section", choices=("basic", "global"), help="section to read (default: basic, else global)"
    )
    p_import.set_defaults(handler=cmd_import)

    p_remove = actions.add_parser("remove", help="delete a profile and its stored keys")
    p_remove.add_argument("name")
    p_remove.add_argument(
        "--force", action="store_true", help="remove the profile even if its keys cannot be deleted now"
    )
    p_remove.set_defaults(handler=cmd_remove)

    p_test = actions.add_parser("test", parents=[common], help="prove a profile's keys work with one signed call")
    p_test.add_argument("name", nargs="?", help="profile (default: --profile, $IMSTUI_PROFILE, the default)")
    p_test.set_defaults(handler=cmd_test)

    register_set(actions)  # imstui profile set NAME --domain-id ID: imstui.commands.profile_set

    p_default = actions.add_parser("default", help="make a profile the default")
    p_default.add_argument("name")
    p_default.set_defaults(handler=cmd_default)


def _add_setting_options(parser: argparse.ArgumentParser, *, region_required: bool) -> None:
    # Own dest names: the common --region/--project-id/... (which select the run's settings) use the plain ones.
    parser.add_argument("--region", dest="p_region", required=region_required, help="region id, e.g. ap-southeast-1")
    parser.add_argument("--project-id", dest="p_project_id", help='project id (default "discover": from the region)')
    parser.add_argument("--endpoint", dest="p_endpoint", help="IMS endpoint override")
    parser.add_argument("--iam-endpoint", dest="p_iam_endpoint", help="IAM endpoint override")
    add_domain_id_option(parser)
    parser.add_argument(
        "--store",
        choices=CREDENTIAL_STORES,
        default="keyring",
        help="where the keys live: keyring (default), session (typed into the console each run, never stored), "
        "env (HUAWEICLOUD_SDK_AK/SK each run), plaintext (needs --insecure-plaintext)",
    )
    parser.add_argument(
        "--insecure-plaintext",
        action="store_true",
        help="explicit opt-in: store the keys UNENCRYPTED in a 0600 file (imstui keeps warning about it)",
    )
    parser.add_argument("--default", dest="make_default", action="store_true", help="make it the default profile")


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def _err(message: str) -> None:
    print(f"imstui: {message}", file=sys.stderr)


def _remedy_list() -> str:
    return "\n".join(f"  {index}. {remedy}" for index, remedy in enumerate(remedies_here(), 1))


# -- list / default -------------------------------------------------------------------------------------------


def cmd_list(args: argparse.Namespace) -> int:
    profiles = ProfileStore()
    try:
        items = profiles.list()
        default = profiles.default_name()
    except ImstuiError as exc:
        _err(exc.message)
        return EXIT_FAILURE
    if args.json:
        print(
            json.dumps(
                [dict(p.to_toml(), name=p.name, default=p.name == default) for p in items], indent=2, sort_keys=True
            )
        )
        return EXIT_OK
    if not items:
        print(f"no profiles yet ({profiles.path}); create one with: imstui profile add NAME --region REGION")
        return EXIT_OK
    rows = [("", "NAME", "REGION", "PROJECT", "KEYS IN", "ACCESS KEY")]
    for p in items:
        store = "PLAINTEXT (insecure opt-in)" if p.is_plaintext else p.credential_store
        rows.append(
            ("*" if p.name == default else "", p.name, p.region, p.project_id or "discover", store, p.ak_hint or "-")
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    if any(p.is_plaintext for p in items):
        print("WARNING: profiles marked PLAINTEXT keep their keys unencrypted on disk.")
    return EXIT_OK


def cmd_default(args: argparse.Namespace) -> int:
    try:
        ProfileStore().set_default(validate_profile_name(args.name))
    except ImstuiError as exc:
        _err(exc.message)
        return EXIT_FAILURE
    print(f"default profile: {args.name}")
    return EXIT_OK


# -- add / import ---------------------------------------------------------------------------------------------


def _read_secret_lines(args: argparse.Namespace) -> tuple[Secret, Secret | None]:
    """SK and optional token: stdin lines with --sk-stdin, else masked prompts on a terminal."""
    if args.sk_stdin:
        sk = sys.stdin.readline().strip()
        token = sys.stdin.readline().strip()
    elif interactive():
        sk = getpass.getpass("Secret key (SK, not shown): ").strip()
        token = getpass.getpass("Security token (temporary keys only; Enter for none): ").strip()
    else:
        raise ImstuiError("no terminal to ask for the secret key: pass --sk-stdin and write it to stdin")
    if not sk:
        raise ImstuiError("the secret key is empty")
    return Secret(sk), (Secret(token) if token else None)


def _read_ak(args: argparse.Namespace) -> str:
    ak = (args.ak_value or "").strip()
    if not ak and interactive() and not args.sk_stdin:
        ak = input("Access key id (AK): ").strip()
    if not ak:
        raise ImstuiError("no access key: pass --ak AK")
    if any(ch.isspace() for ch in ak) or len(ak) > 128:
        raise ImstuiError("the access key must be one word of at most 128 characters")
    return ak


def _choose_store(args: argparse.Namespace) -> CredentialStoreName:
    store: CredentialStoreName = args.store
    if args.insecure_plaintext and store == "keyring":
        store = "plaintext"
    if store == "plaintext" and not args.insecure_plaintext:
        raise ImstuiError(
            "--store plaintext keeps the keys unencrypted: add --insecure-plaintext to confirm you accept that"
        )
    return store


def _keyring_ready(store: SecretStore) -> str | None:
    """None when keys can go into the keyring; else the refusal text (with the remedies)."""
    info = store.backend_info()
    if not info.available:
        return f"{info.description}\nOptions, best first:\n{_remedy_list()}"
    if not info.secure:
        return (
            f"refusing to store keys: the keyring backend is not secure.\n  {info.description}\n"
            f"Options, best first:\n{_remedy_list()}"
        )
    return ensure_unlocked(store, info)


def _save(
    args: argparse.Namespace,
    name: str,
    credentials: Credentials | None,
    *,
    store_name: CredentialStoreName,
    project_id: str | None,
    iam_endpoint: str | None,
    domain_id: str | None = None,
) -> int:
    profile = Profile(
        name=name,
        region=args.p_region,
        project_id=project_id if project_id not in (None, "", "discover") else None,
        endpoint=args.p_endpoint,
        iam_endpoint=iam_endpoint,
        credential_store=store_name,
        ak_hint=mask_ak(credentials.ak) if credentials else None,
        domain_id=domain_id,
    )
    profiles = ProfileStore()
    previous = profiles.find(name)
    if credentials is not None:
        if store_name == "keyring":
            store = default_store()
            refusal = _keyring_ready(store)
            if refusal:
                _err(refusal)
                return EXIT_FAILURE
            store.set(name, credentials)
            where = f"keyring ({store.backend_info().name})"
        else:
            plain = PlaintextSecrets()
            plain.set(name, credentials)
            where = f"PLAINTEXT file {plain.path} (mode 0600, NOT encrypted)"
    else:
        where = {"session": "not stored: typed into the console each run", "env": "HUAWEICLOUD_SDK_AK/SK each run"}[
            store_name
        ]
    profiles.save(profile, make_default=args.make_default)
    # Keys that moved to another store must not linger in the old one.
    if previous is not None and previous.credential_store != store_name:
        _forget_secret(previous.name, previous.credential_store, quiet=True)
    account = f", account (domain) id {profile.domain_id}" if profile.domain_id else ""
    print(f"saved profile {name}: region {profile.region}{account}, keys: {where}")
    if credentials is not None:
        print(
            f"  access key {profile.ak_hint}"
            + (" (temporary, with security token)" if credentials.is_temporary else "")
        )
    if store_name == "plaintext":
        print(
            "WARNING: the keys of this profile are stored unencrypted; imstui will keep showing this warning.",
            file=sys.stderr,
        )
    return EXIT_OK


def cmd_add(args: argparse.Namespace) -> int:
    try:
        name = validate_profile_name(args.name)
        store_name = _choose_store(args)
        credentials: Credentials | None = None
        if store_name in ("keyring", "plaintext"):
            if store_name == "keyring":
                # Refuse before asking for the SK when it could not be stored anyway.
                refusal = _keyring_ready(default_store())
                if refusal:
                    _err(refusal)
                    return EXIT_FAILURE
            ak = _read_ak(args)
            sk, token = _read_secret_lines(args)
            credentials = Credentials(ak=ak, sk=sk, security_token=token)
        return _save(
            args,
            name,
            credentials,
            store_name=store_name,
            project_id=args.p_project_id,
            iam_endpoint=args.p_iam_endpoint,
            domain_id=args.p_domain_id,
        )
    except SecretStoreUnavailable as exc:
        _err(exc.full_text)
        return EXIT_FAILURE
    except ImstuiError as exc:
        _err(exc.message)
        return EXIT_FAILURE


def sdk_credentials_path(explicit: str | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    override = os.environ.get(SDK_CREDENTIALS_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    return Path.home() / ".huaweicloud" / "credentials"


def read_sdk_credentials(path: Path, section: str | None = None) -> tuple[Credentials, dict[str, str]]:
    """AK/SK/token and the non-secret extras (project_id, iam_endpoint, domain_id) from the SDK's INI file."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with path.open(encoding="utf-8") as handle:
            parser.read_file(handle)
    except FileNotFoundError:
        raise ImstuiError(f"no SDK credentials file at {path}") from None
    except (OSError, UnicodeDecodeError, configparser.Error) as exc:
        raise ImstuiError(f"cannot read the SDK credentials file {path} ({type(exc).__name__})") from None
    chosen = section or next((s for s in ("basic", "global") if parser.has_section(s)), None)
    if chosen is None or not parser.has_section(chosen):
        raise ImstuiError(f"{path} has no [{section or 'basic'}] or [global] section")
    values = {key.lower(): value.strip() for key, value in parser.items(chosen)}
    ak, sk = values.get("ak", ""), values.get("sk", "")
    if not ak or not sk:
        raise ImstuiError(f"[{chosen}] in {path} needs both ak and sk")
    token = values.get("security_token", "")
    extras = {k: values[k] for k in ("project_id", "iam_endpoint", "domain_id") if values.get(k)}
    return Credentials(ak=ak, sk=Secret(sk), security_token=Secret(token) if token else None), extras


def cmd_import(args: argparse.Namespace) -> int:
    try:
        name = validate_profile_name(args.name)
        store_name = _choose_store(args)
        if store_name not in ("keyring", "plaintext"):
            raise ImstuiError("import stores the keys: use --store keyring (or plaintext with --insecure-plaintext)")
        path = sdk_credentials_path(args.credentials_file)
        credentials, extras = read_sdk_credentials(path, args.section)
        print(f"read {path}: access key {mask_ak(credentials.ak)}")
        return _save(
            args,
            name,
            credentials,
            store_name=store_name,
            project_id=args.p_project_id or extras.get("project_id"),
            iam_endpoint=args.p_iam_endpoint or extras.get("iam_endpoint"),
            domain_id=args.p_domain_id or extras.get("domain_id"),
        )
    except SecretStoreUnavailable as exc:
        _err(exc.full_text)
        return EXIT_FAILURE
    except ImstuiError as exc:
        _err(exc.message)
        return EXIT_FAILURE


# -- remove ---------------------------------------------------------------------------------------------------


def _forget_secret(name: str, store_name: CredentialStoreName, *, quiet: bool = False) -> bool:
    """Delete the stored keys of ``name`` from ``store_name``; True when nothing is left behind."""
    try:
        if store_name == "keyring":
            store = default_store()
            if ensure_unlocked(store) is None:
                store.delete(name)
                return True
            return False
        if store_name == "plaintext":
            PlaintextSecrets().delete(name)
        return True
    except SecretStoreUnavailable as exc:
        if not quiet:
            _err(exc.full_text)
        return False


def cmd_remove(args: argparse.Namespace) -> int:
    profiles = ProfileStore()
    try:
        name = validate_profile_name(args.name)
        profile = profiles.get(name)
    except ImstuiError as exc:
        _err(exc.message)
        return EXIT_FAILURE
    if not _forget_secret(name, profile.credential_store) and not args.force:
        _err(
            f"the keys of profile {name} could not be deleted from the {profile.credential_store}; the profile is "
            "kept. Fix the keyring (see `imstui doctor`) or pass --force to remove the profile anyway."
        )
        return EXIT_FAILURE
    profiles.remove(name)
    print(f"removed profile {name} and its stored keys")
    return EXIT_OK


# -- test -----------------------------------------------------------------------------------------------------


def cmd_test(args: argparse.Namespace) -> int:
    name = args.name or getattr(args, "profile", None)
    try:
        wanted = ProfileStore().active_name(name)
    except ImstuiError as exc:
        _err(exc.message)
        return EXIT_FAILURE
    environ = stored_keys_environ(wanted)
    try:
        settings = load_settings_interactive(wanted, store=default_store(), environ=environ)
    except (SecretStoreUnavailable, ImstuiError) as exc:
        _err(exc.full_text if isinstance(exc, SecretStoreUnavailable) else exc.message)
        return EXIT_FAILURE
    if settings.credentials is None:
        _err(describe_missing(settings))
        return EXIT_FAILURE
    if settings.warning:
        print(f"WARNING: {settings.warning}", file=sys.stderr)
    ignored = [v for v in (ENV_AK, ENV_SK, ENV_TOKEN) if os.environ.get(v, "").strip() and v not in environ]
    if ignored:
        print(f"note: {'/'.join(ignored)} in the environment ignored: testing the stored keys", file=sys.stderr)
    run_args = argparse.Namespace(**vars(args))
    run_args.profile = settings.profile
    result = check_keys(run_args, environ=environ)
    label = settings.profile or "(environment)"
    keys = f"keys from {settings.source} (AK {mask_ak(settings.credentials.ak)})"
    if result.ok:
        print(f"profile {label}: {keys}: OK: {result.summary}")
        return EXIT_OK
    print(f"profile {label}: {keys}: FAILED: {result.summary}")
    if result.meaning:
        print(f"  meaning: {result.meaning}")
    if result.remedy:
        print(f"  next step: {result.remedy}")
    return EXIT_FAILURE
