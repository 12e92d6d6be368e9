"""The basis engine beside the exact engine: speed, the crossover, the difference per K.

Cases (``--only NAME`` runs one; default all):

``speed``
    64 moving sources, each on its own path (the sources of
    ``benchmarks/realtime.py``: 0.5 to 2 m, so near-field rendering works on
    them), 20 s at 48 kHz, KEMAR, block size 128: the exact and the basis
    engine, and ``scipy.signal.oaconvolve`` of the same 64 signals with a
    two-ear response of the table's length (the floor of any static
    rendering), in one run.  Target (issue 13): basis >= 50x real time.
``crossover``
    1 to 64 moving sources (10 s): each engine's real-time factor, and the
    fewest sources from which the basis engine is the faster in every
    repeat (what ``spatial_asmr.renderer.engines.BASIS_FROM`` is set from).
``difference``
    The 64-source scene (5 s) through the basis engine at K = 16 ... 64:
    the output's difference to the exact engine's, in dB of its energy.

Usage::

    python benchmarks/basis_engine.py [--only speed|crossover|difference] [--repeat 3]

Medians with min and max, the load first (``uptime``): the machine is
shared, so compare the figures of one run.
"""

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from realtime import moving_sources

from spatial_asmr.renderer.plan import RenderPlan
from spatial_asmr.scene import RenderSettings, Scene

RATE = 48000


def _scene(sources, seconds, engine, size="auto"):
    return Scene(sources=sources, duration=seconds,
                 render=RenderSettings(block_size=128, engine=engine, basis_size=size))


def _render(scene):
    return np.concatenate(list(RenderPlan(scene).chunks()))


def _times(scene, repeat):
    _render(scene)  # warm-up: kernels, HRTF tables, basis
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        _render(scene)
        times.append(time.perf_counter() - start)
    return np.array(times)


def _factor(seconds, times):
    f = seconds / times
    return f"{np.median(f):6.1f}x (min {f.min():.1f}, max {f.max():.1f})"


def _oaconvolve(sources, seconds, repeat):
    import soundfile as sf
    from scipy.signal import oaconvolve

    plan = RenderPlan(_scene(sources[:1], 0.1, "exact"))
    h = np.ascontiguousarray(plan.table[np.array([0])][0], dtype=np.float32)  # (2, taps)
    signals = [sf.read(s.file, dtype="float32")[0][:int(seconds * RATE)] for s in sources]
    times = []
    for _ in range(repeat + 1):
        start = time.perf_counter()
        for x in signals:
            oaconvolve(x[None, :], h, axes=-1)
        times.append(time.perf_counter() - start)
    return np.array(times[1:])


def speed(folder, repeat):
    seconds = 20.0
    sources = moving_sources(folder, 64, seconds)
    for engine in ("exact", "basis"):
        times = _times(_scene(sources, seconds, engine), repeat)
        print(f"  {engine:5s} engine, 64 moving sources   {_factor(seconds, times)}"
              + ("   target >= 50x" if engine == "basis" else ""))
    floor = _oaconvolve(sources, seconds, repeat)
    print(f"  oaconvolve of the 64 signals     {_factor(seconds, floor)}")


def crossover(folder, repeat):
    seconds = 10.0
    counts = (1, 2, 4, 8, 12, 16, 24, 32, 48, 64)
    sources = moving_sources(folder, max(counts), seconds)
    faster = []
    print("  sources   exact                          basis")
    for n in counts:
        exact = _times(_scene(sources[:n], seconds, "exact"), repeat)
        basis = _times(_scene(sources[:n], seconds, "basis"), repeat)
        print(f"  {n:7d}   {_factor(seconds, exact)}   {_factor(seconds, basis)}")
        if basis.max() < exact.min():
            faster.append(n)
    # the fewest from which the basis engine wins at every larger count too
    first = next((n for n in counts if all(m in faster for m in counts if m >= n)), None)
    print(f"  basis engine faster in every repeat from {first} sources on"
          if first else "  the basis engine is not faster at any count here")


def difference(folder, repeat):
    seconds = 5.0
    sources = moving_sources(folder, 64, seconds)
    exact = _render(_scene(sources, seconds, "exact"))
    energy = (exact ** 2).sum()
    for size in (16, 24, 32, 40, 48, 64):
        basis = _render(_scene(sources, seconds, "basis", size))
        print(f"  K = {size:3d}   {10 * np.log10(((basis - exact) ** 2).sum() / energy):6.1f} dB")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["speed", "crossover", "difference"])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
          f"({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory() as tmp:
        for name, case in (("speed", speed), ("crossover", crossover),
                           ("difference", difference)):
            if args.only in (None, name):
                print(f"-- {name}")
                case(Path(tmp), args.repeat)


if __name__ == "__main__":
    main()
