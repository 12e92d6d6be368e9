"""Interpolation quality: leave measured directions out and render them.

Each measured direction of an HRTF set is removed in turn, an impulse is
rendered at its position by the renderer (moving-source path: delay lines
and convolution engine included), and the log-spectral distortion against
the measured HRIR is computed (200 Hz - 16 kHz, mean over directions and
ears).  For reference, the same three neighbours' magnitudes are also
blended directly (linear and log), which is what a magnitude-domain
interpolator would give at best.

Usage::

    python benchmarks/interpolation_lsd.py [--hrtf kemar|FILE.sofa] [--rate 48000]
                                           [--step 1] [--basis 16 24 32 48]

``--basis K ...`` also renders the left-out directions through the basis
engine (``render.engine: basis``) with each basis size (the basis fitted on
the set without the direction).
"""

import argparse
import time

import numpy as np

from spatial_asmr import load_hrtf
from spatial_asmr.bench.quality import magnitude_blend_lsd
from spatial_asmr.testing import leave_one_out_responses, log_spectral_distortion


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hrtf", default="kemar", help="bundled name or SOFA file")
    parser.add_argument("--rate", type=int, default=48000, help="render rate, Hz")
    parser.add_argument("--step", type=int, default=1,
                        help="use every STEP-th direction (1 = all)")
    parser.add_argument("--basis", type=int, nargs="*", default=[],
                        help="basis sizes to render the basis engine with too")
    args = parser.parse_args()
    hrtf = load_hrtf(args.hrtf, args.rate)
    held_out = np.arange(0, len(hrtf.positions), args.step)
    print(f"{args.hrtf} at {args.rate} Hz: {len(held_out)} directions left out one at a time, "
          "LSD 200 Hz - 16 kHz, mean over directions and ears")
    for mode in ("nearest", "barycentric"):
        t0 = time.perf_counter()
        rendered, measured = leave_one_out_responses(hrtf, held_out, mode)
        lsd = log_spectral_distortion(rendered, measured, args.rate)
        print(f"  rendered, {mode:12s} {lsd.mean():6.3f} dB   "
              f"({time.perf_counter() - t0:.1f} s)")
    for size in args.basis:
        t0 = time.perf_counter()
        rendered, measured = leave_one_out_responses(hrtf, held_out, "barycentric",
                                                     engine="basis", basis_size=size)
        lsd = log_spectral_distortion(rendered, measured, args.rate)
        print(f"  rendered, basis K={size:<3d}  {lsd.mean():6.3f} dB   "
              f"({time.perf_counter() - t0:.1f} s)")
    lin, log = magnitude_blend_lsd(hrtf, held_out, args.rate)
    print(f"  magnitude blend, linear  {lin:6.3f} dB   (same three neighbours, no rendering)")
    print(f"  magnitude blend, log     {log:6.3f} dB")


if __name__ == "__main__":
    main()
