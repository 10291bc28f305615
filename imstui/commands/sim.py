"""``imstui sim``: serve the IMS simulator over HTTP on loopback and print how to point a client at it.

Every service the simulator plays (IMS, IAM, KMS, EPS, image tags) is on its one port: the exports printed point
``IMSTUI_IMS_ENDPOINT``, ``HUAWEICLOUD_SDK_IAM_ENDPOINT``, ``IMSTUI_KMS_ENDPOINT`` and ``IMSTUI_EPS_ENDPOINT`` at it,
with ``IMSTUI_DOMAIN_ID`` (the simulated account id EPS requests are signed with).

    imstui sim [--host 127.0.0.1] [--port 0] [--speed X] [--faults SPEC] [--seed N] [--images N]

Port 0 picks a free port (printed). ``--host`` other than a loopback address needs ``--allow-remote``. The
credentials printed are public demo values (see ``imstui.sim.config``), unless ``IMSTUI_SIM_*`` overrides them.
No Textual import on this path.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import Any

from imstui.commands.output import EXIT_OK, EXIT_USAGE, add_command


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = add_command(
        subparsers,
        common,
        "sim",
        help="serve a local IMS simulator (demo credentials) for trying imstui or the SDK",
        description=__doc__ or "",
        json_option=False,
    )
    parser.formatter_class = argparse.RawDescriptionHelpFormatter  # the usage block above keeps its lines
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default 0: pick a free port and print it)")
    parser.add_argument("--speed", type=float, default=1.0, help="job speed factor (2 = copies finish twice as fast)")
    parser.add_argument(
        "--faults",
        default="",
        help="fault injection, e.g. 5xx=0.1,429=0.05,latency=0.2,drop=0.01,malformed=0.02,rate=200,window=300 "
        "(429s carry no Retry-After unless retry_after=S; prefix a key with copy./job./list./image./quota. "
        "for one route)",
    )
    parser.add_argument("--seed", type=int, default=None, help="seed for job ids, durations and faults")
    parser.add_argument("--purge-after", type=float, default=600.0, help="seconds a finished job stays queryable")
    parser.add_argument("--progress-scale", type=float, choices=(1.0, 100.0), default=1.0, help="process_percent max")
    parser.add_argument("--fail-rate", type=float, default=0.0, help="probability that an ordinary copy FAILs")
    parser.add_argument(
        "--quota", type=int, default=None, help="private image quota (IMG.0015; default 100, plus --images)"
    )
    parser.add_argument(
        "--images",
        type=int,
        default=0,
        metavar="N",
        help="N generated images beyond the seeded ones (deterministic; for paging and benchmarks)",
    )
    parser.add_argument(
        "--page-info", action="store_true", help="image lists carry page_info.next_marker (default: absent)"
    )
    parser.add_argument("--max-jobs", type=int, default=50, help="unfinished copy jobs allowed (IMG.0060)")
    parser.add_argument(
        "--copy-burst", default=None, metavar="N/S", help="IMG.0060 beyond N copies accepted in S seconds (e.g. 10/60)"
    )
    parser.add_argument(
        "--quota-api",
        choices=("ok", "forbidden", "missing"),
        default="ok",
        help="how GET /v1/cloudimages/quota answers",
    )
    parser.add_argument(
        "--time-format", choices=("iso", "legacy"), default="iso", help="job times: ISO or dd-Mon-yyyy HH:MM:SS:mmm"
    )
    parser.add_argument(
        "--statuses", choices=("upper", "lower"), default="upper", help="job statuses SUCCESS/FAIL or success/failed"
    )
    parser.add_argument(
        "--allow-remote", action="store_true", help="allow binding a non-loopback address (demo keys are public!)"
    )
    parser.set_defaults(handler=run)


def _export(name: str, value: str) -> str:
    return f"export {name}={shlex.quote(value)}"


def _burst(text: str | None) -> tuple[int, float] | None:
    if not text:
        return None
    count, sep, seconds = text.partition("/")
    try:
        return (int(count), float(seconds)) if sep else (int(count), 60.0)
    except ValueError:
        raise ValueError(f"--copy-burst {text!r}: expected N/S, e.g. 10/60") from None


def run(args: argparse.Namespace) -> int:
    from imstui.sim.config import ENV_SK, SimConfig
    from imstui.sim.faults import FaultConfig
    from imstui.sim.server import bind_socket, is_loopback, make_server

    if not is_loopback(args.host) and not args.allow_remote:
        print(
            f"imstui sim: refusing to bind {args.host}: the demo credentials are public; "
            "add --allow-remote if you really want that",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        faults = FaultConfig.parse(args.faults)
        overrides: dict[str, Any] = {
            "speed": args.speed,
            "faults": faults,
            "seed": args.seed,
            "purge_after": args.purge_after,
            "progress_scale": args.progress_scale,
            "fail_probability": args.fail_rate,
            "private_image_quota": args.quota if args.quota is not None else 100 + max(0, args.images),
            "generated_images": args.images,
            "page_info": args.page_info,
            "max_running_jobs": args.max_jobs,
            "copy_burst": _burst(args.copy_burst),
            "quota_api": args.quota_api,
            "time_format": args.time_format,
            "status_case": args.statuses,
        }
        if getattr(args, "region", None):
            overrides["region"] = args.region
        if getattr(args, "project_id", None):
            overrides["project_id"] = args.project_id
        config = SimConfig.from_env(**overrides)
    except ValueError as error:
        print(f"imstui sim: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as error:
        print(f"imstui sim: cannot bind {args.host}:{args.port}: {error.strerror or error}", file=sys.stderr)
        return EXIT_USAGE
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{host}:{port}"
    server, _ = make_server(config, sock)
    sk_line = (
        f'export HUAWEICLOUD_SDK_SK="${ENV_SK}"'
        if config.sk_from_env
        else _export("HUAWEICLOUD_SDK_SK", config.sk.reveal())
    )
    lines = [
        f"# imstui IMS simulator listening on {url} (region {config.region}, project {config.project_id})",
        "# Demo credentials: public demo values that only open this simulator, not secrets.",
        _export("HUAWEICLOUD_SDK_AK", config.ak),
        sk_line,
        _export("HUAWEICLOUD_SDK_REGION", config.region),
        _export("HUAWEICLOUD_SDK_PROJECT_ID", config.project_id),
        _export("IMSTUI_IMS_ENDPOINT", url),
        _export("HUAWEICLOUD_SDK_IAM_ENDPOINT", url),
        # KMS, EPS (and IAM's domain list) are served on the same port; EPS signs with the account (domain) id.
        _export("IMSTUI_KMS_ENDPOINT", url),
        _export("IMSTUI_EPS_ENDPOINT", url),
        _export("IMSTUI_DOMAIN_ID", config.domain_id),
    ]
    if faults.describe():
        lines.append(f"# faults: {faults.describe()}")
    lines.append("# Ctrl-C stops the simulator.")
    print("\n".join(lines), flush=True)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    return EXIT_OK
