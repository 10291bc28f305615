"""The client and the headless command path never import Textual (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys

PROGRAM = """
import json, sys
import imstui.api, imstui.core.validation, imstui.core.context, imstui.core.eligibility, imstui.cli
import imstui.commands.image, imstui.commands.copy, imstui.commands.job
imstui.cli.build_parser()
imstui.cli.parse_args(["copy", "465076de-dc36-4aec-80f5-ef9d8009428f", "--name", "x"])
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "rich"))))
"""


def test_headless_path_does_not_import_textual() -> None:
    result = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=120, check=True)
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert [m for m in loaded if m.startswith("textual")] == []


def test_headless_command_runs_without_textual_available(tmp_path: object) -> None:
    # Make `import textual` fail outright: a headless command must still work (here: a local validation error).
    program = (
        "import sys; sys.modules['textual'] = None\n"
        "from imstui.cli import main\n"
        "raise SystemExit(main(['copy', 'not-a-uuid', '--name', 'x']))\n"
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "image_id.uuid" in result.stderr and "Traceback" not in result.stderr


def test_console_start_leaves_out_what_it_never_uses() -> None:
    # `imstui` without a command parses its options without importing any command module, and the console's
    # connection stack loads without trio and click (installed here, imported by httpcore/httpx only if present).
    program = (
        "import json, sys\n"
        "from imstui.cli import parse_args\n"
        "args = parse_args(['--demo', '--profile', 'p'])\n"
        "from imstui.ui.launch import skip_unused_optional_imports\n"
        "skip_unused_optional_imports()\n"
        "from imstui.ui.session import preload_connection_stack\n"
        "preload_connection_stack(True)\n"
        "import httpx\n"
        "loaded = sorted(m for m in sys.modules if sys.modules[m] is not None)\n"
        "print(json.dumps([args.demo, args.profile, [m for m in loaded if m.startswith(('imstui.commands', 'trio',"
        " 'click'))]]))\n"
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [True, "p", []]
