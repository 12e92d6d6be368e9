"""Struck objects: nail taps on a surface, and scissors snipping.

An impact is heard as a short contact click plus the ringing of the struck
object's modes, each an exponentially decaying sinusoid (modal synthesis).
Where the object is struck decides how strongly each mode is excited, so the
mode weights change a little from strike to strike.
"""

import numpy as np

from ._common import (
    Param,
    finish,
    prepare,
)
from ._dsp import (
    add_segment,
    band_noise,
    decaying_noise_grains,
    modal_bank,
    overlap_add,
    raised_cosine_window,
    regular_times,
    smooth_random,
)

TAPPING_PARAMS = {
    "tap_rate": Param(4.0, "taps/s", (0.5, 16.0), "nail taps per second"),
    "surface": Param("wood", "", ("wood", "plastic", "glass"), "material of the tapped surface"),
    "jitter": Param(0.05, "", (0.0, 0.3),
                    "timing jitter: standard deviation as a fraction of the tap period"),
}

SCISSORS_PARAMS = {
    "snip_rate": Param(1.0, "snips/s", (0.1, 6.0), "snips per second"),
    "scrape_length": Param(0.12, "s", (0.0, 0.5), "duration of the blade scrape before a snip"),
    "ring_time": Param(0.035, "s", (0.01, 0.15), "decay time constant of the metallic ring"),
}

# Surfaces: mode frequency range (Hz), decay time-constant range (s), number
# of modes, and the nail click's level relative to the summed mode weights.
# Wood is heavily damped and low; thin plastic rings higher and a little
# longer; glass is stiff and light (high modes) with little internal
# damping, so it rings for up to a second (T60 = 6.9 tau).
_SURFACES = {
    "wood": ((200.0, 1500.0), (0.008, 0.035), 6, 0.5),
    "plastic": ((800.0, 4000.0), (0.012, 0.045), 6, 0.4),
    "glass": ((1800.0, 7500.0), (0.06, 0.2), 5, 0.6),
}
_NAIL_CLICK = (0.0015, 0.00025)  # s: grain length and decay of the nail's contact click

_BLADE_BAND = (2000.0, 9000.0)  # Hz, modes of a pair of scissor blades
_BLADE_MODES = 5
_BLADE_CONTACT = (0.015, 0.003)  # s: grain length and decay of the blades' grinding contact


def tapping(duration, sample_rate, *, seed=0, tap_rate=4.0, surface="wood", jitter=0.05):
    """Fingernail taps on a resonant surface.

    Recipe: taps every ``1 / tap_rate`` seconds with Gaussian timing jitter
    of ``jitter`` periods and a random accent 0.7-1.  The surface is a set of
    damped modes drawn once per render: 'wood' six modes 200-1500 Hz
    decaying with time constants of 8-35 ms, 'plastic' six modes 800-4000 Hz
    at 12-45 ms, 'glass' five modes 1.8-7.5 kHz at 60-200 ms (lower modes
    decay more slowly).  Each tap drives every mode with an impulse weighted
    by the mode's strength times a per-tap factor 0.4-1 (the nail lands in
    a slightly different place), and adds the nail's contact click, a 1.5 ms
    differentiated noise burst decaying in 0.25 ms.  High crest factor.

    Parameters
    ----------
    duration : float
        Seconds, >= 0.
    sample_rate : int
        Hz, 8000-384000.  Modes above 0.45 ``sample_rate`` are left out.
    seed : int, optional
        Seed of the random stream; equal seeds give equal output.
    tap_rate : float, optional
        Taps per second, 0.5-16 (default 4).
    surface : {'wood', 'plastic', 'glass'}, optional
        Material of the surface (default 'wood').
    jitter : float, optional
        Timing jitter, standard deviation in tap periods, 0-0.3 (default
        0.05); clipped at 0.4 periods so that taps keep their order.

    Returns
    -------
    audio : ndarray, shape (round(duration * sample_rate),)
        float64, peak 0.5.

    Raises
    ------
    GeneratorError
        If an argument is out of range (all problems listed at once).
    """
    n, fs, rng = prepare(duration, sample_rate, seed, TAPPING_PARAMS, tap_rate=tap_rate,
                         surface=surface, jitter=jitter)
    if n == 0:
        return np.zeros(0)
    (f_lo, f_hi), (tau_lo, tau_hi), count, click_gain = _SURFACES[surface]
    freqs = np.sort(np.exp(rng.uniform(np.log(f_lo), np.log(f_hi), count)))
    decays = np.sort(np.exp(rng.uniform(np.log(tau_lo), np.log(tau_hi), count)))[::-1]
    strengths = rng.uniform(0.3, 1.0, count)

    starts = (regular_times(rng, duration, tap_rate, jitter) * fs).astype(np.int64)
    starts = starts[starts < n]
    accents = rng.uniform(0.7, 1.0, len(starts))
    weights = accents[:, None] * strengths * rng.uniform(0.4, 1.0, (len(starts), count))
    out = modal_bank(n, starts, weights, freqs, decays, fs)
    length, decay = _NAIL_CLICK
    clicks = decaying_noise_grains(rng, len(starts), round(length * fs), decay, fs)
    out += overlap_add(n, starts, clicks * (click_gain * weights.sum(axis=1))[:, None])
    return finish(out, fs)


def scissors(duration, sample_rate, *, seed=0, snip_rate=1.0, scrape_length=0.12,
             ring_time=0.035):
    """Scissors cutting: a sliding blade scrape, then a metallic snip.

    Recipe: snips every ``1 / snip_rate`` seconds (10 % timing jitter,
    accent 0.75-1).  The blades are five inharmonic modes drawn once per
    render, log-uniform in 2-9 kHz, with decay time constants of
    ``ring_time`` times 0.6-1.4.  A snip strikes them twice, as the blades
    meet near the pivot and then at the tips 3-12 ms later (at 40 % of the
    strength), with per-snip mode weights 0.5-1, and starts with the
    blades' grinding contact, a 15 ms differentiated noise burst decaying in
    3 ms.  Before each snip the blades slide for ``scrape_length``
    (+-20 %): noise in 2.5-8 kHz rising as the square of time towards the
    snip, made rough by a smooth random 300 Hz flutter (stick-slip), peaking
    in RMS about 15 dB below the snip's first 20 ms.  Centroid above 2 kHz,
    high crest factor.

    Parameters
    ----------
    duration : float
        Seconds, >= 0.
    sample_rate : int
        Hz, 8000-384000.  Modes above 0.45 ``sample_rate`` are left out.
    seed : int, optional
        Seed of the random stream; equal seeds give equal output.
    snip_rate : float, optional
        Snips per second, 0.1-6 (default 1).
    scrape_length : float, optional
        Seconds of scrape before each snip, 0-0.5 (default 0.12); 0 leaves
        bare snips.
    ring_time : float, optional
        Decay time constant of the blade ring in seconds, 0.01-0.15 (default
        0.035); the ring is audible for about five times this.

    Returns
    -------
    audio : ndarray, shape (round(duration * sample_rate),)
        float64, peak 0.5.

    Raises
    ------
    GeneratorError
        If an argument is out of range (all problems listed at once).
    """
    n, fs, rng = prepare(duration, sample_rate, seed, SCISSORS_PARAMS, snip_rate=snip_rate,
                         scrape_length=scrape_length, ring_time=ring_time)
    if n == 0:
        return np.zeros(0)
    lo, hi = _BLADE_BAND
    freqs = np.sort(np.exp(rng.uniform(np.log(lo), np.log(hi), _BLADE_MODES)))
    decays = ring_time * rng.uniform(0.6, 1.4, _BLADE_MODES)
    strengths = rng.uniform(0.4, 1.0, _BLADE_MODES)

    starts = (regular_times(rng, duration, snip_rate, 0.1) * fs).astype(np.int64)
    starts = starts[starts < n]
    count = len(starts)
    accents = rng.uniform(0.75, 1.0, count)
    weights = accents[:, None] * strengths * rng.uniform(0.5, 1.0, (count, _BLADE_MODES))
    tips = starts + (rng.uniform(0.003, 0.012, count) * fs).astype(np.int64)
    strikes = np.concatenate([starts, tips])
    strike_weights = np.concatenate([weights, 0.4 * weights])
    inside = strikes < n
    out = modal_bank(n, strikes[inside], strike_weights[inside], freqs, decays, fs)
    length, decay = _BLADE_CONTACT
    clicks = decaying_noise_grains(rng, count, round(length * fs), decay, fs)
    out += overlap_add(n, starts, clicks * (0.5 * weights.sum(axis=1))[:, None])

    if scrape_length > 0:
        level = np.zeros(n)
        for snip, accent in zip(starts, accents, strict=True):
            length = round(scrape_length * rng.uniform(0.8, 1.2) * fs)
            if length < 2:
                continue
            shape = np.linspace(0.0, 1.0, length) ** 2 * raised_cosine_window(
                length, int(0.2 * length), 0)
            begin = snip - length
            add_segment(level, max(begin, 0), accent * shape[max(-begin, 0):])
        rasp = 0.5 + 0.5 * smooth_random(rng, n, 300.0, fs)
        out += 0.5 * level * rasp * band_noise(rng, n, 2500.0, 8000.0, fs)
    return finish(out, fs)
