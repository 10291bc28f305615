"""Local faults at the command line (issue 10, item 10): invalid UTF-8 in argv, a secret typed into the wrong option,
a config file nested thousands deep, a reader that stops reading (`| head -1`), and clients that hang up on
`imstui sim`. Each is one clear message and an exit code, never a traceback, never an echoed secret.

These run imstui in a child process, as an operator would: argv bytes, pipes and exit codes are the real ones."""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from ims_fake_server import IMAGE_ID, PROJECT_ID, REGION, FakeIms

from imstui.cli import main
from imstui.core.ledger import Ledger

SECRET = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY12"  # shaped like an SK (40 characters, mixed case, digits)


def imstui(*argv: str | bytes, stdin: str = "") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "imstui", *argv], input=stdin.encode(), capture_output=True, timeout=120, env=os.environ
    )


def error_lines(stderr: bytes) -> list[str]:
    return [line for line in stderr.decode("utf-8", "replace").splitlines() if "error:" in line]


# ------------------------------------------------------------------------------------------ invalid UTF-8 in argv


@pytest.mark.parametrize(
    ("argv", "where", "shown"),
    [
        ([b"jobs", b"forget", b"\xffabc", b"--yes"], "argument 3", r"'\xffabc'"),
        ([b"--profile", b"\xff", b"jobs"], "the value of --profile", r"'\xff'"),
        ([b"jobs", b"--profile=\xfe\xff"], "the value of --profile", r"'\xfe\xff'"),
        ([b"image", b"\xc3\x28" + IMAGE_ID.encode()], "argument 2", r"'\xc3("),  # a broken two-byte sequence
    ],
)
def test_invalid_utf8_in_argv_is_one_usage_error_showing_the_bytes_escaped(
    argv: list[bytes], where: str, shown: str
) -> None:
    result = imstui(*argv)
    assert result.returncode == 2
    assert b"Traceback" not in result.stderr and result.stdout == b""
    [line] = error_lines(result.stderr)
    assert where in line and "not valid UTF-8" in line and shown in line
    assert line.isascii()  # the bad bytes are escaped, never written raw to the terminal
    assert b"\xff" not in result.stderr and b"\xfe" not in result.stderr


def test_invalid_utf8_with_json_is_also_one_json_document() -> None:
    result = imstui(b"jobs", b"forget", b"\xffabc", b"--json")
    assert result.returncode == 2 and b"Traceback" not in result.stderr
    doc = json.loads(result.stdout)
    assert doc["ok"] is False and doc["error"]["type"] == "UsageError" and "not valid UTF-8" in doc["error"]["message"]


# ------------------------------------------------------------------------------------------ secrets in the wrong option


@pytest.mark.parametrize("option", ["--region", "--profile", "--endpoint", "--iam-endpoint", "--project-id"])
@pytest.mark.parametrize("place", ["before", "after", "after-json", "equals"])
def test_a_secret_pasted_into_a_connection_option_is_refused_without_being_echoed(
    fake: FakeIms, capsys: pytest.CaptureFixture[str], option: str, place: str
) -> None:
    argv = {
        "before": [option, SECRET, "image", IMAGE_ID],
        "after": ["image", IMAGE_ID, option, SECRET],
        "after-json": ["image", IMAGE_ID, "--json", option, SECRET],
        "equals": ["jobs", f"{option}={SECRET}"],
    }[place]
    with pytest.raises(SystemExit) as info:
        main(argv)
    captured = capsys.readouterr()
    assert info.value.code == 2 and fake.requests == []  # nothing sent: the value would have gone in a header
    assert SECRET not in captured.out + captured.err
    [line] = [line for line in captured.err.splitlines() if "error:" in line]
    assert option in line and "not shown" in line
    if place == "after-json":
        assert json.loads(captured.out)["error"]["type"] == "UsageError"


def test_a_secret_in_an_option_through_a_real_process_is_not_echoed() -> None:
    result = imstui("jobs", "--region", SECRET, "--json")
    assert result.returncode == 2 and b"Traceback" not in result.stderr
    assert SECRET.encode() not in result.stdout + result.stderr
    assert "--region" in error_lines(result.stderr)[0]


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--region", REGION),
        ("--region", "eu-west-101"),
        ("--project-id", PROJECT_ID),
        ("--endpoint", "https://ims.example.test"),
        ("--endpoint", "http://127.0.0.1:8800"),
        ("--profile", "prod-eu_1.a"),
    ],
)
def test_well_shaped_option_values_pass_the_check(capsys: pytest.CaptureFixture[str], option: str, value: str) -> None:
    assert main(["jobs", option, value]) == 0  # the listing reads the ledger only: the value just has to be accepted
    assert "no jobs" in capsys.readouterr().out


def test_a_stored_profile_whose_name_looks_like_a_key_can_still_be_chosen(
    isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "ProdEurope2024Main"  # mixes cases and digits like a key: refused, unless it is a stored profile
    with pytest.raises(SystemExit):
        main(["jobs", "--profile", name])
    assert name not in capsys.readouterr().err
    folder = isolated_home / ".config" / "imstui"
    folder.mkdir(parents=True, mode=0o700)
    (folder / "config.toml").write_text(f'version = 1\n[profiles.{name}]\nregion = "{REGION}"\n')
    assert main(["jobs", "--profile", name]) == 0
    assert f"no jobs for profile {name}" in capsys.readouterr().out


def test_jobs_forget_does_not_echo_a_secret_looking_job_id(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["jobs", "forget", SECRET, "--yes"]) == 1
    captured = capsys.readouterr()
    assert SECRET not in captured.out + captured.err and "not shown" in captured.err
    assert main(["jobs", "forget", "#12345", "--yes"]) == 1
    assert "'#12345'" in capsys.readouterr().err  # an id-shaped value is named back


# ------------------------------------------------------------------------------------------ a hostile config file


def test_a_config_file_nested_5000_deep_is_one_error_naming_the_file(isolated_home: Path) -> None:
    path = isolated_home / ".config" / "imstui" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    for argv in (["profile", "list"], ["--profile", "p1", "jobs", "watch"]):
        result = imstui(*argv)
        assert result.returncode in (1, 2), argv  # profile list says 1 for a file it cannot use, as before
        assert b"Traceback" not in result.stderr and b"RecursionError" not in result.stderr
        [line] = result.stderr.decode().splitlines()  # one line, naming the file
        assert str(path) in line and "nested too deeply" in line


# ------------------------------------------------------------------------------------------ a reader that stops reading


def _fill_ledger(rows: int) -> None:
    with Ledger() as led:
        for i in range(rows):
            row = led.record_intent(
                profile="env",
                region=REGION,
                project_id=PROJECT_ID,
                source_image_id=IMAGE_ID,
                source_image_name="web01-golden",
                name=f"copy-{i}",
            )
            led.attach_job_id(row, f"ff8080814dbd65d7014dbe{i:010d}")


@pytest.mark.parametrize("argv", [["jobs", "--all"], ["jobs", "--all", "--json"], ["jobs", "export"]])
def test_output_into_a_pipe_closed_after_one_line_ends_quietly(argv: list[str]) -> None:
    _fill_ledger(800)  # well over a pipe's buffer (64 KiB), so imstui is still writing when the reader leaves
    child = subprocess.Popen(
        [sys.executable, "-m", "imstui", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ
    )
    assert child.stdout is not None and child.stderr is not None
    first = child.stdout.readline()
    child.stdout.close()  # `| head -1`
    stderr = child.stderr.read()
    code = child.wait(timeout=120)
    assert first.strip()
    assert stderr == b"", stderr.decode(errors="replace")  # no traceback, no "Exception ignored", nothing
    assert code == 141  # what a shell reports for a command ended by a closed pipe (128 + SIGPIPE)


def test_a_terminal_that_cannot_print_the_names_gets_escapes_and_ascii_glyphs() -> None:
    with Ledger() as led:
        row = led.record_intent(
            profile="env",
            region=REGION,
            project_id=PROJECT_ID,
            source_image_id=IMAGE_ID,
            source_image_name="源镜像",
            name="镜像-copy",
        )
        led.mark_rejected(row, "IMG.0015", "配额不足")
    result = subprocess.run(
        [sys.executable, "-m", "imstui", "jobs"],
        capture_output=True,
        timeout=120,
        env=dict(os.environ, PYTHONIOENCODING="ascii"),
    )
    assert result.returncode == 0 and result.stderr == b""
    [_, line] = result.stdout.decode("ascii").splitlines()
    assert line.startswith("x REJECTED") and "\\u955c\\u50cf-copy" in line


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("argv", [["jobs", "--all"], ["jobs", "--json"], ["jobs", "export"]])
def test_output_to_a_full_disk_is_one_line_and_exit_1(argv: list[str]) -> None:
    _fill_ledger(50)
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "imstui", *argv], stdout=full, stderr=subprocess.PIPE, timeout=120, env=os.environ
        )
    assert result.returncode == 1
    assert result.stderr.decode().splitlines() == ["error: No space left on device"]


# ------------------------------------------------------------------------------------------ clients hanging up on sim


def _lines(stream: object, into: queue.Queue[str]) -> None:
    for raw in iter(stream.readline, b""):  # type: ignore[attr-defined]
        into.put(raw.decode("utf-8", "replace"))


def _wait_for(lines: queue.Queue[str], seen: list[str], predicate: object, deadline: float) -> None:
    while not predicate(seen):  # type: ignore[operator]
        remaining = deadline - time.monotonic()
        assert remaining > 0, "".join(seen)
        try:
            seen.append(lines.get(timeout=remaining))
        except queue.Empty:
            continue


def test_sim_logs_a_client_that_hangs_up_mid_request_as_one_line_without_traceback() -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "imstui", "sim", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=os.environ,
    )
    out: queue.Queue[str] = queue.Queue()
    err: queue.Queue[str] = queue.Queue()
    for stream, into in ((child.stdout, out), (child.stderr, err)):
        threading.Thread(target=_lines, args=(stream, into), daemon=True).start()
    try:
        deadline = time.monotonic() + 60
        printed: list[str] = []
        _wait_for(out, printed, lambda seen: any("IMSTUI_IMS_ENDPOINT=" in line for line in seen), deadline)
        [endpoint] = [line.split("=", 1)[1].strip() for line in printed if "IMSTUI_IMS_ENDPOINT=" in line]
        host, port = endpoint.removeprefix("http://").rsplit(":", 1)
        for _ in range(3):  # a copy POST whose body never finishes: the client was killed mid-send
            with socket.create_connection((host, int(port))) as sock:
                head = f"POST /v1/cloudimages/{IMAGE_ID}/copy HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n"
                sock.sendall(head.encode() + b"{")
        logged: list[str] = []
        _wait_for(err, logged, lambda seen: sum("client disconnected" in line for line in seen) == 3, deadline)
        with socket.create_connection((host, int(port))) as sock:  # still serving
            sock.sendall(b"GET /v3/projects HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert sock.recv(12).startswith(b"HTTP/1.1 401")
    finally:
        child.terminate()
        child.wait(timeout=30)
    while not err.empty():
        logged.append(err.get())
    assert not any("Traceback" in line or "ClientDisconnect:" in line for line in logged), "".join(logged)
    assert len(logged) == 3
