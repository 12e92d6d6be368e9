"""Cost of a dense HRTF set: first (empty caches) and cached render of a short scene.

A densely measured or simulated set has tens of thousands of directions (an ARI set
41,527 at 256 taps).  This writes such a set: 41,527 directions on a Fibonacci sphere
at 1.2 m, each the bundled KEMAR response of the nearest measured direction at 48 kHz,
cut to 256 taps with a half-Hann tail, its level raised by 1e-6 dB per direction (so
that no two are alike, as in a measured set: identical responses are preprocessed
once); the grid and size are what matter here. Then it
renders a 0.2 s scene with one source circling at 0.5 m (near field on) twice with
``spatial-asmr render`` under ``/usr/bin/time -v``: once with empty HRTF and numba
caches, once cached.  Targets (issue 12): first <= 15 s, cached <= 3 s, peak RSS <= 1 GB.

Usage::

    python benchmarks/dense_hrtf.py [--directions 41527] [--keep DIR]
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SCENE = """\
duration: 0.2
hrtf: {hrtf}
sources:
  - generator: {{type: whisper, seed: 1, duration: 0.2}}
    trajectory: {{orbit: {{distance: 0.5, period: 2}}}}
"""


def dense_set(path, directions, taps=256, rate=48000):
    from spatial_asmr import load_hrtf, write_sofa

    kemar = load_hrtf("kemar", rate)
    k = np.arange(directions) + 0.5
    elevation = np.degrees(np.arcsin(1 - 2 * k / directions))
    azimuth = np.degrees(np.pi * (1 + 5 ** 0.5) * k) % 360
    positions = np.stack([azimuth, elevation, np.full(directions, 1.2)], axis=1)
    _, nearest = kemar.layers[0].tree.query(_unit(positions))
    index = kemar.layers[0].index[nearest]
    fade = np.hanning(64)[32:]
    ir = kemar.raw[index, :, :taps].copy()
    ir[..., -32:] *= fade
    # a level step of 1e-6 dB per direction: a measured set has no two
    # responses alike, and identical ones are preprocessed once
    ir *= 10 ** (1e-6 * k / 20)[:, None, None]
    write_sofa(path, ir, positions, rate, title="dense benchmark set")


def _unit(positions):
    az, el = np.radians(positions[:, 0]), np.radians(positions[:, 1])
    return np.stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)], axis=1)


def _render(scene, out, env):
    cli = shutil.which("spatial-asmr") or sys.executable
    args = [cli] if cli != sys.executable else [cli, "-m", "spatial_asmr"]
    start = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-v"] + args + ["render", str(scene), "-o",
                                                             str(out), "-q"],
                          capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if done.returncode:
        sys.exit(done.stderr)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    return wall, rss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--directions", type=int, default=41527)
    parser.add_argument("--keep", type=Path, help="keep the set and caches here")
    args = parser.parse_args()
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    folder = args.keep or Path(tempfile.mkdtemp())
    folder.mkdir(parents=True, exist_ok=True)
    sofa = folder / f"dense{args.directions}.sofa"
    if not sofa.exists():
        start = time.perf_counter()
        dense_set(sofa, args.directions)
        print(f"wrote {sofa} ({sofa.stat().st_size / 1e6:.0f} MB) in "
              f"{time.perf_counter() - start:.1f} s")
    scene = folder / "dense.yaml"
    scene.write_text(SCENE.format(hrtf=sofa))
    for name in ("numba", "cache"):
        shutil.rmtree(folder / name, ignore_errors=True)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(folder / "numba"),
               SPATIAL_ASMR_CACHE=str(folder / "cache"))
    first = _render(scene, folder / "out.wav", env)
    cached = _render(scene, folder / "out.wav", env)
    print(f"{args.directions} directions, first render (empty caches): {first[0]:.1f} s, "
          f"peak RSS {first[1]:.0f} MiB   targets <= 15 s, <= 1024 MiB")
    print(f"{args.directions} directions, cached:                     {cached[0]:.1f} s, "
          f"peak RSS {cached[1]:.0f} MiB   targets <= 3 s, <= 1024 MiB")
    if args.keep is None:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
