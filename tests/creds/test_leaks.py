"""End to end in real processes: after `profile add` (SK on stdin), `doctor` and `profile test` against a fake IAM
that checks the signature, the SK is in no file under HOME (except inside the keyring's encrypted store), in no
output, and never in a process's argv or environment."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from creds import iamfake

pytestmark = pytest.mark.e2e

TESTS_DIR = Path(__file__).resolve().parents[1]
AK = "HPUALEAKTESTAK0001"


def wait_for_exec(proc: subprocess.Popen[bytes]) -> bytes:
    """/proc/<pid>/cmdline once the child has exec'd python -m imstui (before that it shows the parent's)."""
    deadline = time.monotonic() + 20
    cmdline = b""
    while time.monotonic() < deadline:
        try:
            cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        except OSError:
            break
        if b"imstui" in cmdline:
            return cmdline
        time.sleep(0.01)
    return cmdline


def run_imstui(argv: list[str], env: dict[str, str], stdin: bytes, sk: str) -> tuple[int, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "imstui", *argv],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    cmdline = wait_for_exec(proc)
    assert b"imstui" in cmdline
    assert sk.encode() not in cmdline
    try:
        environ = Path(f"/proc/{proc.pid}/environ").read_bytes()
    except OSError:
        environ = b""
    assert sk.encode() not in environ
    out, err = proc.communicate(stdin, timeout=120)
    text = out.decode() + err.decode()
    assert sk not in text, f"SK leaked into the output of {argv}"
    return proc.returncode, text


@pytest.mark.parametrize("backend", ["scrambled-file", "secret-service"])
def test_sk_never_leaks(backend: str, isolated_home: Path, request: pytest.FixtureRequest) -> None:
    sk = f"SK-LEAK-{uuid.uuid4().hex}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS_DIR), env.get("PYTHONPATH")]))
    if backend == "secret-service":
        env.update(request.getfixturevalue("secret_service"))
        env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.SecretService.Keyring"
    else:
        env["PYTHON_KEYRING_BACKEND"] = "creds.filekeyring.ScrambledFileKeyring"

    with iamfake.serve_iam(AK, sk) as iam_url:
        add = ["profile", "add", "leak", "--region", "ap-southeast-1", "--ak", AK, "--iam-endpoint", iam_url]
        code, text = run_imstui([*add, "--sk-stdin"], env, f"{sk}\n\n".encode(), sk)
        assert code == 0, text
        code, text = run_imstui(["doctor"], env, b"", sk)
        assert code == 0, text
        assert "result: all good" in text and iamfake.PROJECT_ID in text
        code, text = run_imstui(["profile", "test", "leak"], env, b"", sk)
        assert code == 0, text

    needles = [sk.encode(), base64.b64encode(sk.encode()), sk.encode().hex().encode()]
    scanned = 0
    for path in isolated_home.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            scanned += 1
            for needle in needles:
                assert needle not in data, f"SK found in {path}"
    assert scanned >= 2  # at least the profiles file and the keyring's store
    assert (isolated_home / ".config" / "imstui" / "config.toml").is_file()
