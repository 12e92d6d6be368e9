"""Crackling sheets: crumpled paper, and a parcel being unsealed and opened.

A crumpled sheet releases its stress in sudden buckling events, each a
click whose ring depends on the size of the facet that snapped; the events
come in bursts (one crease gives way, its neighbours follow).  Peeling tape
is a stick-slip process: the adhesive holds, tears free, holds again, many
times a second, which is heard as a rasp.
"""

import math

import numpy as np

from ._common import (
    TOP,
    Param,
    finish,
    prepare,
)
from ._dsp import (
    add_clicks,
    add_segment,
    band_noise,
    poisson_times,
    raised_cosine_window,
    smooth_random,
)

PAPER_CRINKLE_PARAMS = {
    "density": Param(150.0, "clicks/s", (5.0, 1000.0), "mean crackle clicks per second"),
    "cluster_size": Param(6.0, "clicks", (1.0, 40.0),
                          "mean clicks per cluster (one buckling burst)"),
    "cluster_spread": Param(0.03, "s", (0.002, 0.3),
                            "mean delay of a cluster's clicks after its start"),
}

PACKAGE_OPEN_PARAMS = {
    "cycle": Param(5.0, "s", (3.0, 60.0), "time from one tape pull to the next"),
    "peel_rate": Param(180.0, "Hz", (40.0, 600.0),
                       "stick-slip rate of the tape peel at full speed"),
    "rustle_density": Param(3.0, "bursts/s", (0.5, 12.0),
                            "cardboard rustle bursts per second after each pull"),
}

# Click energies follow a power law in crumpling sheets (Houle & Sethna,
# Phys. Rev. E 54, 1996): Pareto with this exponent, amplitudes capped so
# that one rare huge click does not push the rest down at normalisation.
_ENERGY_EXPONENT = 1.4
_MAX_AMPLITUDE = 5.0


def paper_crinkle(duration, sample_rate, *, seed=0, density=150.0, cluster_size=6.0,
                  cluster_spread=0.03):
    """Crinkling paper: bursts of sharp resonant clicks.

    Recipe: a Poisson cluster process.  Cluster starts are a Poisson stream
    thinned by a slow "squeezing gesture" curve (smooth random, 0.7 Hz,
    0.15-1), at a rate that gives ``density`` clicks per second on average;
    each cluster has 1 + Poisson(``cluster_size`` - 1) clicks, delayed from
    its start by exponential times of mean ``cluster_spread``.  A click is an
    impulse through a short resonance: a damped sinusoid at a log-uniform
    frequency 1-10 kHz with Q 2-8 (0.06-2.5 ms time constant), random phase,
    and an amplitude from a power-law (Pareto) energy distribution capped at
    14 dB above the smallest.  A faint sliding rustle (1.5-8 kHz noise)
    follows the gesture.  High crest factor, centroid about 3 kHz.

    Parameters
    ----------
    duration : float
        Seconds, >= 0.
    sample_rate : int
        Hz, 8000-384000.  Resonances are kept below 0.45 ``sample_rate``.
    seed : int, optional
        Seed of the random stream; equal seeds give equal output.
    density : float, optional
        Mean clicks per second, 5-1000 (default 150).
    cluster_size : float, optional
        Mean clicks per cluster, 1-40 (default 6).
    cluster_spread : float, optional
        Mean delay of a cluster's clicks in seconds, 0.002-0.3 (default 0.03).

    Returns
    -------
    audio : ndarray, shape (round(duration * sample_rate),)
        float64, peak 0.5.

    Raises
    ------
    GeneratorError
        If an argument is out of range (all problems listed at once).
    """
    n, fs, rng = prepare(duration, sample_rate, seed, PAPER_CRINKLE_PARAMS, density=density,
                         cluster_size=cluster_size, cluster_spread=cluster_spread)
    if n == 0:
        return np.zeros(0)
    gesture = 0.15 + 0.85 * smooth_random(rng, n, 0.7, fs)
    # Thinning a Poisson stream of rate lambda by g(t) <= 1 leaves rate
    # lambda g(t); dividing by the mean of g keeps the average at density.
    cluster_rate = density / cluster_size / (gesture.mean() if n else 1.0)
    candidates = (poisson_times(rng, duration, cluster_rate) * fs).astype(np.int64)
    candidates = candidates[candidates < n]
    centres = candidates[rng.random(len(candidates)) < gesture[candidates]]
    counts = 1 + rng.poisson(cluster_size - 1.0, len(centres))
    delays = rng.exponential(cluster_spread * fs, counts.sum())
    starts = np.repeat(centres, counts) + delays.astype(np.int64)
    starts = starts[starts < n]

    energies = 1.0 + rng.pareto(_ENERGY_EXPONENT, len(starts))
    amps = np.minimum(np.sqrt(energies), _MAX_AMPLITUDE) * np.sqrt(gesture[starts])
    freqs = np.minimum(np.exp(rng.uniform(np.log(1000.0), np.log(10000.0), len(starts))),
                       TOP * fs)
    out = 0.05 * gesture ** 2 * band_noise(rng, n, 1500.0, 8000.0, fs)
    add_clicks(out, starts, freqs, rng.uniform(2.0, 8.0, len(starts)), amps, rng, fs)
    return finish(out, fs)


def package_open(duration, sample_rate, *, seed=0, cycle=5.0, peel_rate=180.0,
                 rustle_density=3.0):
    """Opening a parcel: a rasping tape pull, then cardboard rustling, per cycle.

    Recipe, repeated every ``cycle`` seconds: after 0.05-0.3 s, a tape pull of
    1-2 s (at most 0.45 ``cycle``).  The peel is stick-slip: slips follow each
    other at ``peel_rate`` times a speed that rises from 60 % to full over
    the first 40 % of the pull and wobbles +-15 % (smooth random, 8 Hz); each
    slip is an impulse (log-normal size) that decays with a time constant of
    a quarter of the full-speed slip period, and this pulse train modulates
    noise in 0.5-7 kHz, giving a buzzing rasp.  The pull starts in 25 ms,
    grows louder as it speeds up, and stops in 15 ms as the tape comes free.
    Then, from 0.1-0.35 s later until 0.2 s before the next cycle, cardboard
    rustles: Poisson bursts at ``rustle_density`` per second (at least one),
    each 0.08-0.45 s of noise in a random band within 200 Hz - 3 kHz with a
    rough 40 Hz flutter, peaking 3-12 dB below the tape's level, with a few
    low crease clicks (damped sinusoids 300-2000 Hz, about 20 per second of
    rustle).

    Parameters
    ----------
    duration : float
        Seconds, >= 0.
    sample_rate : int
        Hz, 8000-384000.  Bands above 0.45 ``sample_rate`` are left out.
    seed : int, optional
        Seed of the random stream; equal seeds give equal output.
    cycle : float, optional
        Seconds from one tape pull to the next, 3-60 (default 5).
    peel_rate : float, optional
        Stick-slip rate of the peel at full speed, Hz, 40-600 (default 180).
    rustle_density : float, optional
        Rustle bursts per second, 0.5-12 (default 3).

    Returns
    -------
    audio : ndarray, shape (round(duration * sample_rate),)
        float64, peak 0.5.

    Raises
    ------
    GeneratorError
        If an argument is out of range (all problems listed at once).
    """
    n, fs, rng = prepare(duration, sample_rate, seed, PACKAGE_OPEN_PARAMS, cycle=cycle,
                         peel_rate=peel_rate, rustle_density=rustle_density)
    if n == 0:
        return np.zeros(0)
    out = np.zeros(n)
    click_starts = []
    for k in range(math.ceil(duration / cycle)):
        tape_start = k * cycle + rng.uniform(0.05, 0.3)
        tape_length = min(rng.uniform(1.0, 2.0), 0.45 * cycle)
        _tape_pull(out, rng, round(tape_start * fs), round(tape_length * fs), peel_rate, fs)
        rustle_start = tape_start + tape_length + rng.uniform(0.1, 0.35)
        click_starts.append(_rustle(out, rng, rustle_start, (k + 1) * cycle - 0.2,
                                    rustle_density, fs))
    starts = np.concatenate(click_starts) if click_starts else np.zeros(0, np.int64)
    starts = starts[starts < n]
    add_clicks(out, starts, np.exp(rng.uniform(np.log(300.0), np.log(2000.0), len(starts))),
               rng.uniform(3.0, 8.0, len(starts)), rng.uniform(0.05, 0.2, len(starts)), rng, fs)
    return finish(out, fs)


def _tape_pull(out, rng, start, length, peel_rate, fs):
    """Add one tape pull of ``length`` samples at sample ``start``."""
    from ..dsp.iir import lfilter2  # here: numba loads at import
    if length < 2 or start >= len(out):
        return
    progress = np.minimum(np.arange(length) / (0.4 * length), 1.0)
    speed = (0.6 + 0.4 * progress) * (0.85 + 0.3 * smooth_random(rng, length, 8.0, fs))
    # slips happen where the accumulated slip phase crosses an integer
    phase = np.cumsum(peel_rate * speed) / fs + rng.random()
    slips = np.searchsorted(phase, np.arange(math.ceil(phase[0]), math.floor(phase[-1]) + 1))
    impulses = np.bincount(slips, weights=rng.lognormal(0.0, 0.4, len(slips)),
                           minlength=length)[:length]
    pole = math.exp(-1.0 / (0.25 / peel_rate * fs))
    pulses = lfilter2([1.0], [1.0, -pole], impulses)
    window = raised_cosine_window(length, round(0.025 * fs), round(0.015 * fs))
    level = window * (0.7 + 0.3 * progress)
    add_segment(out, start, level * (0.3 + pulses) * band_noise(rng, length, 500.0, 7000.0, fs))


def _rustle(out, rng, begin, end, density, fs):
    """Add cardboard rustle bursts between ``begin`` and ``end`` seconds.

    Returns
    -------
    click_starts : ndarray of int
        Samples of the crease clicks that go with the bursts.
    """
    span = end - begin - 0.05
    if span <= 0:
        return np.zeros(0, np.int64)
    onsets = np.sort(begin + span * rng.random(max(1, rng.poisson(density * span))))
    clicks = []
    for onset in onsets:
        length = round(rng.uniform(0.08, 0.45) * fs)
        start = round(onset * fs)
        lo = math.exp(rng.uniform(math.log(200.0), math.log(500.0)))
        hi = math.exp(rng.uniform(math.log(1200.0), math.log(3000.0)))
        flutter = 0.6 + 0.4 * smooth_random(rng, length, 40.0, fs)
        window = raised_cosine_window(length, int(rng.uniform(0.2, 0.4) * length),
                                      int(0.5 * length))
        burst = band_noise(rng, length, lo, hi, fs)
        add_segment(out, start, rng.uniform(0.5, 1.0) * window * flutter * burst)
        clicks.append(start + (rng.random(rng.poisson(20.0 * length / fs)) * length)
                      .astype(np.int64))
    return np.concatenate(clicks)
