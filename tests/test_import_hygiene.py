"""The client and the headless command path never import Textual (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

PROGRAM = """
import json, sys
import imstui.api, imstui.core.validation, imstui.core.context, imstui.core.eligibility, imstui.cli
import imstui.commands.image, imstui.commands.copy, imstui.commands.job
imstui.cli.build_parser()
imstui.cli.parse_args(["copy", "465076de-dc36-4aec-80f5-ef9d8009428f", "--name", "x"])
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "rich"))))
"""


def fresh_answer(program: str) -> Any:
    """Run ``program`` in a fresh interpreter (exit 0 required, its stderr shown otherwise); the JSON document on the
    last line of its output."""
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_headless_path_does_not_import_textual() -> None:
    loaded = fresh_answer(PROGRAM)
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
    assert fresh_answer(program) == [True, "p", []]


def test_wording_a_throttle_does_not_load_the_poller_engine() -> None:
    # The console's first screen imports the terminal's attention and the poller wording: they name the poller's
    # types only for type checking, and the package's names load lazily (PEP 562), so neither the engine, its
    # events nor the ledger comes with them.
    program = (
        "import json, sys\n"
        "import imstui.ui.terminal, imstui.core.wording\n"
        "before = sorted(m for m in sys.modules if m.startswith(('imstui.core.poller', 'imstui.core.ledger')))\n"
        "from imstui.core.poller import Poller, PollSettings, Throttle, is_fatal\n"
        "import imstui.core.poller as package\n"
        "try:\n"
        "    package.NoSuchName\n"
        "    missing = 'no error'\n"
        "except AttributeError as exc:\n"
        "    missing = str(exc)\n"
        "print(json.dumps([before, Poller.__module__, PollSettings.__module__, Throttle.__module__,\n"
        "    is_fatal.__module__, all(name in dir(package) for name in package.__all__), missing]))\n"
    )
    before, *modules, listed, missing = fresh_answer(program)
    assert before == []
    assert modules == [
        "imstui.core.poller.controls",
        "imstui.core.poller.settings",
        "imstui.core.poller.events",
        "imstui.core.poller.policy",
    ]
    assert listed and "NoSuchName" in missing


def test_the_console_holds_the_collector_until_its_connection_stack_has_loaded() -> None:
    program = (
        "import gc, json\n"
        "from imstui.ui.launch import hold_collections\n"
        "from imstui.ui.session import preload_connection_stack\n"
        "first = hold_collections()\n"
        "states = [first, gc.isenabled(), hold_collections()]\n"
        "preload_connection_stack(True)\n"
        "states.append(gc.isenabled())\n"
        "gc.disable()\n"
        "states.append(hold_collections())  # someone else turned it off: not ours to turn back on\n"
        "preload_connection_stack(True)\n"
        "states.append(gc.isenabled())\n"
        "print(json.dumps(states))\n"
    )
    assert fresh_answer(program) == [True, False, False, True, False, False]


def test_the_demo_session_opens_without_the_simulators_http_layer(tmp_path: object) -> None:
    # The in-process demo's state (seed, persisted jobs) is built at once; Starlette only for the first request
    # (or by imstui.connect.warm_demo_requests, which the console runs in a thread once connected).
    program = (
        "import asyncio, json, sys\n"
        "from pathlib import Path\n"
        "from imstui.connect import open_demo_session, warm_demo_requests\n"
        "from imstui.sim import seed\n"
        f"session = open_demo_session(ledger_path=Path({str(tmp_path)!r}) / 'jobs.sqlite3')\n"
        "before = sorted(m for m in sys.modules if m.startswith(('starlette', 'imstui.sim.app')))\n"
        "async def look():\n"
        "    try:\n"
        "        return (await session.api.get_image(seed.ELIGIBLE_LINUX_ID)).id\n"
        "    finally:\n"
        "        await session.aclose()\n"
        "image = asyncio.run(look())\n"
        "warm_demo_requests()\n"
        "print(json.dumps([before, image, 'starlette' in sys.modules]))\n"
    )
    from imstui.sim import seed

    assert fresh_answer(program) == [[], seed.ELIGIBLE_LINUX_ID, True]


def test_the_browsers_pages_are_kept_out_of_full_collections_only_in_the_console_process() -> None:
    # imstui.ui.launch.keep_long_lived (called after each page of the image browser): in the console's process the
    # objects alive are frozen (a full collection over 10,000 images stalled keys for 45-80 ms); elsewhere (a test
    # run hosting many apps) nothing is frozen, so no other app's garbage is kept.
    program = (
        "import gc, json\n"
        "from imstui.ui import launch\n"
        "data = [{'n': i} for i in range(1000)]\n"
        "before = gc.get_freeze_count()\n"
        "launch.keep_long_lived()\n"
        "outside = gc.get_freeze_count()\n"
        "launch._CONSOLE[0] = True\n"
        "launch.keep_long_lived()\n"
        "print(json.dumps([outside == before, gc.get_freeze_count() >= before + len(data)]))\n"
    )
    assert fresh_answer(program) == [True, True]


def test_the_console_connects_without_loading_the_batch_items_screen(tmp_path: object) -> None:
    # The batch rows ask which item screens are open on every read; asking must not load the screen's module
    # (with Textual's DataTable, ~45 ms on the event loop just as the console connects). Opening one loads it.
    program = (
        "import asyncio, json, sys\n"
        "from pathlib import Path\n"
        "from imstui.ui.app import ImstuiApp\n"
        "from imstui.ui.connectors import DemoConnector\n"
        "from imstui.ui.widgets.batch_strip import BatchStrip\n"
        f"app = ImstuiApp(DemoConnector(ledger_path=Path({str(tmp_path)!r}) / 'jobs.sqlite3'))\n"
        "async def main():\n"
        "    async with app.run_test(size=(100, 30)) as pilot:\n"
        "        strip = app.screen.query_one(BatchStrip)\n"
        "        while app.session is None or strip._loading:\n"
        "            await pilot.pause(0.01)\n"
        "        await pilot.pause()\n"
        "        return [strip._open_batches() == set(), 'imstui.ui.screens.batch_detail' in sys.modules]\n"
        "print(json.dumps(asyncio.run(main())))\n"
    )
    assert fresh_answer(program) == [True, False]


def test_a_deferred_demo_session_is_connected_before_httpx_loads(tmp_path: object) -> None:
    # The console's sessions leave the client's HTTP stack for after they are on screen (defer_http=True): opening
    # one loads neither httpx nor httpcore; prepare_connection() (run by the console in a thread) loads httpx and
    # what requests use, and a request then works. An injected transport never loads httpcore.
    program = (
        "import asyncio, json, sys\n"
        "from pathlib import Path\n"
        "from imstui.ui.session import preload_connection_stack\n"
        "preload_connection_stack(True)\n"
        "from imstui.connect import open_demo_session\n"
        "from imstui.sim import seed\n"
        f"session = open_demo_session(ledger_path=Path({str(tmp_path)!r}) / 'jobs.sqlite3', defer_http=True)\n"
        "def loaded():\n"
        "    names = ('httpx', 'httpcore', 'h11', 'imstui.api.exchange', 'imstui.api.signer')\n"
        "    return [name for name in names if name in sys.modules]\n"
        "before = loaded()\n"
        "session.prepare_connection()\n"
        "after = loaded()\n"
        "async def look():\n"
        "    try:\n"
        "        return (await session.api.get_image(seed.ELIGIBLE_LINUX_ID)).id\n"
        "    finally:\n"
        "        await session.aclose()\n"
        "print(json.dumps([before, after, asyncio.run(look())]))\n"
    )
    from imstui.sim import seed

    assert fresh_answer(program) == [
        [],
        ["httpx", "imstui.api.exchange", "imstui.api.signer"],
        seed.ELIGIBLE_LINUX_ID,
    ]
