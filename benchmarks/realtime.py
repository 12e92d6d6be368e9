"""Real-time factors of the full rendering pipeline, with a naive baseline.

Real-time factor = seconds of audio rendered per second of wall time
(median of ``--repeat`` runs, after one warm-up run that also fills the
HRTF cache and numba's compile cache; the static case takes about 40 ms a
run, so it is run at least 15 times for a stable median).  Cases:

* ``static-1``: one static source, 60 s at 48 kHz, KEMAR resampled.
* ``moving-64``: 64 sources, each on its own path (keyframes every 0.25 s,
  circling at its own speed, height and distance, 0.5 to 2 m), 20 s, block
  size 128 and 512, with and without near-field rendering.
* ``naive``: 64 moving sources rendered the way pyBinSim and SSR do it:
  each source convolved on its own, block by block, with its old and new
  filter, crossfaded, in numpy (measured on a second of audio; the factor is
  per audio second, so it compares directly).  ``spatial-asmr bench``'s case
  ``naive moving-64``: its orbiting sources, on its noise.
* ``FFT bound``: only the forward transforms that any uniformly partitioned
  convolution of 64 sources needs (one ``2B``-point real FFT per source and
  block, batched, float32, all cores): ``spatial-asmr bench``'s ``fft`` case.  No renderer of
  this design can be faster than this on this machine; the renderer does
  two per moving source (one per ear, after its delay line).

Usage::

    python benchmarks/realtime.py [--repeat 5] [--quick]
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from spatial_asmr.bench.cases import Case
from spatial_asmr.bench.runs import run_case
from spatial_asmr.bench.scenes import Workspace
from spatial_asmr.renderer.plan import RenderPlan
from spatial_asmr.scene import Keyframe, RenderSettings, Scene, SourceSpec

RATE = 48000


def moving_sources(folder, n_sources, seconds, seed=1):
    rng = np.random.default_rng(seed)
    sources = []
    for i in range(n_sources):
        path = folder / f"noise{i}.wav"
        sf.write(path, 0.05 * rng.standard_normal(int(seconds * RATE)), RATE, subtype="FLOAT")
        start = rng.uniform(0, 360)
        speed = rng.uniform(-180, 180)  # degrees per second
        elevation = rng.uniform(-30, 60)
        distance = rng.uniform(0.5, 2.0)
        times = np.arange(0, seconds + 0.25, 0.25)
        keys = tuple(Keyframe(float(t), float(start + speed * t),
                              float(elevation + 20 * np.sin(t)), distance) for t in times)
        sources.append(SourceSpec(f"s{i}", path, trajectory=keys))
    return tuple(sources)


def _static_source(folder, seconds, seed=2):
    rng = np.random.default_rng(seed)
    path = folder / "static.wav"
    sf.write(path, 0.1 * rng.standard_normal(int(seconds * RATE)), RATE, subtype="FLOAT")
    return (SourceSpec("static", path, position=(30.0, 10.0, 1.4)),)


def _time_render(scene, repeat, dtype):
    times = []
    for _ in range(repeat + 1):
        t0 = time.perf_counter()
        plan = RenderPlan(scene, dtype=dtype)
        for _chunk in plan.chunks():
            pass
        times.append(time.perf_counter() - t0)
    return scene.duration / statistics.median(times[1:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="shorter signals")
    parser.add_argument("--float64", action="store_true",
                        help="process in float64 (default: float32, as the renderer)")
    args = parser.parse_args()
    dtype = np.float64 if args.float64 else np.float32
    scale = 0.25 if args.quick else 1.0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows = []
        static = Scene(sources=_static_source(folder, 60 * scale), duration=60 * scale)
        rows.append(("static-1, B=128", _time_render(static, max(args.repeat, 15), dtype)))
        moving = moving_sources(folder, 64, 20 * scale)
        for B in (128, 512):
            for near_field in (True, False):
                scene = Scene(sources=moving, duration=20 * scale,
                              render=RenderSettings(block_size=B, near_field=near_field))
                label = f"moving-64, B={B}{'' if near_field else ', no near field'}"
                rows.append((label, _time_render(scene, args.repeat, dtype)))
        # the naive baseline and the FFT bound are cases of spatial-asmr bench (its
        # orbiting sources, on signals of its own)
        (folder / "bench").mkdir()
        workspace = Workspace(folder / "bench")
        for B in (128, 512):
            bound = run_case(Case("fft", 64, True, block=B, seconds=20 * scale), workspace,
                             args.repeat)
            rows.append((f"FFT bound 64 sources, B={B}", bound.factors()[0]))
        naive = run_case(Case("naive", 64, True, block=128, seconds=1.0), workspace,
                         max(1, args.repeat // 2)).factors()[0]
        rows.append(("naive moving-64, B=128", naive))
    print(f"real-time factors (audio s / wall s, median of {args.repeat} runs, static-1 of "
          f"{max(args.repeat, 15)}; {np.dtype(dtype).name})")
    for name, rtf in rows:
        print(f"  {name:38s} {rtf:9.1f}x")
    print(f"  moving-64 B=128 vs naive: {rows[1][1] / naive:.1f}x faster")


if __name__ == "__main__":
    main()
