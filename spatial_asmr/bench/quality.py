"""Quality beside speed: each engine's motion artefacts and interpolation error.

* Motion artefacts: a 1 kHz sine circling the head once per second at the
  set's measurement distance; HRIRs pass a 1 kHz sine as a 1 kHz sine, so
  the energy above 4 kHz, relative to the total, is what the motion made
  (:func:`spatial_asmr.testing.motion_artefact_level`).
* Interpolation: measured KEMAR directions left out one at a time and
  rendered from their neighbours, log-spectral distortion against the
  measurement, 200 Hz - 16 kHz
  (:func:`spatial_asmr.testing.leave_one_out_responses`), with two anchors
  computed in the same run: the nearest measurement, and the magnitude
  blend of the same three neighbours (:func:`magnitude_blend_lsd`).
"""

__all__ = ["quality", "motion_artefacts", "magnitude_blend_lsd"]

import numpy as np

from .cases import ENGINES

RATE = 48000


def magnitude_blend_lsd(hrtf, held_out, rate, n_fft=2048):
    """LSD of linear and log magnitude blends of the three barycentric neighbours."""
    from scipy import fft

    from ..hrtf.sets import HrtfSet

    everything = np.arange(len(hrtf.positions))
    mag = np.abs(fft.rfft(hrtf.raw, n_fft, axis=-1))
    f = fft.rfftfreq(n_fft, 1 / rate)
    band = (f >= 200) & (f <= 16000)
    lin, log = [], []
    for i in held_out:
        keep = everything != i
        reduced = HrtfSet(hrtf.raw[keep], hrtf.positions[keep], rate, hrtf.raw_delays[keep],
                          _minphase=hrtf.minphase[keep], _onsets=hrtf.onsets[keep])
        az, el, dist = hrtf.positions[i]
        index, weights = reduced.lookup([az], [el], [dist], "barycentric")
        rows = everything[keep][index[0]]
        ref = mag[i][:, band]
        m = mag[rows][:, :, band]
        w = weights[0][:, None, None]
        for blend, out in (((w * m).sum(0), lin),
                           (np.exp((w * np.log(np.maximum(m, 1e-12))).sum(0)), log)):
            out.append(np.sqrt(np.mean((20 * np.log10(blend / ref)) ** 2, axis=-1)).mean())
    return float(np.mean(lin)), float(np.mean(log))


def motion_artefacts(engine, interpolation, block=128, seconds=3.0, hrtf_name="kemar"):
    """Energy above 4 kHz of a 1 kHz sine circling once per second, dB."""
    import tempfile
    from pathlib import Path

    import soundfile as sf

    from ..hrtf.sets import load_hrtf
    from ..renderer.plan import RenderPlan
    from ..scene import Keyframe, RenderSettings, Scene, SourceSpec
    from ..testing import motion_artefact_level

    hrtf = load_hrtf(hrtf_name, RATE)
    distance = float(hrtf.distances[-1])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sine.wav"
        t = np.arange(int(seconds * RATE)) / RATE
        sf.write(path, 0.5 * np.sin(2 * np.pi * 1000 * t), RATE, subtype="DOUBLE")
        orbit = (Keyframe(0.0, 0.0, 0.0, distance),
                 Keyframe(seconds, 360.0 * seconds, 0.0, distance))
        scene = Scene(sources=(SourceSpec("sine", path, trajectory=orbit),), sample_rate=RATE,
                      duration=seconds, hrtf=hrtf_name,
                      render=RenderSettings(interpolation, block, engine=engine))
        audio = np.concatenate(list(RenderPlan(scene, hrtf=hrtf).chunks()))
    return float(motion_artefact_level(audio, RATE))


def quality(quick=False):
    """Each engine's figures and the anchors, on the bundled KEMAR.

    Parameters
    ----------
    quick : bool
        Every 48th direction left out (15) instead of every 8th (89), 2 s
        of motion instead of 3.

    Returns
    -------
    dict
    """
    from ..hrtf.sets import load_hrtf
    from ..testing import leave_one_out_responses, log_spectral_distortion

    hrtf = load_hrtf("kemar", RATE)
    step = 48 if quick else 8
    held = np.arange(0, len(hrtf.positions), step)
    seconds = 2.0 if quick else 3.0
    out = {"hrtf": "kemar", "directions_left_out": len(held), "engines": {}}
    for engine in ENGINES:
        rendered, measured = leave_one_out_responses(hrtf, held, "barycentric", engine=engine)
        out["engines"][engine] = {
            "lsd_db": float(log_spectral_distortion(rendered, measured, RATE).mean()),
            "motion_artefacts_db": {
                f"{mode} B=128": motion_artefacts(engine, mode, 128, seconds)
                for mode in ("barycentric", "nearest")},
        }
    rendered, measured = leave_one_out_responses(hrtf, held, "nearest")
    lin, log = magnitude_blend_lsd(hrtf, held, RATE)
    out["anchors"] = {"nearest_lsd_db": float(log_spectral_distortion(rendered, measured,
                                                                      RATE).mean()),
                      "magnitude_blend_linear_lsd_db": lin, "magnitude_blend_log_lsd_db": log}
    return out
