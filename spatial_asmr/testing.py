"""Quality measures used by the tests and benchmarks.

``log_spectral_distortion``
    RMS over frequency of the dB difference of two magnitude responses,
    within a band (200 Hz - 16 kHz by default), per response.
``motion_artefact_level``
    For a 1 kHz sine moved around the head: energy above 4 kHz in the
    output relative to the total, in dB.  HRIRs pass a 1 kHz sine as a 1 kHz
    sine, so everything above 4 kHz is made by the motion.
``leave_one_out``
    Renders measured directions of a set from the set without them, through
    the full rendering path (delay lines included), for the two measures
    above to judge interpolation.
``memory_scene``, ``PEAK_MEMORY_SCRIPT``
    Scenes of many sources and a script that renders one and reports its
    estimated and measured peak memory, for the memory estimate's test and
    benchmark.
"""

__all__ = ["log_spectral_distortion", "motion_artefact_level", "leave_one_out_responses",
           "memory_scene", "PEAK_MEMORY_SCRIPT"]

import numpy as np
from scipy import fft


def log_spectral_distortion(estimate, reference, sample_rate, band=(200.0, 16000.0),
                            n_fft=None):
    """Log-spectral distortion in dB between impulse responses.

    Parameters
    ----------
    estimate, reference : ndarray, shape (..., n)
        Impulse responses (zero-padded to a common FFT size).
    sample_rate : float
        Hz.
    band : tuple of float
        Lowest and highest frequency in Hz.

    Returns
    -------
    lsd : ndarray, shape (...)
        ``sqrt(mean((20 log10 |E| / |R|)^2))`` over the band's bins.
    """
    n = max(estimate.shape[-1], reference.shape[-1])
    if n_fft is None:
        n_fft = max(2048, 1 << int(np.ceil(np.log2(n))))
    e = np.abs(fft.rfft(estimate, n_fft, axis=-1))
    r = np.abs(fft.rfft(reference, n_fft, axis=-1))
    f = fft.rfftfreq(n_fft, 1.0 / sample_rate)
    sel = (f >= band[0]) & (f <= band[1])
    tiny = 1e-12 * max(float(r.max()), 1e-300)
    ratio = 20 * np.log10(np.maximum(e[..., sel], tiny) / np.maximum(r[..., sel], tiny))
    return np.sqrt(np.mean(ratio ** 2, axis=-1))


def motion_artefact_level(audio, sample_rate, cutoff=4000.0, skip=0.5):
    """Energy above ``cutoff`` relative to the total, in dB.

    Parameters
    ----------
    audio : ndarray, shape (n, channels)
    sample_rate : float
    cutoff : float
        Hz.
    skip : float
        Seconds left out at both ends (onset and end transients).
    """
    k = int(skip * sample_rate)
    seg = np.asarray(audio)[k:len(audio) - k]
    window = np.hanning(len(seg))[:, None]
    power = np.abs(fft.rfft(seg * window, axis=0)) ** 2
    f = fft.rfftfreq(len(seg), 1.0 / sample_rate)
    return 10 * np.log10(power[f > cutoff].sum() / power.sum())


def leave_one_out_responses(hrtf, held_out, interpolation, block_size=128, engine="exact",
                            basis_size=32):
    """Render measured directions from a set that lacks them.

    Each held-out measurement is removed from the set on its own, and an
    impulse is rendered by the renderer at its position: a still source
    (the exact engine's fixed filter, the same response as its
    time-varying path), or, with the basis engine, a source moving by a
    thousandth of a degree, so that its delay lines and engine are on the
    path as in a scene.

    Parameters
    ----------
    hrtf : HrtfSet
        Full set.
    held_out : sequence of int
        Measurement indices to leave out (one at a time).
    interpolation : {'barycentric', 'nearest'}
    block_size : int
    engine : {'exact', 'basis'}
        ``render.engine`` (the basis is fitted on the set without the
        direction left out).
    basis_size : int
        ``render.basis_size``.

    Returns
    -------
    rendered : ndarray, shape (len(held_out), 2, n)
    measured : ndarray, shape (len(held_out), 2, n)
        The measured responses (``Data.Delay`` applied), zero-padded.
    """
    import tempfile
    from pathlib import Path

    import soundfile

    from .dsp.delay import shift_filter
    from .renderer.plan import RenderPlan
    from .scene import Keyframe, RenderSettings, Scene, SourceSpec

    rate = int(round(hrtf.sample_rate))
    n = hrtf.n_taps + int(np.ceil(hrtf.onsets.max())) + 64
    rendered = np.zeros((len(held_out), 2, n))
    measured = np.zeros((len(held_out), 2, n))
    everything = np.arange(len(hrtf.positions))
    settings = RenderSettings(interpolation=interpolation, block_size=block_size,
                              distance_gain=False, hrtf_level="measured", near_field=False,
                              engine=engine,
                              basis_size=basis_size)
    with tempfile.TemporaryDirectory() as tmp:
        impulse = Path(tmp) / "impulse.wav"
        soundfile.write(impulse, np.r_[1.0, np.zeros(n - 1)], rate, subtype="DOUBLE")
        for row, i in enumerate(held_out):
            keep = everything != i
            reduced = hrtf.subset(np.flatnonzero(keep))
            az, el, dist = hrtf.positions[i]
            # the basis engine takes moving sources only: a thousandth of a
            # degree in a second, yet at the direction for the response (the
            # exact engine's still source has the same filter, fixed)
            drift = 1e-3 if engine == "basis" else 0.0
            still = (Keyframe(0.0, az, el, dist), Keyframe(1.0, az + drift, el, dist))
            scene = Scene(sources=(SourceSpec("impulse", impulse, trajectory=still),),
                          sample_rate=rate, duration=n / rate, render=settings)
            plan = RenderPlan(scene, hrtf=reduced)
            rendered[row] = np.concatenate(list(plan.chunks()))[:n].T
            for ear in range(2):
                measured[row, ear] = shift_filter(hrtf.raw[i, ear], hrtf.raw_delays[i, ear], n)
    return rendered, measured


def memory_scene(count, kind, moving, seconds, loop=False):
    """The text of a scene of ``count`` sources for memory measurements.

    Parameters
    ----------
    count : int
    kind : {'generator', 'file'}
        Whisper generators, or the file ``noise.wav`` beside the scene.
    moving : bool
        Each source sweeps half a circle (a keyframe list), else holds still.
    seconds : float
        The scene's duration.
    loop : bool, optional
        File sources loop.

    Returns
    -------
    str
    """
    lines = [f"duration: {seconds}", "sources:"]
    for i in range(count):
        lines.append(f"  - name: s{i}")
        if kind == "generator":
            lines.append(f"    generator: {{type: whisper, seed: {i}}}")
        else:
            lines.append("    file: noise.wav" + ("\n    loop: true" if loop else ""))
        azimuth = (7 * i) % 360
        if moving:
            lines.append(f"    trajectory: [{{time: 0, azimuth: {azimuth}, elevation: 0, "
                         f"distance: 0.5}}, {{time: {seconds}, azimuth: {azimuth + 180}, "
                         "elevation: 10, distance: 0.3}]")
        else:
            lines.append(f"    position: {{azimuth: {azimuth}, elevation: 0, distance: 0.5}}")
    return "\n".join(lines) + "\n"


PEAK_MEMORY_SCRIPT = """\
import dataclasses, json, sys, time
from spatial_asmr import load_scene, render_to_file
from spatial_asmr.renderer.estimate import estimate_render
scene = load_scene(sys.argv[1])
# a first render compiles the numba kernels (once per install; the estimate
# counts it only while numba's cache is empty): render a second of the
# scene, then measure the real render's peak from here on (VmHWM, reset)
render_to_file(dataclasses.replace(scene, duration=1.0), sys.argv[2], max_memory="none")
with open("/proc/self/clear_refs", "w") as fh:
    fh.write("5")
estimate = estimate_render(scene, threads=2)
started = time.perf_counter()
render_to_file(scene, sys.argv[2], threads=2, max_memory="none")
with open("/proc/self/status") as fh:
    peak = next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmHWM"))
print(json.dumps({"estimate": estimate.memory_bytes, "time_estimate": estimate.render_seconds,
                  "wall": time.perf_counter() - started, "peak": peak}))
"""
"""str : ``python -c PEAK_MEMORY_SCRIPT SCENE OUT``: renders SCENE to OUT and
prints JSON: ``estimate`` and ``peak`` (bytes), ``time_estimate`` and ``wall``
(seconds)."""
