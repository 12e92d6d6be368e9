"""Running one case: a render through the package, or a baseline on the same signals."""

__all__ = ["run_case", "Skipped", "sofalizer_available"]

import shutil
import subprocess

import numpy as np

from .timing import timed

RATE = 48000
# ffmpeg channel layouts (and their channel names) for N static sources
_LAYOUTS = {1: ("mono", ["FC"]), 2: ("stereo", ["FL", "FR"]),
            4: ("quad", ["FL", "FR", "BL", "BR"]),
            8: ("octagonal", ["FL", "FR", "FC", "BL", "BR", "BC", "SL", "SR"])}


class Skipped(Exception):
    """A case that cannot run here; the message says why."""


def run_case(case, workspace, repeat):
    """Time one case.

    Parameters
    ----------
    case : spatial_asmr.bench.cases.Case
    workspace : spatial_asmr.bench.scenes.Workspace
    repeat : int
        Timed runs after one warm-up run.

    Returns
    -------
    spatial_asmr.bench.timing.Timing

    Raises
    ------
    Skipped
        The case cannot run on this machine (ffmpeg missing, say).
    """
    runner = {"render": _render, "naive": _naive, "oaconvolve": _oaconvolve,
              "sofalizer": _sofalizer, "fft": _fft, "copy": _copy}[case.kind]
    return runner(case, workspace, repeat)


def _render(case, workspace, repeat):
    from ..renderer.plan import RenderPlan

    scene = workspace.scene(case)

    def run():
        for _ in RenderPlan(scene).chunks():
            pass

    return timed(run, repeat, case.seconds)


def _responses(case, workspace):
    """The set's minimum-phase responses (directions, 2, taps) and the set, float64."""
    from ..hrtf.sets import load_hrtf

    hrtf = load_hrtf(workspace.hrtf(case.taps), RATE)
    return hrtf.minphase, hrtf


def _naive(case, workspace, repeat):
    # Each source on its own: per block, one FFT of its input, the blended
    # old and new filter spectra, two inverse FFTs, a raised-cosine
    # crossfade (pyBinSim, the SoundScape Renderer).  numpy / scipy.fft.
    from scipy import fft

    from ..dsp.convolution import crossfade_ramp
    from ..motion.coordinates import cart2sph

    table, hrtf = _responses(case, workspace)
    scene = workspace.scene(case)
    signals = workspace.signals(case).astype(np.float64)
    B = case.block
    n_blocks = signals.shape[1] // B
    n_fft = 1 << int(np.ceil(np.log2(B + table.shape[-1] - 1)))
    spectra = fft.rfft(table, n_fft, axis=-1)
    fade = np.concatenate([crossfade_ramp(B), np.ones(n_fft - B)])
    times = np.arange(n_blocks + 1) * B / RATE
    lookups = []
    for spec in scene.sources:
        az, el, dist = cart2sph(spec.motion.positions(times)).T
        lookups.append(hrtf.lookup(az, el, dist, case.interpolation))

    def run():
        out = np.zeros((2, n_blocks * B + n_fft))
        for x, (index, weights) in zip(signals, lookups, strict=True):
            for k in range(n_blocks):
                X = fft.rfft(x[k * B:(k + 1) * B], n_fft)
                h_old = np.einsum("i,iet->et", weights[k], spectra[index[k]])
                h_new = np.einsum("i,iet->et", weights[k + 1], spectra[index[k + 1]])
                y_old = fft.irfft(X * h_old, n_fft)
                y_new = fft.irfft(X * h_new, n_fft)
                out[:, k * B:k * B + n_fft] += y_old * (1 - fade) + y_new * fade

    return timed(run, repeat, n_blocks * B / RATE, warm_up=False)


def _oaconvolve(case, workspace, repeat):
    from scipy.signal import oaconvolve

    table, _ = _responses(case, workspace)
    signals = workspace.signals(case)
    rows = np.arange(case.sources) % len(table)
    filters = table[rows].astype(np.float32)  # (sources, 2, taps)

    def run():
        out = 0.0
        for x, h in zip(signals, filters, strict=True):
            out = out + oaconvolve(x[None, :], h, axes=-1)

    return timed(run, repeat, case.seconds)


def sofalizer_available():
    """Why ffmpeg's sofalizer cannot run here, or None if it can."""
    if shutil.which("ffmpeg") is None:
        return "ffmpeg is not installed"
    try:
        done = subprocess.run(["ffmpeg", "-hide_banner", "-filters"], capture_output=True,
                              text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"ffmpeg does not run: {exc}"
    if "sofalizer" not in done.stdout:
        return "this ffmpeg has no sofalizer filter"
    return None


def _sofalizer(case, workspace, repeat):
    import soundfile as sf

    from ..hrtf.bundled import bundled_hrtf_path

    why = sofalizer_available()
    if why is not None:
        raise Skipped(why)
    if case.sources not in _LAYOUTS:
        raise Skipped(f"sofalizer takes a named channel layout; none here has "
                      f"{case.sources} channels (1, 2, 4 and 8 do)")
    layout, names = _LAYOUTS[case.sources]
    signals = workspace.signals(case)
    source = workspace.folder / f"sofalizer-{case.sources}.wav"
    sf.write(source, signals.T, RATE, subtype="FLOAT")
    speakers = "|".join(f"{name} {workspace.spread(k)[0]:.1f} {workspace.spread(k)[1]:.1f}"
                        for k, name in enumerate(names))
    sofa = workspace.hrtf(case.taps)
    sofa = str(bundled_hrtf_path("kemar")) if sofa == "kemar" else sofa
    out = workspace.folder / "sofalizer-out.wav"
    command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
               "-channel_layout", layout, "-i", str(source), "-af",
               f"sofalizer=sofa={sofa}:type=freq:speakers={speakers}:interpolate=0",
               "-c:a", "pcm_f32le", str(out)]

    def run():
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            raise Skipped(f"ffmpeg failed: {done.stderr.strip()[:200]}")

    return timed(run, repeat, case.seconds)


def _fft(case, workspace, repeat):
    # one 2B-point real FFT per source and block, batched per chunk of 16384
    # samples, float32, all cores: what any uniformly partitioned
    # convolution of the sources has to do before anything else
    from scipy import fft

    x = workspace.signals(case)
    B = case.block
    chunk = max(1, 16384 // B)
    n_blocks = x.shape[1] // B - 1

    def run():
        for k0 in range(0, n_blocks, chunk):
            k_n = min(chunk, n_blocks - k0)
            part = np.ascontiguousarray(x[:, k0 * B:(k0 + k_n + 1) * B])
            frames = np.lib.stride_tricks.as_strided(
                part, shape=(x.shape[0], k_n, 2 * B),
                strides=(part.strides[0], B * part.itemsize, part.itemsize), writeable=False)
            fft.rfft(frames, axis=-1, workers=-1)

    return timed(run, repeat, n_blocks * B / RATE)


def _copy(case, workspace, repeat):
    # the sources' samples copied once: the memory bandwidth the data needs
    x = workspace.signals(case)
    y = np.empty_like(x)

    def run():
        np.copyto(y, x)

    return timed(run, max(repeat, 5), case.seconds)
