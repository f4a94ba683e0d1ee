"""``make bench BENCH_ARGS=--profile``: where a worker's pool processes spend
their time during the saga phase, sampled with py-spy.

py-spy (``requirements-dev.txt``) attaches to the worker's main process
with ``--subprocesses`` and samples every pool process from outside (no
code in the worker, non-blocking, 100 Hz). The raw output (one line per
distinct stack with its sample count) is kept in ``bench/results/`` and
summed here per function: *own* samples (the function was running) and,
for Arcadia's own functions, *total* samples (it was anywhere on the
stack), over the pool processes only. Idle samples (a pool process waiting for its next task) are not
recorded by py-spy.
"""

from __future__ import annotations

import collections
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

_PROCESS = re.compile(r"^process (\d+):")


class Profile:
    def __init__(self, worker_pid: int, output: Path):
        self.worker_pid, self.output = worker_pid, output
        self.proc = None

    def __enter__(self):
        exe = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
        if exe is None:
            raise RuntimeError("py-spy is not installed (make install: requirements-dev.txt)")
        argv = [exe, "record", "--pid", str(self.worker_pid), "--subprocesses", "--function"]
        argv += ["--nonblocking", "--rate", "100", "--format", "raw", "--output", str(self.output)]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        return self

    def __exit__(self, *exc):
        self.proc.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        self.proc.wait(timeout=60)


def top(raw: Path, *, exclude_pid: int, n: int = 5) -> dict:
    """The ``n`` functions with the most own and most total samples, in the
    processes other than ``exclude_pid`` (the worker's main process)."""
    own, total, samples = collections.Counter(), collections.Counter(), 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        # With --subprocesses a stack starts with its process ancestry:
        # "process <main>:...;process <pool child>:...;<frames>".
        frames, pid = stack.split(";"), None
        while frames and (match := _PROCESS.match(frames[0])):
            pid, frames = int(match.group(1)), frames[1:]
        if pid == exclude_pid or not frames:
            continue
        count = int(count)
        samples += count
        own[frames[-1]] += count
        for frame in set(frames):
            if _ours(frame):
                total[frame] += count

    def rows(counter):
        return [{"function": f, "share": round(c / max(1, samples), 3)} for f, c in counter.most_common(n)]

    return {"samples": samples, "own": rows(own), "total": rows(total)}


OURS = ("arcadia/", "provisioning/", "deployments/", "inventory/")


def _ours(frame: str) -> bool:
    """A frame of Arcadia's code (py-spy names files relative to sys.path)."""
    return frame.rpartition(" (")[2].startswith(OURS)


def print_top(figures: dict) -> None:
    print(f"  profile of the pool processes, saga phase ({figures['samples']} samples):")
    for kind in ("own", "total"):
        what = "own time" if kind == "own" else "total time, Arcadia's functions"
        print(f"    top {len(figures[kind])} by {what}:")
        for row in figures[kind]:
            print(f"      {100 * row['share']:5.1f}%  {row['function']}")
