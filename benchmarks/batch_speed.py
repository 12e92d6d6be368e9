"""Batch throughput: ``--jobs 2`` against ``--jobs 1`` on the same 20 short scenes.

Each worker renders with one thread, so N workers should use N cores without
oversubscribing them (target, issue 9: >= 1.7x with 2 jobs on 2 cores).  The
runs alternate (1, 2, 1, 2, ...) into fresh output folders so that both see the
same machine load; the ratio of medians is reported with the spread.

Usage::

    python benchmarks/batch_speed.py [--scenes 20] [--seconds 6] [--repeat 3]
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCENE = """\
duration: {seconds}
sources:
  - name: a
    generator: {{type: {first}, seed: {seed}}}
    trajectory: {{orbit: {{distance: 0.3, period: 4}}}}
  - name: b
    generator: {{type: {second}, seed: {seed2}}}
    position: {{azimuth: {azimuth}, elevation: 0, distance: 0.8}}
"""
TYPES = ["whisper", "hair_brush", "scissors", "paper_crinkle", "package_open", "tapping",
         "touch"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "scenes"
        folder.mkdir()
        for i in range(args.scenes):
            (folder / f"s{i:02d}.yaml").write_text(SCENE.format(
                seconds=args.seconds, first=TYPES[i % 7], second=TYPES[(i + 3) % 7],
                seed=i, seed2=100 + i, azimuth=(37 * i) % 360 - 180))
        times = {1: [], 2: []}
        per_scene = {1: [], 2: []}
        bound = _machine_bound()
        for r in range(args.repeat):
            for jobs in (1, 2):
                out = Path(tmp) / f"out-{jobs}-{r}"
                started = time.perf_counter()
                result = subprocess.run(
                    [sys.executable, "-m", "spatial_asmr", "batch", str(folder), "--out-dir",
                     str(out), "--jobs", str(jobs), "-q"], capture_output=True, text=True)
                elapsed = time.perf_counter() - started
                if result.returncode != 0:
                    raise SystemExit(result.stderr)
                times[jobs].append(elapsed)
                walls = [json.loads(line)["wall_seconds"] for line in
                         (out / "manifest.jsonl").read_text().splitlines()]
                per_scene[jobs].append(statistics.median(walls))
                print(f"run {r}: --jobs {jobs}: {elapsed:.1f} s, median scene render "
                      f"{statistics.median(walls):.2f} s in its worker", flush=True)
        one, two = (statistics.median(times[j]) for j in (1, 2))
        audio = args.scenes * args.seconds
        print(f"--jobs 1: median {one:.1f} s (min {min(times[1]):.1f}, max {max(times[1]):.1f}),"
              f" {audio / one:.1f}x real time")
        print(f"--jobs 2: median {two:.1f} s (min {min(times[2]):.1f}, max {max(times[2]):.1f}),"
              f" {audio / two:.1f}x real time")
        print(f"speed-up of --jobs 2: {one / two:.2f}x (min/max pairing "
              f"{min(times[1]) / max(times[2]):.2f}-{max(times[1]) / min(times[2]):.2f})")
        slow = statistics.median(per_scene[2]) / statistics.median(per_scene[1])
        print(f"a scene renders {slow:.2f}x slower in each of 2 busy workers than in 1")
        print(f"machine bound: the same pure-Python work in 2 processes runs "
              f"{bound:.2f}x faster than in 1 (ideal 2.00)")


def _spin(n):
    started = time.perf_counter()
    s = 0.0
    for i in range(n):
        s += i * 0.5
    return time.perf_counter() - started


def _machine_bound(n=20_000_000):
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_spin, [1000, 1000]))  # workers up
        started = time.perf_counter()
        list(pool.map(_spin, [n, n]))
        two = time.perf_counter() - started
        started = time.perf_counter()
        list(pool.map(_spin, [2 * n]))
        one = time.perf_counter() - started
    return one / two


if __name__ == "__main__":
    main()
