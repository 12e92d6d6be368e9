"""Motion artefacts: a 1 kHz sine circling the head once per second.

HRIRs pass a 1 kHz sine as a 1 kHz sine, so all energy above 4 kHz in the
output is made by the motion (filter switching, delay modulation).  The
figure is that energy relative to the total, in dB (lower is better), for
both interpolation modes and block sizes 128 and 512, at the HRTF's
measurement distance, through each engine (``render.engine``: exact and basis).

Usage::

    python benchmarks/motion_artefacts.py [--hrtf kemar|FILE.sofa] [--seconds 4]
"""

import argparse
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from spatial_asmr import load_hrtf
from spatial_asmr.renderer.plan import RenderPlan
from spatial_asmr.scene import Keyframe, RenderSettings, Scene, SourceSpec
from spatial_asmr.testing import motion_artefact_level

RATE = 48000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hrtf", default="kemar")
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args()
    hrtf = load_hrtf(args.hrtf, RATE)
    distance = float(hrtf.distances[-1])
    seconds = args.seconds
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sine.wav"
        t = np.arange(int(seconds * RATE)) / RATE
        sf.write(path, 0.5 * np.sin(2 * np.pi * 1000 * t), RATE, subtype="DOUBLE")
        orbit = (Keyframe(0.0, 0.0, 0.0, distance),
                 Keyframe(seconds, 360.0 * seconds, 0.0, distance))
        print(f"{args.hrtf}: 1 kHz sine circling once per second at {distance} m, "
              f"energy above 4 kHz relative to total")
        for engine in ("exact", "basis"):
            for interpolation in ("nearest", "barycentric"):
                for block_size in (128, 512):
                    settings = RenderSettings(interpolation, block_size, engine=engine)
                    scene = Scene(sources=(SourceSpec("sine", path, trajectory=orbit),),
                                  sample_rate=RATE, duration=seconds, hrtf=args.hrtf,
                                  render=settings)
                    audio = np.concatenate(list(RenderPlan(scene, hrtf=hrtf).chunks()))
                    level = motion_artefact_level(audio, RATE)
                    print(f"  {engine:6s} {interpolation:12s} B={block_size:4d}  "
                          f"{level:7.1f} dB")


if __name__ == "__main__":
    main()
