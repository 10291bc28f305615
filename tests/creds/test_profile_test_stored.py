"""`imstui profile test NAME` (a subprocess): the STORED keys of NAME are tested, whatever the environment holds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from creds import iamfake

STORED_AK = "HPUASTOREDAK000042"
STORED_SK = "SK-stored-3b1e9f70"
ENV_AK = "HPUAENVIRONAK00077"
ENV_SK = "SK-environ-5c2d8a11"


def imstui(argv: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "imstui", *argv], input=stdin, env=env, capture_output=True, text=True, timeout=120
    )


def base_env(tmp_path: Path) -> dict[str, str]:
    drop = ("HUAWEICLOUD_SDK_", "IMSTUI_", "PYTEST")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"), IMSTUI_CONFIG=str(tmp_path / "c.toml"))
    return env


def add_profile(env: dict[str, str], iam_url: str, *, store: str = "plaintext") -> None:
    extra = ["--insecure-plaintext"] if store == "plaintext" else []
    argv = ["profile", "add", "prod", "--region", "ap-southeast-1", "--ak", STORED_AK, "--sk-stdin"]
    added = imstui([*argv, "--iam-endpoint", iam_url, "--store", store, *extra], env, stdin=f"{STORED_SK}\n\n")
    assert added.returncode == 0, added.stdout + added.stderr


def test_stored_keys_are_tested_while_other_keys_are_exported(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    # IAM accepts only the stored pair: a run with the exported pair would be refused (APIGW.0301).
    with iamfake.serve_iam(STORED_AK, STORED_SK) as iam_url:
        add_profile(env, iam_url)
        run = imstui(["profile", "test", "prod"], {**env, "HUAWEICLOUD_SDK_AK": ENV_AK, "HUAWEICLOUD_SDK_SK": ENV_SK})
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    assert "profile prod: keys from plaintext (AK HPUA…0042): OK" in run.stdout
    assert "HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK in the environment ignored" in run.stderr
    assert "HPUA…0077" not in out and ENV_AK not in out
    assert STORED_SK not in out and ENV_SK not in out


def test_a_profile_whose_store_is_env_tests_the_exported_keys(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    with iamfake.serve_iam(ENV_AK, ENV_SK) as iam_url:
        add_profile(env, iam_url, store="env")
        run = imstui(["profile", "test", "prod"], {**env, "HUAWEICLOUD_SDK_AK": ENV_AK, "HUAWEICLOUD_SDK_SK": ENV_SK})
    assert run.returncode == 0, run.stdout + run.stderr
    assert "profile prod: keys from env (AK HPUA…0077): OK" in run.stdout
    assert "ignored" not in run.stderr


def test_wrong_stored_keys_fail_even_when_the_exported_ones_would_work(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    with iamfake.serve_iam(ENV_AK, ENV_SK) as iam_url:
        add_profile(env, iam_url)
        run = imstui(["profile", "test", "prod"], {**env, "HUAWEICLOUD_SDK_AK": ENV_AK, "HUAWEICLOUD_SDK_SK": ENV_SK})
    assert run.returncode == 1
    assert "profile prod: keys from plaintext (AK HPUA…0042): FAILED" in run.stdout
