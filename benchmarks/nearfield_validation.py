"""Near-field accuracy: far-field HRTFs made near versus measured near-field HRTFs.

An impulse is rendered by the renderer from the far-field set at the
distances and azimuths of the measured near-field set, with near-field
modelling on and off, and the interaural level difference (ILD) in octave
bands from 200 Hz to 12.8 kHz is compared with the measurement.  Printed:
the mean absolute ILD error over the bands and 24 azimuths (every 15
degrees), per distance.

Usage::

    python benchmarks/nearfield_validation.py --far FHK_HRIR_L2354.sofa \\
        --near THK_KU100_HRIR_CIRC360_NF_all.sofa

(the KU100 far-field set at 3.25 m and near-field set at 0.25-1 m; both
SimpleFreeFieldHRIR at 48 kHz).  ``--engine exact|basis`` renders each impulse
as a source moving by a thousandth of a degree, through that engine's
time-varying path (a still source takes fixed filters, whatever the engine).
"""

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import soundfile as sf

from spatial_asmr import SpatialAsmrWarning, load_hrtf, read_sofa
from spatial_asmr.renderer.plan import RenderPlan
from spatial_asmr.scene import Keyframe, RenderSettings, Scene, SourceSpec

EDGES = 200.0 * 2.0 ** np.arange(7)  # 6 octave bands, 200 Hz - 12.8 kHz


def band_ild(left, right, rate, n_fft=4096):
    """ILD in dB per octave band, shape (6,)."""
    f = np.fft.rfftfreq(n_fft, 1 / rate)
    el = np.abs(np.fft.rfft(left, n_fft)) ** 2
    er = np.abs(np.fft.rfft(right, n_fft)) ** 2
    out = []
    for lo, hi in zip(EDGES[:-1], EDGES[1:], strict=True):
        sel = (f >= lo) & (f < hi)
        out.append(10 * np.log10(el[sel].sum() / er[sel].sum()))
    return np.array(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--far", required=True, help="far-field SOFA file")
    parser.add_argument("--near", required=True, help="measured near-field SOFA file")
    parser.add_argument("--interpolation", default="barycentric",
                        choices=["barycentric", "nearest"])
    parser.add_argument("--head-radius", type=float, default=0.0875)
    parser.add_argument("--engine", default=None, choices=["exact", "basis"],
                        help="render each impulse as a source moving by 1e-3 degrees "
                             "through this engine (default: a still source, fixed filters)")
    parser.add_argument("--basis-size", type=int, default=32, help="render.basis_size")
    args = parser.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SpatialAsmrWarning)  # mirrored ReceiverPosition
        near = read_sofa(args.near)
        rate = int(near.sample_rate)
        far = load_hrtf(Path(args.far).resolve(), rate)
    azimuths = np.arange(0, 360, 15)
    distances = near.distances
    print(f"far-field set {Path(args.far).name} ({far.distances[-1]} m) made near, against "
          f"{Path(args.near).name}; mean |ILD error|, 6 octave bands 200 Hz - 12.8 kHz, "
          f"{len(azimuths)} azimuths, {args.interpolation}")
    print("  distance   near field off   near field on")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        impulse = Path(tmp) / "impulse.wav"
        sf.write(impulse, np.r_[1.0, np.zeros(1023)], rate, subtype="DOUBLE")
        for distance in distances:
            errors = {False: [], True: []}
            for az in azimuths:
                row = np.nonzero((np.abs(near.source_positions[:, 0] - az) < 1e-6)
                                 & (np.abs(near.source_positions[:, 1]) < 1e-6)
                                 & (np.abs(near.source_positions[:, 2] - distance) < 1e-3))[0]
                measured = band_ild(near.ir[row[0], 0], near.ir[row[0], 1], rate)
                for near_field in (False, True):
                    settings = RenderSettings(args.interpolation, 512, False, near_field,
                                              args.head_radius,
                                              engine=args.engine or "exact",
                                              basis_size=args.basis_size)
                    if args.engine is None:
                        source = SourceSpec("impulse", impulse,
                                            position=(float(az), 0.0, float(distance)))
                    else:
                        keys = (Keyframe(0.0, float(az), 0.0, float(distance)),
                                Keyframe(1.0, float(az) + 1e-3, 0.0, float(distance)))
                        source = SourceSpec("impulse", impulse, trajectory=keys)
                    scene = Scene(sources=(source,), sample_rate=rate, hrtf=str(args.far),
                                  render=settings)
                    audio = np.concatenate(list(RenderPlan(scene, np.float64, far).chunks()))
                    model = band_ild(audio[:, 0], audio[:, 1], rate)
                    errors[near_field].append(np.abs(model - measured))
            print(f"  {distance:6.2f} m   {np.mean(errors[False]):10.2f} dB   "
                  f"{np.mean(errors[True]):10.2f} dB")
    print(f"({time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
