"""Where does the poller's CPU go per status check? cProfile over the real poller against `imstui sim` on loopback.

Runs poller_bench.py's poller child (rate budget lifted, intervals 0, --concurrency in flight, ledger writes
included) under cProfile for --duration seconds and prints checks/s, CPU per check (inflated by the profiler) and
the functions with the most own time. It also prints the share of httpcore's ``current_async_library``, which does
``import sniffio`` on every lock httpcore creates: with ``--hide-sniffio`` that import fails as it does where sniffio
is not installed (a finder searches every other path entry, then ImportError, every time), to show what declaring
the dependency saves.

    python benchmarks/poller_profile.py [--jobs 300] [--duration 6] [--concurrency 8] [--top 15] [--hide-sniffio]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib.abc
import importlib.machinery
import pstats
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


class HideSniffio(importlib.abc.MetaPathFinder):
    """``import sniffio`` costs what a missing package costs: the other path entries are searched, then it fails."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname.split(".")[0] != "sniffio":
            return None
        others = [p for p in sys.path if not p.endswith("site-packages")]
        importlib.machinery.PathFinder.find_spec(fullname, others)
        raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--duration", type=float, default=6.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--hide-sniffio", action="store_true")
    args = parser.parse_args()
    if args.hide_sniffio:
        sys.modules.pop("sniffio", None)
        sys.meta_path.insert(0, HideSniffio())
    import poller_bench
    import sim_throughput

    with sim_throughput.start_sim(args.jobs) as sim:
        job_ids = asyncio.run(poller_bench._create(sim.exports, args.jobs))
        profile = cProfile.Profile()
        profile.enable()
        result = asyncio.run(poller_bench._child_poller(sim.exports, job_ids, args.duration, args.concurrency))
        profile.disable()
    stats = pstats.Stats(profile)
    total = stats.total_tt  # type: ignore[attr-defined]
    print(
        f"sniffio {'hidden (as if not installed)' if args.hide_sniffio else 'importable'}: "
        f"{result['per_second']:.0f} checks/s, {result['cpu_per_1000']:.2f} ms CPU per check (under cProfile)"
    )
    entries = stats.stats.items()  # type: ignore[attr-defined]
    for (filename, _, name), (_, calls, _, cumulative, _) in entries:
        if name == "current_async_library" and "httpcore" in filename:
            print(f"httpcore current_async_library: {calls} calls, {100 * cumulative / total:.0f}% of profiled time")
    print(f"top {args.top} by own time (of {total:.1f} s profiled):")
    ranked = sorted(entries, key=lambda item: item[1][2], reverse=True)[: args.top]
    for (filename, line, name), (_, calls, own, cumulative, _) in ranked:
        where = "/".join(Path(filename).parts[-2:])
        share = 100 * own / total
        print(f"  {share:5.1f}%  own {own:6.2f} s  cum {cumulative:6.2f} s  {calls:>8}  {where}:{line} {name}")


if __name__ == "__main__":
    main()
