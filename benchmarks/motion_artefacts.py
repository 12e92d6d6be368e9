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

from spatial_asmr import load_hrtf
from spatial_asmr.bench.quality import motion_artefacts

RATE = 48000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hrtf", default="kemar")
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args()
    distance = float(load_hrtf(args.hrtf, RATE).distances[-1])
    print(f"{args.hrtf}: 1 kHz sine circling once per second at {distance} m, "
          f"energy above 4 kHz relative to total")
    for engine in ("exact", "basis"):
        for interpolation in ("nearest", "barycentric"):
            for block_size in (128, 512):
                # the same measurement as spatial-asmr bench --quality
                level = motion_artefacts(engine, interpolation, block_size, args.seconds,
                                         args.hrtf)
                print(f"  {engine:6s} {interpolation:12s} B={block_size:4d}  {level:7.1f} dB")


if __name__ == "__main__":
    main()
