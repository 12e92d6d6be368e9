"""Finishing the mix: loudness or peak normalisation and a true-peak limiter.

Loudness is ITU-R BS.1770-4 integrated loudness (K-weighting, 400 ms blocks,
absolute and relative gating) as measured by pyloudnorm.  True peak is the
peak of the signal oversampled 4 times (BS.1770-4 annex 2), which catches
the inter-sample overs that a sample-peak meter misses.

The limiter keeps the true peak within 0.01 dB of its ceiling (-1 dBTP by
default, so integer output never clips): the gain needed at
each (oversampled) sample, ``min(1, ceiling / |x|)``, is turned into a
smooth envelope that (1) takes the minimum over a look-ahead window of ``L``
samples ending at the sample, so the gain is down before the peak arrives,
(2) is averaged over the same ``L`` samples, which turns the attack into a
ramp while staying at or below the needed gain at the peak (each of the
``L`` averaged values already includes the peak), and (3) recovers with a
one-pole release.  The signal is delayed by ``L`` to line up with the
envelope; the delay is removed again at the end, so the limiter adds no
latency to the file.
"""

__all__ = ["true_peak", "integrated_loudness", "limit", "LimiterReport", "finish",
           "CEILING_DB"]

from dataclasses import dataclass as _dataclass

import numba as _numba
import numpy as _np
from scipy.signal import resample_poly as _resample_poly

CEILING_DB = -1.0
"""float : True-peak ceiling of integer output, dBTP."""


def true_peak(audio):
    """True peak (linear) of ``audio`` (n, channels): 4x oversampled peak."""
    audio = _np.asarray(audio, dtype=_np.float64)
    if len(audio) == 0:
        return 0.0
    up = _resample_poly(audio, 4, 1, axis=0)
    return float(max(_np.abs(up).max(), _np.abs(audio).max()))


def integrated_loudness(audio, sample_rate):
    """Integrated loudness in LUFS (ITU-R BS.1770-4, via pyloudnorm)."""
    import pyloudnorm

    meter = pyloudnorm.Meter(sample_rate)
    return float(meter.integrated_loudness(_np.asarray(audio, dtype=_np.float64)))


@_dataclass(frozen=True)
class LimiterReport:
    """What the limiter did.

    Attributes
    ----------
    engaged : bool
    max_reduction_db : float
        Largest gain reduction in dB (0 if not engaged).
    reduced_seconds : float
        Time during which the gain was reduced by more than 0.1 dB.
    """

    engaged: bool
    max_reduction_db: float
    reduced_seconds: float


@_numba.njit(cache=True)
def _envelope(needed, lookahead, release_coeff):
    n = needed.shape[0]
    # (1) minimum over the window [i - L + 1, i] (monotonic deque)
    window_min = _np.empty(n)
    queue = _np.empty(n, dtype=_np.int64)
    head, tail = 0, 0
    for i in range(n):
        while tail > head and needed[queue[tail - 1]] >= needed[i]:
            tail -= 1
        queue[tail] = i
        tail += 1
        if queue[head] <= i - lookahead:
            head += 1
        window_min[i] = needed[queue[head]]
    # (2) moving average over L, (3) release
    out = _np.empty(n)
    acc = 0.0
    state = 1.0
    for i in range(n):
        acc += window_min[i]
        if i >= lookahead:
            acc -= window_min[i - lookahead]
        # before the start the needed gain is 1
        avg = (acc + max(lookahead - i - 1, 0)) / lookahead
        if avg < state:
            state = avg
        else:
            state = avg + release_coeff * (state - avg)
        out[i] = state
    return out


def _limiter_gain(audio, sample_rate, ceiling, lookahead_ms, release_ms):
    factor = 4
    up = _resample_poly(audio, factor, 1, axis=0)
    level = _np.abs(up).max(axis=1)
    needed = _np.minimum(1.0, ceiling / _np.maximum(level, 1e-30))
    lookahead = max(1, int(lookahead_ms * 1e-3 * sample_rate * factor))
    release = _np.exp(-1.0 / (release_ms * 1e-3 * sample_rate * factor))
    # shifted by L - 1, the envelope at j averages window minima that all
    # include j: it is at or below the needed gain there
    padded = _np.concatenate([needed, _np.ones(lookahead)])
    envelope = _envelope(padded, lookahead, release)[lookahead - 1:lookahead - 1 + len(needed)]
    # per original sample: the smallest gain of its oversampled neighbourhood
    return _np.minimum.reduceat(envelope, _np.arange(0, len(envelope), factor))[:len(audio)]


def limit(audio, sample_rate, ceiling_db=-1.0, lookahead_ms=2.0, release_ms=80.0):
    """True-peak limiter.

    Parameters
    ----------
    audio : ndarray, shape (n, channels)
    sample_rate : float
    ceiling_db : float
        Largest true peak allowed, dBTP.
    lookahead_ms, release_ms : float
        Attack (look-ahead) time and release time constant.

    Returns
    -------
    limited : ndarray, shape (n, channels)
    report : LimiterReport
    """
    audio = _np.asarray(audio, dtype=_np.float64)
    ceiling = 10.0 ** (ceiling_db / 20.0)
    if len(audio) == 0 or true_peak(audio) <= ceiling:
        return audio, LimiterReport(False, 0.0, 0.0)
    gain = _np.ones(len(audio))
    target = ceiling
    for _ in range(8):
        gain = _limiter_gain(audio, sample_rate, target, lookahead_ms, release_ms)
        peak = true_peak(audio * gain[:, None])
        if peak <= ceiling * 1.0012:  # within 0.01 dB
            break
        # the gain is exact at the oversampled points; inter-point overs of
        # a fraction of a dB are removed by aiming slightly lower
        target *= ceiling / peak * 0.999
    limited = audio * gain[:, None]
    reduction = -20.0 * _np.log10(gain.min())
    seconds = float(_np.sum(gain < 10 ** (-0.1 / 20))) / sample_rate
    return limited, LimiterReport(True, float(reduction), seconds)


def finish(audio, sample_rate, normalize=None, integer=True):
    """Normalise and limit a mix.

    Parameters
    ----------
    audio : ndarray, shape (n, 2)
    sample_rate : float
    normalize : None or tuple
        ``None``, ``("peak", dBTP)`` or ``("loudness", LUFS)``.
    integer : bool
        Whether the output is integer: then the true peak is limited to
        :data:`CEILING_DB`.  Float output is only limited when a peak
        target is given (to that target).

    Returns
    -------
    audio : ndarray, shape (n, 2)
    gain_db : float
        Normalisation gain applied.
    report : LimiterReport
    """
    audio = _np.asarray(audio, dtype=_np.float64)
    gain_db = 0.0
    ceiling = CEILING_DB if integer else None
    if normalize is not None:
        kind, target = normalize
        if kind == "peak":
            peak = true_peak(audio)
            if peak > 0:
                gain_db = target - 20 * _np.log10(peak)
            ceiling = min(target, CEILING_DB) if integer else target
        elif kind == "loudness":
            loudness = integrated_loudness(audio, sample_rate)
            if _np.isfinite(loudness):
                gain_db = target - loudness
        else:
            raise ValueError(f"normalize is {kind!r} but must be 'peak' or 'loudness'")
        audio = audio * 10 ** (gain_db / 20)
    if ceiling is None:
        return audio, gain_db, LimiterReport(False, 0.0, 0.0)
    limited, report = limit(audio, sample_rate, ceiling)
    return limited, gain_db, report
