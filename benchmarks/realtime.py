"""Real-time factors of the full rendering pipeline, with a naive baseline.

Real-time factor = seconds of audio rendered per second of wall time
(median of ``--repeat`` runs, after one warm-up run that also fills the
HRTF cache and numba's compile cache; the static case takes about 40 ms a
run, so it is run at least 15 times for a stable median).  Cases:

* ``static-1``: one static source, 60 s at 48 kHz, KEMAR resampled.
* ``moving-64``: 64 sources, each on its own path (keyframes every 0.25 s,
  circling at its own speed, height and distance, 0.5 to 2 m), 20 s, block
  size 128 and 512, with and without near-field rendering.
* ``naive``: the same 64 moving sources rendered the way pyBinSim and SSR
  do it: each source convolved on its own, block by block, with its old and
  new filter, crossfaded, in numpy (measured on a shorter excerpt; the
  factor is per audio second, so it compares directly).
* ``FFT bound``: only the forward transforms that any uniformly partitioned
  convolution of 64 sources needs (one ``2B``-point real FFT per source and
  block, batched, float32, all cores), on the same signals.  No renderer of
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
from scipy import fft

from spatial_asmr import load_hrtf
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


def _naive(scene, repeat):
    """Per-source, per-block FFT convolution with crossfade (numpy)."""
    hrtf = load_hrtf(scene.hrtf, RATE)
    B = scene.render.block_size
    n_blocks = int(scene.duration * RATE) // B
    signals = [sf.read(s.file)[0][:n_blocks * B] for s in scene.sources]
    table = hrtf.minphase
    L = table.shape[-1]
    n_fft = 1 << int(np.ceil(np.log2(B + L - 1)))
    spectra = fft.rfft(table, n_fft, axis=-1)
    ramp = 0.5 * (1 - np.cos(np.pi * (np.arange(B) + 1) / B))
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = np.zeros((2, n_blocks * B + n_fft))
        for src, x in zip(scene.sources, signals, strict=True):
            t = np.arange(n_blocks + 1) * B / RATE
            pos = np.stack([np.interp(t, [k.time for k in src.trajectory],
                                      [getattr(k, a) for k in src.trajectory])
                            for a in ("azimuth", "elevation", "distance")], -1)
            index, weights = hrtf.lookup(pos[:, 0], pos[:, 1], pos[:, 2])
            for k in range(n_blocks):
                X = fft.rfft(x[k * B:(k + 1) * B], n_fft)
                h_old = np.einsum("i,iet->et", weights[k], spectra[index[k]])
                h_new = np.einsum("i,iet->et", weights[k + 1], spectra[index[k + 1]])
                y_old = fft.irfft(X * h_old, n_fft)
                y_new = fft.irfft(X * h_new, n_fft)
                # the tail of this block's output is faded like its start
                fade = np.concatenate([ramp, np.ones(n_fft - B)])
                out[:, k * B:k * B + n_fft] += y_old * (1 - fade) + y_new * fade
        times.append(time.perf_counter() - t0)
    return (n_blocks * B / RATE) / statistics.median(times)


def _fft_bound(n_sources, seconds, block_size, repeat):
    """Real-time factor of the forward FFTs alone (one per source and block)."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((n_sources, int(seconds * RATE))).astype(np.float32)
    chunk = 16384 // block_size
    n_blocks = x.shape[1] // block_size - 1
    times = []
    for _ in range(repeat + 1):
        t0 = time.perf_counter()
        for k0 in range(0, n_blocks, chunk):
            k_n = min(chunk, n_blocks - k0)
            part = np.ascontiguousarray(x[:, k0 * block_size:(k0 + k_n + 1) * block_size])
            frames = np.lib.stride_tricks.as_strided(
                part, shape=(n_sources, k_n, 2 * block_size),
                strides=(part.strides[0], block_size * 4, 4), writeable=False)
            fft.rfft(frames, axis=-1, workers=-1)
        times.append(time.perf_counter() - t0)
    return n_blocks * block_size / RATE / statistics.median(times[1:])


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
        for B in (128, 512):
            rows.append((f"FFT bound 64 sources, B={B}",
                         _fft_bound(64, 20 * scale, B, args.repeat)))
        excerpt = Scene(sources=moving, duration=1.0, render=RenderSettings(block_size=128))
        naive = _naive(excerpt, max(1, args.repeat // 2))
        rows.append(("naive moving-64, B=128", naive))
    print(f"real-time factors (audio s / wall s, median of {args.repeat} runs, static-1 of "
          f"{max(args.repeat, 15)}; {np.dtype(dtype).name})")
    for name, rtf in rows:
        print(f"  {name:38s} {rtf:9.1f}x")
    print(f"  moving-64 B=128 vs naive: {rows[1][1] / naive:.1f}x faster")


if __name__ == "__main__":
    main()
