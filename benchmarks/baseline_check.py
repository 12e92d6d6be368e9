"""The bench's baselines against an independent timing of the same baselines.

``spatial-asmr bench`` times ``scipy.signal.oaconvolve`` per source and
ffmpeg's ``sofalizer`` inside the package.  This script times the same two
baselines without the package: its own noise signals, KEMAR's responses read
from the SOFA file with netCDF4, its own ffmpeg command; then the bench's
figures for the same cases, alternately, ``--rounds`` times.  Printed: each
side's real-time factors (median, min-max) and their ratio.

Usage::

    python benchmarks/baseline_check.py [--rounds 3]
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import netCDF4
import numpy as np
import soundfile as sf
from scipy.signal import oaconvolve

RATE = 48000
SOFA = Path(__file__).resolve().parent.parent / "hrtf" / "MIT_KEMAR_normal_pinna.sofa"


def _kemar_at_48k():
    """Two-ear responses (710, 2, taps) resampled to 48 kHz, as a float32 table."""
    from scipy.signal import resample_poly

    with netCDF4.Dataset(SOFA) as data:
        ir = np.asarray(data["Data.IR"][:], dtype=np.float64)
        rate = float(np.asarray(data["Data.SamplingRate"][:]).ravel()[0])
    # resample_poly keeps ceil(512 * 48000 / 44100) = 558 taps, the package
    # floor(...) = 557: cut to the same length, since oaconvolve's block
    # choice makes 16 sources 1.45 times slower at 558 taps than at 557
    taps = int(ir.shape[-1] * RATE // int(rate))
    return resample_poly(ir, RATE, int(rate), axis=-1)[..., :taps].astype(np.float32)


def independent_oaconvolve(n, seconds, table, rng):
    signals = rng.standard_normal((n, int(seconds * RATE))).astype(np.float32)
    filters = table[np.arange(n) % len(table)]
    times = []
    for _ in range(6):  # the first is a warm-up
        start = time.perf_counter()
        total = 0.0
        for x, h in zip(signals, filters, strict=True):
            total = total + oaconvolve(x[None, :], h, axes=-1)
        times.append(time.perf_counter() - start)
    return seconds / np.array(times[1:])


def independent_sofalizer(folder, seconds, rng):
    source = folder / "quad.wav"
    sf.write(source, 0.1 * rng.standard_normal((int(seconds * RATE), 4)), RATE,
             subtype="FLOAT")
    command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-channel_layout", "quad",
               "-i", str(source), "-af",
               f"sofalizer=sofa={SOFA}:type=freq:speakers=FL 30 0|FR -30 0|BL 150 0|BR -150 0"
               ":interpolate=0", "-c:a", "pcm_f32le", str(folder / "out.wav")]
    times = []
    for _ in range(6):
        start = time.perf_counter()
        subprocess.run(command, check=True)
        times.append(time.perf_counter() - start)
    return seconds / np.array(times[1:])


def bench(folder, pattern):
    out = folder / "bench.json"
    subprocess.run([sys.executable, "-m", "spatial_asmr", "bench", "--only", pattern,
                    "--no-headline", "--repeat", "5", "--json", str(out)],
                   check=True, capture_output=True)
    rows = json.loads(out.read_text())["cases"]
    return {r["name"]: r for r in rows if "realtime" in r}


def _show(label, factors):
    return f"{label} {np.median(factors):8.1f}x ({factors.min():.1f}-{factors.max():.1f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    rng = np.random.default_rng(1)
    table = _kemar_at_48k()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for round_ in range(args.rounds):
            # alternate which side goes first: the machine's load moves within a round
            first = round_ % 2 == 0
            seconds = {"oaconvolve static-16": 4.0, "sofalizer static-4": 8.0}  # the bench's
            if first:
                ours = (independent_oaconvolve(16, 4.0, table, rng),
                        independent_sofalizer(folder, 8.0, rng))
            rows = bench(folder, "^(oaconvolve static-16|sofalizer static-4)$")
            assert all(rows[name]["audio_seconds"] == s for name, s in seconds.items())
            if not first:
                ours = (independent_oaconvolve(16, 4.0, table, rng),
                        independent_sofalizer(folder, 8.0, rng))
            for name, factors in zip(seconds, ours, strict=True):
                theirs = rows[name]["realtime"]
                print(_show(f"{name:22s} independent", factors),
                      f"| bench {theirs['median']:.1f}x ({theirs['min']:.1f}-{theirs['max']:.1f})"
                      f" | ratio {np.median(factors) / theirs['median']:.2f}"
                      f" ({'independent' if first else 'bench'} first)")


if __name__ == "__main__":
    main()
