"""Finishing the mix, streamed: loudness, true peak and a true-peak limiter.

Everything here works chunk by chunk in bounded memory, so that an hour-long
render can be measured and limited as it is written.  Each measurement or
process is a class fed with chunks of shape ``(n, channels)``
(:class:`LoudnessMeter`, :class:`TruePeakMeter`, :class:`Limiter`); the
whole-array functions (:func:`integrated_loudness`, :func:`true_peak`,
:func:`limit`, :func:`finish`) feed those classes, so there is one code path.
The results of the classes do not depend on how the signal is cut into
chunks: the true peak and the limiter output are identical, the loudness
agrees to rounding.

Loudness is ITU-R BS.1770-4 integrated loudness: K-weighting, 400 ms blocks
with 75 % overlap, an absolute gate at -70 LKFS and a relative gate 10 LU
below the absolutely gated loudness.

True peak is the peak of the signal oversampled 4 times (BS.1770-4 annex 2),
sharpened by a parabola through each local maximum of the oversampled
magnitude, which removes most of the under-read of a plain 4x grid (up to
0.69 dB near fs/2); see :class:`TruePeakMeter` for the measured accuracy.

The limiter keeps the true peak within 0.01 dB of its ceiling (-1 dBTP by
default, so integer output never clips); see :class:`Limiter`.

Bad arguments (shapes, dtypes, NaN or infinite samples, rates, levels)
raise :class:`~spatial_asmr.errors.ArgumentError`.
"""

__all__ = ["LoudnessMeter", "TruePeakMeter", "Limiter", "LimiterReport", "true_peak",
           "integrated_loudness", "limit", "finish", "CEILING_DB"]

import math

import numpy as np

from ..errors import ArgumentError
from .audio_checks import check_audio, check_db
from .limiter import Limiter, LimiterReport, limit
from .loudness import LoudnessMeter, integrated_loudness
from .truepeak import TruePeakMeter, true_peak

CEILING_DB = -1.0
"""float : True-peak ceiling of integer output, dBTP."""


def finish(audio, sample_rate, normalize=None, integer=True):
    """Normalise and limit a mix.

    Parameters
    ----------
    audio : ndarray, shape (n, 2)
    sample_rate : float
        Hz.
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
        Normalisation gain applied, dB.
    report : LimiterReport

    Raises
    ------
    ArgumentError
        If ``audio`` is not finite real numbers of shape (n, channels),
        ``normalize`` is not one of the forms above (its target finite, in
        [-200, 200] dB) or ``integer`` is not a bool.
    """
    audio = check_audio(audio, mono=False)
    if not isinstance(integer, (bool, np.bool_)):
        raise ArgumentError(f"integer is {integer!r} but must be True or False")
    gain_db = 0.0
    ceiling = CEILING_DB if integer else None
    if normalize is not None:
        kind, target = _check_normalize(normalize)
        if kind == "peak":
            peak = true_peak(audio)
            if peak > 0:
                gain_db = target - 20 * math.log10(peak)
            ceiling = min(target, CEILING_DB) if integer else target
        elif kind == "loudness":
            loudness = integrated_loudness(audio, sample_rate)
            if math.isfinite(loudness):
                gain_db = target - loudness
        audio = audio * 10 ** (gain_db / 20)
    if ceiling is None:
        return audio, gain_db, LimiterReport(False, 0.0, 0.0)
    limited, report = limit(audio, sample_rate, ceiling)
    return limited, gain_db, report


def _check_normalize(normalize):
    """``(kind, target)`` of a normalisation target."""
    if not (isinstance(normalize, (tuple, list)) and len(normalize) == 2):
        raise ArgumentError(f"normalize is {normalize!r} but must be None, ('peak', dBTP) "
                             "or ('loudness', LUFS)")
    kind, target = normalize
    if not (isinstance(kind, str) and kind in ("peak", "loudness")):
        raise ArgumentError(f"normalize is {kind!r} but must be 'peak' or 'loudness'")
    return kind, check_db("normalize target", target, "dBTP" if kind == "peak" else "LUFS")
