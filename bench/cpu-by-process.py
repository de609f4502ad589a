"""
Runs a command and reports the CPU seconds its machine spent, by kind of process, sampled from
/proc once a second: jest's workers, Chromium (by process type), moto, cfn-lint, other node and
python processes. `/usr/bin/time` undercounts a run with Chromium (its renderers are reaped by
Chromium's zygote, not by the command), and says nothing of which part used the cores.

    python3 bench/cpu-by-process.py npx jest
    python3 bench/cpu-by-process.py npx jest --selectProjects browser -w 1

A process that starts and ends between two samples is missed (counted only in "machine busy").
docs/benchmarks.md, "Test suite wall time", round 4, has what it found.
"""

from __future__ import annotations

import collections
import os
import re
import subprocess
import sys
import threading
import time

HZ = os.sysconf("SC_CLK_TCK")


def kind(cmd: str) -> str:
    if "chrom" in cmd:
        m = re.search(r"--type=(\S+)", cmd)
        return f"chromium {m.group(1) if m else 'browser'}"
    if "moto" in cmd and "python" in cmd:
        return "moto"
    if "cfnlint" in cmd or "cfn-lint" in cmd:
        return "cfn-lint"
    if "jest-worker" in cmd or "processChild" in cmd:
        return "jest worker"
    if "jest" in cmd:
        return "jest (main)"
    if "python" in cmd:
        return "python (other)"
    if "node" in cmd or "tsx" in cmd:
        return "node (other)"
    return "other"


def processes() -> dict[str, tuple[int, str]]:
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12]), kind(cmd))
    return out


def machine() -> tuple[int, int]:
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v), v[3] + v[4]


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    totals: collections.Counter[str] = collections.Counter()
    done = threading.Event()

    def sample() -> None:
        seen = processes()
        while not done.wait(1.0):
            now = processes()
            for pid, (ticks, k) in now.items():
                if pid in seen:
                    totals[k] += (ticks - seen[pid][0]) / HZ
            seen = now

    start, start_idle = machine()
    t0 = time.time()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = subprocess.call(argv)
    done.set()
    sampler.join()
    end, end_idle = machine()
    wall = time.time() - t0
    busy = ((end - start) - (end_idle - start_idle)) / HZ
    print(f"\n{wall:.1f} s wall; machine busy {busy:.1f} core-s ({busy / wall:.2f} of {os.cpu_count()} cores)", file=sys.stderr)
    for k, v in totals.most_common():
        if v >= 0.1:
            print(f"  {v:7.1f} core-s  {k}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
