"""DSP pieces several trigger generators use.

Band-pass design, rate-independent white and band noise, random control
curves, event times, grain windows and overlap-add, clicks and banks of
damped modes.  Every function that draws random numbers takes the
generator's ``numpy.random.Generator`` and draws from it in a fixed order.
"""

import functools
import math

import numpy as np

from ._common import REFERENCE_RATE, TOP

# -- filters ----------------------------------------------------------------------


def band_sos(lo, hi, sample_rate, order=2):
    """Butterworth band-pass, its upper edge kept below ``TOP * sample_rate``.

    Parameters
    ----------
    lo, hi : float
        Band edges in Hz (-3 dB points).  If ``hi`` must be lowered, ``lo``
        is kept at most half of it so the band stays an octave wide.
    sample_rate : int
        Hz.
    order : int, optional
        Order of the low-pass prototype; the band-pass has ``2 * order`` poles.

    Returns
    -------
    sos : ndarray, shape (order, 6)
        A copy of a design cached per argument tuple (the designs are
        slow next to filtering the short segments of a whisper).
    """
    return _band_design(float(lo), float(hi), int(sample_rate), int(order)).copy()


@functools.lru_cache(maxsize=256)
def _band_design(lo, hi, sample_rate, order):
    from ..dsp.iir import butter_sos  # here: numba loads at import
    hi = min(hi, TOP * sample_rate)
    lo = min(lo, 0.5 * hi)
    return butter_sos(order, (lo, hi), "bandpass", sample_rate)


def white(rng, n, sample_rate):
    """White noise whose level per hertz does not depend on the rate.

    Unit-variance samples spread their power over ``sample_rate / 2`` Hz, so
    a band of fixed width would get quieter at higher rates, against grains
    and modes whose amplitudes do not change with the rate.  Scaling by
    ``sqrt(sample_rate / REFERENCE_RATE)`` keeps the power density that of
    unit-variance noise at 48 kHz, so a generator's mix of noise and
    transients sounds the same at every rate.

    The samples are uniform, not Gaussian (three times faster to draw):
    every use filters them, and a filter's output, a weighted sum of many
    independent samples, is Gaussian to a very good approximation (central
    limit theorem) with the same spectrum.

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int
        Samples.
    sample_rate : int
        Hz.

    Returns
    -------
    noise : ndarray, shape (n,)
        Zero mean, variance ``sample_rate / REFERENCE_RATE``.
    """
    noise = rng.random(n)
    noise -= 0.5
    # a uniform variable on [-1/2, 1/2) has variance 1/12
    noise *= math.sqrt(12.0 * sample_rate / REFERENCE_RATE)
    return noise


def band_noise(rng, n, lo, hi, sample_rate, order=2):
    """:func:`white` noise through :func:`band_sos`.

    Returns
    -------
    noise : ndarray, shape (n,)
    """
    from ..dsp.iir import sosfilt  # here: numba loads at import
    return sosfilt(band_sos(lo, hi, sample_rate, order), white(rng, n, sample_rate))


def formant_coefficients(freq, bandwidth, sample_rate):
    """Band-pass biquad with 0 dB gain at ``freq`` (a formant resonator).

    The constant-peak-gain band-pass of the audio-EQ cookbook:
    ``w0 = 2 pi f / fs``, ``alpha = sin(w0) / (2 Q)``, ``Q = f / B``,
    ``b = [alpha, 0, -alpha]``, ``a = [1 + alpha, -2 cos w0, 1 - alpha]``.
    Its zeros at DC and Nyquist make it a band-pass with 6 dB/octave skirts.

    Parameters
    ----------
    freq : float
        Centre frequency in Hz, below ``sample_rate / 2``.
    bandwidth : float
        -3 dB bandwidth in Hz.
    sample_rate : int
        Hz.

    Returns
    -------
    b, a : ndarray, shape (3,)
    """
    w0 = 2 * np.pi * freq / sample_rate
    alpha = np.sin(w0) * bandwidth / (2 * freq)
    b = np.array([alpha, 0.0, -alpha])
    a = np.array([1 + alpha, -2 * np.cos(w0), 1 - alpha])
    return b / a[0], a / a[0]


# -- control signals and event times ------------------------------------------------


def smooth_random(rng, n, rate, sample_rate):
    """A smooth random control curve with values in [0, 1].

    Independent uniform values at ``rate`` points per second, joined by
    raised-cosine segments, so the curve and its slope are continuous and it
    has no spectral content much above ``rate``.  The raised cosine is
    evaluated every ``step`` samples (at least 32 times per segment) and
    joined linearly in between, which is indistinguishable for a control
    signal and several times faster than evaluating it at every sample.

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int
        Length in samples.
    rate : float
        Control points per second, Hz.
    sample_rate : int
        Hz.

    Returns
    -------
    curve : ndarray, shape (n,)
    """
    step = max(1, int(sample_rate / (32 * rate)))
    position = np.arange(-(-n // step) + 1) * (step * rate / sample_rate)
    index = position.astype(np.int64)
    points = rng.random(int(index[-1]) + 2)
    weight = 0.5 - 0.5 * np.cos(np.pi * (position - index))
    coarse = points[index] + (points[index + 1] - points[index]) * weight
    fine = coarse[:-1, None] + np.diff(coarse)[:, None] * (np.arange(step) / step)
    return fine.ravel()[:n]


def regular_times(rng, duration, rate, jitter):
    """Onset times of a jittered metronome.

    Onsets lie every ``1 / rate`` seconds from a random first onset in
    ``[0, 1 / rate)``; each is moved by Gaussian jitter of standard deviation
    ``jitter / rate``, clipped to +-0.4 periods so that the order is kept.

    Parameters
    ----------
    rng : numpy.random.Generator
    duration : float
        Seconds; onsets lie in ``[0, duration)``.
    rate : float
        Events per second.
    jitter : float
        Standard deviation of the timing error as a fraction of the period.

    Returns
    -------
    times : ndarray, shape (k,)
        Seconds, increasing; about ``rate * duration`` of them.
    """
    period = 1.0 / rate
    count = math.ceil(duration * rate) + 1
    times = (np.arange(count) + rng.random()) * period
    times += np.clip(jitter * rng.standard_normal(count), -0.4, 0.4) * period
    return times[(times >= 0) & (times < duration)]


def poisson_times(rng, duration, rate):
    """Onset times of a homogeneous Poisson process.

    Returns
    -------
    times : ndarray, shape (k,)
        Seconds in ``[0, duration)``, increasing; ``k`` is Poisson with mean
        ``rate * duration``.
    """
    return np.sort(rng.random(rng.poisson(rate * duration)) * duration)


def raised_cosine_window(length, attack, release):
    """Window rising over ``attack`` samples and falling over ``release``.

    Parameters
    ----------
    length : int
        Samples.
    attack, release : int
        Lengths of the raised-cosine edges in samples; scaled down together
        if they exceed ``length``.

    Returns
    -------
    window : ndarray, shape (length,)
        Rising from near 0 at the first sample to 1, falling to near 0 at
        the last.
    """
    if attack + release > length:
        scale = length / (attack + release)
        attack, release = int(attack * scale), int(release * scale)
    window = np.ones(length)
    if attack:
        window[:attack] = 0.5 - 0.5 * np.cos(np.pi * (np.arange(attack) + 0.5) / attack)
    if release:
        window[length - release:] = 0.5 + 0.5 * np.cos(
            np.pi * (np.arange(release) + 0.5) / release)
    return window


def add_segment(out, start, segment):
    """Add ``segment`` into ``out`` from sample ``start``, cut at the end of ``out``.

    Parameters
    ----------
    out : ndarray, shape (n,)
        Modified in place.
    start : int
        First sample, >= 0.
    segment : ndarray, shape (m,)
    """
    stop = min(len(out), start + len(segment))
    if stop > start:
        out[start:stop] += segment[:stop - start]


# -- grains and modes -------------------------------------------------------------


def overlap_add(n, starts, grains):
    """Sum equal-length grains into one signal.

    Parameters
    ----------
    n : int
        Output length in samples.
    starts : ndarray of int, shape (k,)
        First sample of each grain, >= 0.  Grains running past ``n`` are cut.
    grains : ndarray, shape (k, length)

    Returns
    -------
    out : ndarray, shape (n,)
    """

    count, length = grains.shape
    if count == 0:
        return np.zeros(n)
    index = starts[:, None] + np.arange(length)
    # bincount with weights is an unbuffered scatter-add: overlapping grains sum.
    return np.bincount(index.ravel(), weights=grains.ravel(), minlength=n + length)[:n]


def add_clicks(out, starts, freqs, qs, amps, rng, sample_rate, budget=2_000_000):
    """Add damped-sinusoid clicks, each a short resonance struck by an impulse.

    A two-pole resonator at ``f`` with quality ``Q`` rings with time constant
    ``tau = Q / (pi f)`` (its -3 dB bandwidth is ``f / Q = 1 / (pi tau)``), so
    a click is ``a exp(-t / tau) sin(2 pi f t + phi)`` with a random phase
    ``phi`` (the strike hits the resonance at any point of its cycle).  Each
    click is cut after ``5 tau`` (-43 dB).

    The clicks are laid out ragged, each only as long as its own decay needs,
    and scattered into ``out`` with one weighted ``bincount`` per batch: for
    log-uniform frequencies the mean length is a small fraction of the
    longest, so this does several times less work than equal-length grains.

    Parameters
    ----------
    out : ndarray, shape (n,)
        Modified in place.
    starts : ndarray of int, shape (k,)
        First sample of each click, >= 0.
    freqs : ndarray, shape (k,)
        Resonance frequencies in Hz.
    qs : ndarray, shape (k,)
        Quality factors.
    amps : ndarray, shape (k,)
        Peak amplitudes.
    rng : numpy.random.Generator
        Draws the phases.
    sample_rate : int
        Hz.
    budget : int, optional
        Samples of click rendered per batch, bounding memory (8 bytes each,
        a few arrays of it).
    """
    if len(starts) == 0:
        return
    phases = rng.uniform(0, 2 * np.pi, len(starts))
    taus = qs / (np.pi * freqs)
    lengths = np.ceil(5 * taus * sample_rate).astype(np.int64) + 1
    ends = np.cumsum(lengths)
    first = 0
    while first < len(starts):
        last = max(int(np.searchsorted(ends, ends[first] - lengths[first] + budget)), first + 1)
        part = slice(first, last)
        which = np.repeat(np.arange(last - first), lengths[part])
        # sample index within its click: position in the batch minus the click's offset
        offsets = np.arange(len(which)) - np.repeat(ends[part] - lengths[part] - (
            ends[first] - lengths[first]), lengths[part])
        t = offsets / sample_rate
        values = (amps[part][which] * np.exp(-t / taus[part][which])
                  * np.sin(2 * np.pi * freqs[part][which] * t + phases[part][which]))
        index = starts[part][which] + offsets
        out += np.bincount(index, weights=values,
                           minlength=len(out) + int(lengths[part].max()))[:len(out)]
        first = last


def modal_bank(n, starts, weights, freqs, decays, sample_rate):
    """Impulses exciting a bank of damped modes (modal synthesis).

    Mode ``k`` is the two-pole resonator with poles ``r exp(+-j theta)``,
    ``r = exp(-1 / (tau_k fs))``, ``theta = 2 pi f_k / fs``; with numerator
    ``r sin(theta) z^-1`` its impulse response is ``r^m sin(theta m)``, a sine
    of unit amplitude decaying with time constant ``tau_k``.  Each mode is
    driven by its own impulse train, so every strike can excite the modes in
    different proportions (a different place on the object), at the cost of
    one recursive filter per mode over the whole signal.

    Parameters
    ----------
    n : int
        Output length in samples.
    starts : ndarray of int, shape (k,)
        Strike samples, in ``[0, n)``.
    weights : ndarray, shape (k, m)
        Amplitude of each mode at each strike.
    freqs : ndarray, shape (m,)
        Mode frequencies in Hz; modes above ``TOP * sample_rate`` are left out.
    decays : ndarray, shape (m,)
        Time constants of the amplitude decay in seconds.
    sample_rate : int
        Hz.

    Returns
    -------
    out : ndarray, shape (n,)
    """
    from ..dsp.iir import lfilter2  # here: numba loads at import
    out = np.zeros(n)
    for k, (freq, decay) in enumerate(zip(freqs, decays, strict=True)):
        if freq >= TOP * sample_rate or len(starts) == 0:
            continue
        impulses = np.bincount(starts, weights=weights[:, k], minlength=n)
        r = np.exp(-1.0 / (decay * sample_rate))
        theta = 2 * np.pi * freq / sample_rate
        out += lfilter2([0.0, r * np.sin(theta)], [1.0, -2 * r * np.cos(theta), r * r],
                              impulses)
    return out


def decaying_noise_grains(rng, count, length, decay, sample_rate):
    """Noise bursts with an exponential decay, differentiated (a bright tick).

    The first difference tilts the spectrum up by 6 dB/octave, which moves
    the energy of a short burst to the top octaves, as in a nail or blade
    contact click.

    Parameters
    ----------
    rng : numpy.random.Generator
    count : int
        Number of grains.
    length : int
        Samples per grain.
    decay : float
        Time constant in seconds.
    sample_rate : int
        Hz.

    Returns
    -------
    grains : ndarray, shape (count, length)
        Each with peak absolute value 1.
    """
    t = np.arange(length + 1) / sample_rate
    grains = np.diff(rng.standard_normal((count, length + 1)) * np.exp(-t / decay), axis=1)
    peaks = np.max(np.abs(grains), axis=1, keepdims=True) if length else 1.0
    return grains / np.where(peaks > 0, peaks, 1.0)
