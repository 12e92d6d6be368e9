"""Peak memory of long renders: it must not grow with the track length.

Writes a scene of 8 sources (5 generators, 3 audio files: one at 44.1 kHz,
so it is resampled while streaming, one looped, one trimmed; 5 moving,
3 static) at several durations, renders each with ``spatial-asmr render``
(24-bit, loudness normalised to -23 LUFS) under ``/usr/bin/time -v`` and
reports peak RSS, wall time and real-time factor.  Target (issue 9): peak
RSS <= 300 MB at 60 minutes, and the 10-minute render within 10 % of it.

Usage::

    python benchmarks/long_render.py [--minutes 10 60] [--keep DIR]

Afterwards the outputs' loudness and true peak are measured independently
(pyloudnorm with its BS.1770 ``DeMan`` filters; 8x ``resample_poly``), a
minute at a time for the true peak and on the whole file for loudness.
"""

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

SCENE = """\
sample_rate: 48000
duration: {seconds}
output: {{bit_depth: 24, normalize: {{loudness: -23}}}}
sources:
  - name: whisper
    generator: {{type: whisper, seed: 1}}
    trajectory: {{orbit: {{distance: 0.3, period: 20}}}}
  - name: brush
    generator: {{type: hair_brush, seed: 2}}
    gain_db: -4
    trajectory: {{hover: {{base: {{orbit: {{distance: 0.2, period: 31}}}}, radius: 0.02, seed: 3}}}}
  - name: taps
    generator: {{type: tapping, seed: 4}}
    gain_db: -6
    position: {{azimuth: 60, elevation: 0, distance: 0.5}}
  - name: touch
    generator: {{type: touch, seed: 5}}
    gain_db: -8
    trajectory: {{sweep: {{start: {{azimuth: 90, elevation: 0, distance: 0.15}},
                           end: {{azimuth: -90, elevation: 0, distance: 0.15}}, duration: 13,
                           ping_pong: true, repeat: true}}}}
  - name: crinkle
    generator: {{type: paper_crinkle, seed: 6}}
    gain_db: -10
    position: {{azimuth: -70, elevation: 10, distance: 0.4}}
  - name: voice
    file: voice44k.wav
    loop: true
    fade_in: 2
    trajectory: {{orbit: {{distance: 1.0, period: 45, direction: cw}}}}
  - name: rain
    file: texture.flac
    loop: true
    gain_db: -12
    position: {{azimuth: 180, elevation: 30, distance: 1.5}}
  - name: long
    file: long.wav
    trim: [1, {trim_end}]
    gain_db: -6
    trajectory:
      - {{time: 0, azimuth: 0, elevation: 0, distance: 0.6}}
      - {{time: {seconds}, azimuth: 720, elevation: 0, distance: 0.6}}
"""


def write_inputs(folder, seconds):
    rng = np.random.default_rng(9)
    t = np.arange(20 * 44100) / 44100
    voice = 0.2 * np.sin(2 * np.pi * 220 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 0.5 * t))
    sf.write(folder / "voice44k.wav", voice + 0.01 * rng.standard_normal(len(t)), 44100)
    sf.write(folder / "texture.flac", 0.05 * rng.standard_normal(7 * 48000), 48000)
    # a file as long as the scene, written in blocks
    with sf.SoundFile(folder / "long.wav", "w", 48000, 1, "PCM_16") as f:
        for _ in range(0, int(seconds) + 2, 60):
            f.write(0.05 * rng.standard_normal(60 * 48000))


def measure(folder, minutes):
    seconds = 60 * minutes
    write_inputs(folder, seconds)
    scene = folder / f"long_{minutes}.yaml"
    scene.write_text(SCENE.format(seconds=seconds, trim_end=seconds))
    out = folder / f"long_{minutes}.wav"
    started = time.perf_counter()
    result = subprocess.run(["/usr/bin/time", "-v", sys.executable, "-m", "spatial_asmr",
                             "render", str(scene), "-o", str(out)],
                            capture_output=True, text=True)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(result.stderr)
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)[1])
    return out, rss_kb / 1024, wall, seconds


def independent_meters(path):
    import pyloudnorm
    from scipy.signal import resample_poly

    audio, rate = sf.read(path)
    loudness = pyloudnorm.Meter(rate, filter_class="DeMan").integrated_loudness(audio)
    peak = 0.0
    step = 60 * rate
    for i in range(0, len(audio), step):
        part = audio[max(i - 64, 0):i + step + 64]
        peak = max(peak, float(np.abs(resample_poly(part, 8, 1, axis=0)).max()))
    return loudness, 20 * np.log10(peak)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[10, 60])
    parser.add_argument("--keep", type=Path, help="folder to keep the scenes and outputs in")
    parser.add_argument("--no-meters", action="store_true",
                        help="skip the independent loudness / true-peak check")
    args = parser.parse_args()
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        rows = []
        for minutes in args.minutes:
            out, rss, wall, seconds = measure(folder, minutes)
            row = f"{minutes:g} min: peak RSS {rss:.0f} MiB, {wall:.0f} s, {seconds / wall:.1f}x"
            if not args.no_meters:
                loudness, peak = independent_meters(out)
                row += f", {loudness:.2f} LUFS (target -23), true peak {peak:.2f} dBTP"
            print(row, flush=True)
            rows.append((minutes, rss))
            if args.keep is None:
                out.unlink()
        if len(rows) > 1:
            print(f"RSS ratio longest / shortest: {rows[-1][1] / rows[0][1]:.3f}")


if __name__ == "__main__":
    main()
