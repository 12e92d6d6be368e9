"""Levels that do not depend on the HRTF set: one scene's loudness with several sets.

The scene: white noise on an orbit at 0.5 m and a second noise, static, at
1 m (30 degrees left), 20 s at 48 kHz, unmastered.  It is rendered with each
set, with ``render.hrtf_level`` ``frontal`` (the default: each set scaled so
that its frontal response has unit broadband gain) and ``measured`` (the
file's levels), and its integrated loudness measured with pyloudnorm
(ITU-R BS.1770-4, an independent meter).  Printed: LUFS per set and the
spread (largest minus smallest) per mode.

Then, ``distance_gain: false``: a static noise straight ahead at several
distances, each ear's level relative to the input's (dB, mean over the ears)
for the default set.

Usage::

    python benchmarks/hrtf_levels.py --sofa ../shared/hrtf/FHK_HRIR_L2354.sofa

(sets: the bundled KEMAR, the rigid-sphere model, and each ``--sofa`` file).
"""

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pyloudnorm
import soundfile as sf

from spatial_asmr import load_scene, render

RATE = 48000


def _noise(path, seed, seconds=20.0):
    noise = 0.05 * np.random.default_rng(seed).standard_normal(int(seconds * RATE))
    sf.write(path, noise, RATE, subtype="FLOAT")
    return noise


def _scene(folder, hrtf, body, name):
    path = Path(folder) / name
    path.write_text(f"sample_rate: {RATE}\nhrtf: {hrtf}\n{body}")
    return path


def loudness(folder, hrtf, level):
    body = f"""render: {{hrtf_level: {level}}}
sources:
  - name: orbit
    file: a.wav
    trajectory: {{orbit: {{distance: 0.5, period: 8}}}}
  - name: still
    file: b.wav
    position: {{azimuth: 30, elevation: 0, distance: 1.0}}
"""
    audio, rate = render(load_scene(_scene(folder, hrtf, body, "levels.yaml")), master=False)
    return pyloudnorm.Meter(rate).integrated_loudness(audio)


def undistanced(folder, distance, near_field):
    body = f"""render: {{distance_gain: false, near_field: {str(near_field).lower()}}}
sources:
  - file: a.wav
    position: {{azimuth: 0, elevation: 0, distance: {distance}}}
"""
    audio, _ = render(load_scene(_scene(folder, "kemar", body, "still.yaml")), master=False)
    source, _ = sf.read(Path(folder) / "a.wav")
    ear = np.mean(np.square(audio), axis=0) / np.mean(np.square(source))
    return 10 * np.log10(ear.mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sofa", action="append", default=[], type=Path,
                        help="a SOFA file to compare (repeatable)")
    args = parser.parse_args()
    sets = ["kemar", "sphere"] + [str(p.resolve()) for p in args.sofa]
    with tempfile.TemporaryDirectory() as folder:
        _noise(Path(folder) / "a.wav", 1)
        _noise(Path(folder) / "b.wav", 2)
        for level in ("frontal", "measured"):
            t0 = time.perf_counter()
            values = {name: loudness(folder, name, level) for name in sets}
            for name, lufs in values.items():
                print(f"hrtf_level {level:8s} {Path(name).name:36s} {lufs:7.2f} LUFS")
            spread = max(values.values()) - min(values.values())
            print(f"hrtf_level {level:8s} spread {spread:.2f} LU "
                  f"({time.perf_counter() - t0:.0f} s)\n")
        for near_field in (False, True):
            for distance in (0.3, 1.0, 1.4, 3.0):
                db = undistanced(folder, distance, near_field)
                print(f"distance_gain false, near_field {near_field!s:5s}, frontal source at "
                      f"{distance:3.1f} m: {db:+.2f} dB per ear relative to the file")


if __name__ == "__main__":
    main()
