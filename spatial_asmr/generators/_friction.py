"""Friction sounds: a brush drawn through hair, skin or fabric being rubbed.

Sliding contact makes broadband noise whose level follows the speed and
pressure of the motion; stiff contacts (bristles) add a stream of tiny
stick-slip ticks, soft ones (skin, fabric) are smooth and dull.
"""

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
    regular_times,
    smooth_random,
    white,
)

HAIR_BRUSH_PARAMS = {
    "stroke_rate": Param(1.5, "strokes/s", (0.1, 8.0), "brush strokes per second"),
    "stroke_length": Param(0.45, "s", (0.05, 3.0), "duration of one stroke"),
    "bristle_density": Param(800.0, "ticks/s", (0.0, 5000.0),
                             "bristle ticks per second at full stroke pressure"),
}

TOUCH_PARAMS = {
    "rub_rate": Param(1.2, "Hz", (0.1, 5.0), "rubbing strokes per second"),
    "cutoff": Param(800.0, "Hz", (200.0, 2000.0), "low-pass corner of the rubbing noise"),
    "depth": Param(0.8, "", (0.0, 1.0), "depth of the stroke-by-stroke level modulation"),
}


def hair_brush(duration, sample_rate, *, seed=0, stroke_rate=1.5, stroke_length=0.45,
               bristle_density=800.0):
    """Brush strokes through hair: bristle swish with a crackle of bristle ticks.

    Recipe: strokes start every ``1 / stroke_rate`` seconds (12 % timing
    jitter), each ``stroke_length`` (+-15 %) long with a random pressure
    0.6-1.  A stroke's envelope rises over its first 20 % and falls over its
    last 40 % (raised cosine).  The swish is noise in two bands, 1-3.5 kHz and
    3-8.5 kHz, cross-faded across the stroke in a random direction (the
    brush nears or leaves the ear), with an uneven-pressure flutter (smooth
    random level, 15 Hz).  The ticks are a Poisson stream at
    ``bristle_density`` per second, thinned by the stroke envelope: each a
    damped sinusoid 2.5-10 kHz with Q 1.5-4 (0.05-0.5 ms), its amplitude
    gamma-distributed (shape 2, mean 1, capped at 3) times the pressure.
    Spectral centroid about 5 kHz.

    Parameters
    ----------
    duration : float
        Seconds, >= 0.
    sample_rate : int
        Hz, 8000-384000.  Bands above 0.45 ``sample_rate`` are left out.
    seed : int, optional
        Seed of the random stream; equal seeds give equal output.
    stroke_rate : float, optional
        Strokes per second, 0.1-8 (default 1.5).  Strokes longer than the
        period overlap.
    stroke_length : float, optional
        Seconds per stroke, 0.05-3 (default 0.45).
    bristle_density : float, optional
        Bristle ticks per second at full pressure, 0-5000 (default 800).

    Returns
    -------
    audio : ndarray, shape (round(duration * sample_rate),)
        float64, peak 0.5.

    Raises
    ------
    GeneratorError
        If an argument is out of range (all problems listed at once).
    """
    n, fs, rng = prepare(duration, sample_rate, seed, HAIR_BRUSH_PARAMS,
                         stroke_rate=stroke_rate, stroke_length=stroke_length,
                         bristle_density=bristle_density)
    if n == 0:
        return np.zeros(0)
    pressure = np.zeros(n)
    dull = np.zeros(n)
    bright = np.zeros(n)
    for onset in regular_times(rng, duration, stroke_rate, 0.12):
        length = max(round(stroke_length * rng.uniform(0.85, 1.15) * fs), 2)
        start = round(onset * fs)
        shape = rng.uniform(0.6, 1.0) * raised_cosine_window(
            length, int(0.2 * length), int(0.4 * length))
        # constant-power cross-fade between the bands, 30 % of either always left
        sweep = np.linspace(0.0, 1.0, length)
        if rng.random() < 0.5:
            sweep = sweep[::-1]
        add_segment(pressure, start, shape)
        add_segment(dull, start, shape * np.sqrt(1.0 - 0.7 * sweep))
        add_segment(bright, start, shape * np.sqrt(0.3 + 0.7 * sweep))
    flutter = 0.75 + 0.5 * smooth_random(rng, n, 15.0, fs)
    out = flutter * (dull * band_noise(rng, n, 1000.0, 3500.0, fs)
                     + bright * band_noise(rng, n, 3000.0, 8500.0, fs))

    candidates = (poisson_times(rng, duration, bristle_density) * fs).astype(np.int64)
    candidates = candidates[candidates < n]
    accept = rng.random(len(candidates)) < np.minimum(pressure[candidates], 1.0)
    ticks = candidates[accept]
    amps = pressure[ticks] * np.minimum(rng.gamma(2.0, 0.5, len(ticks)), 3.0)
    freqs = np.exp(rng.uniform(np.log(2500.0), np.log(10000.0), len(ticks)))
    freqs = np.minimum(freqs, TOP * fs)
    add_clicks(out, ticks, freqs, rng.uniform(1.5, 4.0, len(ticks)), amps, rng, fs)
    return finish(out, fs)


def touch(duration, sample_rate, *, seed=0, rub_rate=1.2, cutoff=800.0, depth=0.8):
    """Soft rubbing of skin or fabric: dull noise swelling with each stroke.

    Recipe: white noise through a 3rd-order Butterworth low-pass at
    ``cutoff`` and a 2nd-order high-pass at 40 Hz (no rumble), with a faint
    brighter layer (``cutoff`` to 2.5 ``cutoff``, first order) that grows with
    the rubbing speed.  The level follows ``(1 - depth) + depth * sin^2(pi
    phi(t))``, one smooth swell per stroke, where the stroke phase ``phi``
    advances at ``rub_rate`` with a slow +-15 % tempo drift, times a smooth
    random pressure 0.7-1 changing once per stroke.  Every level change is
    smooth (no transients).  The spectral centroid is about 0.7-0.8
    ``cutoff`` (1.1 ``cutoff`` at 200 Hz, where the brighter layer counts more).

    Parameters
    ----------
    duration : float
        Seconds, >= 0.
    sample_rate : int
        Hz, 8000-384000.
    seed : int, optional
        Seed of the random stream; equal seeds give equal output.
    rub_rate : float, optional
        Rubbing strokes per second, Hz, 0.1-5 (default 1.2).
    cutoff : float, optional
        Low-pass corner in Hz, 200-2000 (default 800).
    depth : float, optional
        Modulation depth 0-1 (default 0.8); 0 is a steady rub.

    Returns
    -------
    audio : ndarray, shape (round(duration * sample_rate),)
        float64, peak 0.5.

    Raises
    ------
    GeneratorError
        If an argument is out of range (all problems listed at once).
    """
    from ..dsp.iir import butter_sos, sosfilt  # here: numba loads at import
    n, fs, rng = prepare(duration, sample_rate, seed, TOUCH_PARAMS,
                         rub_rate=rub_rate, cutoff=cutoff, depth=depth)
    if n == 0:
        return np.zeros(0)
    tempo = 1.0 + 0.15 * (2.0 * smooth_random(rng, n, 0.3, fs) - 1.0)
    phase = np.cumsum(rub_rate * tempo) / fs + rng.random()
    speed = np.sin(np.pi * phase) ** 2
    pressure = 0.7 + 0.3 * smooth_random(rng, n, rub_rate, fs)
    level = pressure * ((1.0 - depth) + depth * speed)
    sos = np.concatenate([
        butter_sos(3, min(cutoff, TOP * fs), "lowpass", fs),
        butter_sos(2, 40.0, "highpass", fs),
    ])
    body = sosfilt(sos, white(rng, n, fs))
    sheen = band_noise(rng, n, cutoff, 2.5 * cutoff, fs, order=1)
    return finish(level * (body + 0.25 * speed * sheen), fs)
