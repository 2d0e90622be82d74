"""How long a user waits for `orders local run`, as whole commands, and the ratios measured in the same run.

    .venv/bin/python benchmarks/local_speed.py [--runs 3] [-n 2000]

- One line, cached: `orders local run` on a one-line file when nothing that goes into the stack changed
  since the last run (the synthesized assembly is reused). Target: at most 1.5 s.
- One line, uncached: the same with an empty synthesis cache (`ORDERS_CACHE_DIR` pointed at a new
  folder each time), as after any change to the stack's inputs. Target: at most 5 s.
- N orders end to end: the command's whole time, from its start to the report written, against the
  pipeline alone (the report's `summary.seconds`: first send to last execution finished). Target: at
  most 1.5x.

Each figure is a median of `--runs` runs, taken alternately, so that the machine's drift touches them
alike. Only public tools: `time.perf_counter` around `subprocess.run`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORDERS = Path(sys.executable).with_name("orders")
sys.path[:0] = [str(ROOT / "benchmarks")]

from command_failure import one_line  # noqa: E402
from local_throughput import orders  # noqa: E402

# CPU seconds of each timed command, by order file (the machine's load inflates wall-clock time, not these).
CPU: defaultdict[str, list[float]] = defaultdict(list)


def timed_run(order_file: Path, report: Path, environment: dict[str, str]) -> float:
    """The command's wall-clock seconds (its CPU seconds, children included, are added to `CPU`)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [str(ORDERS), "local", "run", str(order_file), "--report", str(report)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=environment,
        cwd=ROOT,
    )
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU[order_file.name].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("-n", "--orders", type=int, default=2000)
    args = parser.parse_args()
    try:
        measure(args)
    except subprocess.CalledProcessError as error:  # a run that fails: its own last line, not this traceback
        sys.exit(f"local_speed: {one_line(error)}")


def measure(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="orders-speed-") as work:
        folder = Path(work)
        one_line = folder / "one.jsonl"
        one_line.write_text(orders(1)[0] + "\n")
        many = folder / "many.jsonl"
        many.write_text("\n".join(orders(args.orders)) + "\n")
        report = folder / "report.json"
        cache = {**os.environ, "ORDERS_CACHE_DIR": str(folder / "cache")}
        timed_run(one_line, report, cache)  # fills the cache the cached runs reuse
        CPU.clear()
        cached, uncached, end_to_end, pipeline = [], [], [], []
        for run in range(args.runs):
            cached.append(timed_run(one_line, report, cache))
            empty_cache = {**os.environ, "ORDERS_CACHE_DIR": str(folder / f"empty-{run}")}
            uncached.append(timed_run(one_line, report, empty_cache))
            end_to_end.append(timed_run(many, report, cache))
            summary = json.loads(report.read_text())["summary"]
            if summary["accepted"] != args.orders:
                raise SystemExit(f"not every order was accepted: {summary}")
            pipeline.append(summary["seconds"])
    median = statistics.median
    print(f"runs (medians of):           {args.runs}")
    print(f"one line, cached:            {median(cached):6.2f} s (target at most 1.5 s)")
    print(f"one line, uncached:          {median(uncached):6.2f} s (target at most 5 s)")
    print(f"uncached / cached:           {median(uncached) / median(cached):6.2f}")
    print(f"{args.orders} orders, end to end:    {median(end_to_end):6.2f} s")
    print(f"{args.orders} orders, pipeline:      {median(pipeline):6.2f} s")
    ratios = [total / inner for total, inner in zip(end_to_end, pipeline, strict=True)]
    print(f"end to end / pipeline:       {median(ratios):6.2f} (target at most 1.5)")
    one_line_cpu = CPU["one.jsonl"]
    print(f"CPU, one line, cached:       {median(one_line_cpu[0::2]):6.2f} s")
    print(f"CPU, one line, uncached:     {median(one_line_cpu[1::2]):6.2f} s")
    print(f"CPU, {args.orders} orders:           {median(CPU['many.jsonl']):6.2f} s")


if __name__ == "__main__":
    main()
