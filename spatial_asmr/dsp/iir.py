"""Recursive (IIR) filters: Butterworth designs and second-order sections, numba.

The generators shape noise with band-passes, resonators and one-pole decays,
and the loudness meter K-weights the mix; both used ``scipy.signal``, whose
import alone takes a second and more, paid by every render.  The designs
here are the textbook ones (Butterworth analog prototype, frequency
prewarping, the bilinear transform; e.g. Oppenheim & Schafer, *Discrete-Time
Signal Processing*, 3rd ed., 7.1-7.2), the filtering the transposed direct
form II of each section, in the order of operations of
``scipy.signal.sosfilt`` (a test checks both against scipy).

Filter states smaller than :data:`FLUSH` are set to zero, every 64 samples.  Over digital
silence (a mix between sources, the tail of a decaying resonator) a
recursion decays into subnormal numbers, which cost some 100 times a normal
operation on x86; a state below 1e-200 contributes nothing a float32 or
float64 signal of audio level can hold.
"""

__all__ = ["butter_sos", "sosfilt", "lfilter2", "biquad", "flushed", "FLUSH", "RUN"]

import numba
import numpy as np

FLUSH = 1e-200
"""float : Filter states smaller than this (in magnitude) are set to zero."""
RUN = 64
"""int : Samples between flushes of the filter states (see :data:`FLUSH`)."""


@numba.njit(inline="always")
def biquad(u, b0, b1, b2, a1, a2, s0, s1):  # pragma: no cover - compiled
    """One sample through a second-order section (transposed direct form II,
    ``a0 = 1``): the output and the section's two new states."""
    y = b0 * u + s0
    return y, b1 * u - a1 * y + s1, b2 * u - a2 * y


@numba.njit(inline="always")
def flushed(state):  # pragma: no cover - compiled
    """A filter state, or zero where it is too small to matter (:data:`FLUSH`)."""
    return 0.0 if abs(state) < FLUSH else state


@numba.njit("void(float64[:, ::1], float64[:, ::1], float64[:, :, ::1], float64[:, ::1])",
            cache=True, nogil=True)
def _sosfilt(x, sos, zi, out):  # pragma: no cover - compiled
    # x, out: (n, channels); sos: (sections, 6), a0 = 1; zi: (sections, 2,
    # channels), updated.  Channels are filtered two at a time: two
    # independent recursions keep the pipeline busy where one waits on its
    # own previous result.  States are flushed once per RUN samples, so the
    # inner loop has no branches.
    n, channels = x.shape
    for s in range(sos.shape[0]):
        b0, b1, b2 = sos[s, 0], sos[s, 1], sos[s, 2]
        a1, a2 = sos[s, 4], sos[s, 5]
        src = x if s == 0 else out
        c = 0
        while c < channels:
            d = min(c + 1, channels - 1)
            p0, p1 = zi[s, 0, c], zi[s, 1, c]
            q0, q1 = zi[s, 0, d], zi[s, 1, d]
            for i0 in range(0, n, RUN):
                i1 = min(i0 + RUN, n)
                if d == c:
                    for i in range(i0, i1):
                        out[i, c], p0, p1 = biquad(src[i, c], b0, b1, b2, a1, a2, p0, p1)
                else:
                    for i in range(i0, i1):
                        out[i, c], p0, p1 = biquad(src[i, c], b0, b1, b2, a1, a2, p0, p1)
                        out[i, d], q0, q1 = biquad(src[i, d], b0, b1, b2, a1, a2, q0, q1)
                p0, p1, q0, q1 = flushed(p0), flushed(p1), flushed(q0), flushed(q1)
            zi[s, 0, c], zi[s, 1, c] = p0, p1
            if d != c:
                zi[s, 0, d], zi[s, 1, d] = q0, q1
            c += 2


def sosfilt(sos, x, zi=None):
    """Filter with second-order sections (what ``scipy.signal.sosfilt`` does).

    Parameters
    ----------
    sos : array_like, shape (sections, 6)
        ``b0, b1, b2, a0, a1, a2`` per section.
    x : array_like, shape (n,) or (n, channels)
        Filtered along the first axis.
    zi : ndarray, shape (sections, 2, channels), optional
        State, updated in place (float64, C-contiguous); default zeros.

    Returns
    -------
    ndarray, float64, the shape of ``x``
    """
    sos = np.asarray(sos, dtype=np.float64)
    sos = np.ascontiguousarray(sos / sos[:, 3:4])
    x = np.asarray(x, dtype=np.float64)
    flat = x.ndim == 1
    x2 = np.ascontiguousarray(x[:, None] if flat else x)
    if zi is None:
        zi = np.zeros((len(sos), 2, x2.shape[1]))
    out = np.empty_like(x2)
    _sosfilt(x2, sos, zi, out)
    return out[:, 0] if flat else out


def lfilter2(b, a, x):
    """``scipy.signal.lfilter(b, a, x)`` for filters of order at most 2.

    Parameters
    ----------
    b, a : sequence of float
        Numerator and denominator, at most 3 coefficients each, ``a[0] != 0``.
    x : array_like, shape (n,)

    Returns
    -------
    ndarray, shape (n,), float64
    """
    row = np.zeros(6)
    row[:len(b)] = b
    row[3:3 + len(a)] = a
    return sosfilt(row[None], x)


def _prewarp(f, fs):
    """Analog angular frequency that the bilinear transform maps to ``f`` Hz."""
    return 2.0 * fs * np.tan(np.pi * f / fs)


def butter_sos(order, edges, btype, fs):
    """Digital Butterworth filter as second-order sections.

    Parameters
    ----------
    order : int
        Order of the low-pass prototype (a band-pass has twice the poles).
    edges : float or (float, float)
        -3 dB frequency (low-pass, high-pass) or band edges (band-pass), Hz.
    btype : {'lowpass', 'highpass', 'bandpass'}
    fs : float
        Sample rate, Hz.

    Returns
    -------
    sos : ndarray, shape (sections, 6)
        ``b0, b1, b2, 1, a1, a2``; the gain is in the first section.
    """
    n = int(order)
    k = np.arange(n)
    prototype = np.exp(1j * np.pi * (2 * k + n + 1) / (2 * n))  # left half plane, |p| = 1
    fs2 = 2.0 * fs
    if btype == "lowpass":
        w = _prewarp(float(edges), fs)
        poles, zeros, gain = prototype * w, np.full(n, -1.0), w ** n
        analog_zeros = np.zeros(0)
    elif btype == "highpass":
        w = _prewarp(float(edges), fs)
        poles, zeros = w / prototype, np.full(n, 1.0)
        gain = 1.0 / np.real(np.prod(-prototype))
        analog_zeros = np.zeros(n)
    elif btype == "bandpass":
        lo, hi = (_prewarp(float(f), fs) for f in edges)
        centre, width = np.sqrt(lo * hi), hi - lo
        half = prototype * width / 2.0
        root = np.sqrt(half * half - centre * centre + 0j)
        poles = np.concatenate([half + root, half - root])
        zeros = np.concatenate([np.full(n, 1.0), np.full(n, -1.0)])
        gain = width ** n
        analog_zeros = np.zeros(n)
    else:
        raise ValueError(f"btype is {btype!r} but must be 'lowpass', 'highpass' or 'bandpass'")
    # the bilinear transform: s -> z = (fs2 + s) / (fs2 - s); zeros at
    # infinity go to z = -1
    digital = (fs2 + poles) / (fs2 - poles)
    gain = gain * np.real(np.prod(fs2 - analog_zeros) / np.prod(fs2 - poles))
    return _sections(digital, zeros, gain)


def _sections(poles, zeros, gain):
    """Second-order sections of real-coefficient poles and real zeros."""
    upper = poles[poles.imag > 1e-12]
    real = np.sort(poles[np.abs(poles.imag) <= 1e-12].real)
    rows = []  # (denominator, number of zeros)
    for p in upper:
        rows.append(([1.0, -2.0 * p.real, abs(p) ** 2], 2))
    for i in range(0, len(real) - 1, 2):
        rows.append(([1.0, -(real[i] + real[i + 1]), real[i] * real[i + 1]], 2))
    if len(real) % 2:
        rows.append(([1.0, -real[-1], 0.0], 1))
    # zeros: give each section one of each kind where there are two kinds
    # (band-pass: 1 - z^-2), else two of the one kind
    plus = [z for z in zeros.real if z > 0]
    minus = [z for z in zeros.real if z <= 0]
    sos = np.zeros((len(rows), 6))
    for s, (a, count) in enumerate(rows):
        pair = []
        for _ in range(count):
            source = plus if plus and len(plus) >= len(minus) else minus
            if source:
                pair.append(source.pop())
        b = np.poly(pair) if pair else np.array([1.0])
        sos[s, :len(b)] = b
        sos[s, 3:] = a
    sos[0, :3] *= gain
    return sos
