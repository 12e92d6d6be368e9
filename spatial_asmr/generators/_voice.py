"""Whispered speech: formant-shaped noise in syllables and phrases.

A whisper is speech without voicing: turbulent noise at the narrowed glottis
(aspiration) excites the vocal tract, whose resonances (formants) shape it
into vowels, and noise at constrictions higher up makes the fricatives and
bursts of consonants.  The generator follows that source-filter picture.
"""

import numpy as np

from ._common import (
    TOP,
    Param,
    finish,
    prepare,
)
from ._dsp import (
    add_segment,
    band_sos,
    formant_coefficients,
    raised_cosine_window,
    white,
)

WHISPER_PARAMS = {
    "syllable_rate": Param(4.0, "Hz", (1.0, 10.0), "syllables per second within a phrase"),
    "phrase_length": Param(6.0, "syllables", (1.0, 30.0),
                           "mean number of syllables per phrase"),
    "pause": Param(0.6, "s", (0.0, 5.0), "mean pause between phrases"),
    "sibilance": Param(0.35, "", (0.0, 1.0),
                       "how often and how loudly 's' and 'sh' sounds occur"),
}

# F1..F4 of whispered vowels, Hz.  Starting point: the means of men's and
# women's voiced vowels of Peterson & Barney (1952); whispering raises F1 by
# roughly 100-150 Hz (most for close vowels) and F2 by several per cent, as
# the open glottis shortens the effective tract, so those shifts are applied.
_VOWELS = np.array([
    [430.0, 2650.0, 3200.0, 4000.0],  # /i/ "see"
    [680.0, 2200.0, 2800.0, 3900.0],  # /e/ "bed"
    [860.0, 1980.0, 2700.0, 3900.0],  # /ae/ "cat"
    [900.0, 1250.0, 2700.0, 3800.0],  # /a/ "father"
    [700.0, 960.0, 2650.0, 3700.0],   # /o/ "law"
    [460.0, 1000.0, 2550.0, 3700.0],  # /u/ "boot"
    [800.0, 1400.0, 2650.0, 3800.0],  # /uh/ "but"
])
# Whispered formants are damped by the open glottis: bandwidths a few times
# those of voiced speech (voiced B1 is ~60-90 Hz).
_BANDWIDTHS = np.array([200.0, 240.0, 320.0, 420.0])
# Aspiration noise has no -12 dB/octave glottal tilt, so the upper formants
# stay strong; with these gains the long-term centroid lies near 3.6 kHz.
_GAINS = np.array([0.6, 0.8, 1.0, 0.7])

# Onset consonants: (name, weight, weight per unit of sibilance).  "h" is a
# breathy vowel onset, "t"/"k" are bursts, the rest are fricatives.
_ONSETS = (("", 1.0, 0.0), ("h", 0.6, 0.0), ("f", 0.5, 0.0), ("t", 0.6, 0.0),
           ("k", 0.5, 0.0), ("s", 0.0, 1.6), ("sh", 0.0, 1.0))
# Noise bands of the consonants in Hz and their amplitude relative to a vowel:
# /s/ has its energy above ~4.5 kHz, /sh/ from ~2 kHz, /f/ is weak and flat;
# the /t/ burst is high, the /k/ burst mid (its place is the velum).
_FRICATIVES = {"s": (4500.0, 9500.0, 0.6), "sh": (2000.0, 5500.0, 0.6),
               "f": (1200.0, 9000.0, 0.25)}
_BURSTS = {"t": (3000.0, 7500.0, 0.8), "k": (1500.0, 3500.0, 0.8)}
_BREATH = (1500.0, 7000.0, 0.15)  # broadband aspiration riding on every vowel
_INHALE = (500.0, 5000.0, 0.05)


def whisper(duration, sample_rate, *, seed=0, syllable_rate=4.0, phrase_length=6.0,
            pause=0.6, sibilance=0.35):
    """Breathy whispered speech: formant-shaped noise in syllables and phrases.

    Recipe: phrases of about ``phrase_length`` syllables (1 + Poisson) follow
    each other with pauses of ``pause * U(0.6, 1.4)`` seconds, often with a
    soft inhale.  Syllables start every ``1 / syllable_rate`` seconds (8 %
    timing jitter) and last 75-95 % of that period, so a phrase flows with dips between
    syllables rather than gaps.  A syllable is an
    optional onset consonant (an 's' or 'sh' fricative, more often and
    louder with ``sibilance``; an 'f'; a 't' or 'k' burst; a breathy 'h')
    followed by a vowel: white noise through four parallel formant
    band-passes F1..F4 of one of seven whispered vowels (each formant
    moved by up to 5 %, bandwidths 200-420 Hz), plus faint broadband
    aspiration in 1.5-7 kHz, under a raised-cosine syllable envelope with
    random stress.  Phrase-final syllables are softer and may end in an 's'.
    The long-term spectral centroid is about 3.5-4 kHz (4.3 kHz at full
    ``sibilance``).

    Parameters
    ----------
    duration : float
        Seconds, >= 0.
    sample_rate : int
        Hz, 8000-384000.  Bands above 0.45 ``sample_rate`` are left out.
    seed : int, optional
        Seed of the random stream; equal seeds give equal output.
    syllable_rate : float, optional
        Syllables per second within a phrase, Hz, 1-10 (default 4).
    phrase_length : float, optional
        Mean syllables per phrase, 1-30 (default 6).
    pause : float, optional
        Mean pause between phrases, seconds, 0-5 (default 0.6).
    sibilance : float, optional
        0-1 (default 0.35): probability weight and level of 's' and 'sh'.

    Returns
    -------
    audio : ndarray, shape (round(duration * sample_rate),)
        float64, peak 0.5.

    Raises
    ------
    GeneratorError
        If an argument is out of range (all problems listed at once).
    """
    n, fs, rng = prepare(duration, sample_rate, seed, WHISPER_PARAMS,
                         syllable_rate=syllable_rate, phrase_length=phrase_length,
                         pause=pause, sibilance=sibilance)
    if n == 0:
        return np.zeros(0)
    out = np.zeros(n)
    period = 1.0 / syllable_rate
    onset_weights = np.array([w + s * sibilance for _, w, s in _ONSETS])
    onset_weights /= onset_weights.sum()
    t = rng.uniform(0.05, 0.3)
    while t < duration:
        count = 1 + rng.poisson(phrase_length - 1)
        for i in range(count):
            if t >= duration:
                break
            final = i == count - 1
            stress = rng.uniform(0.6, 1.0) * (0.7 if final and count > 1 else 1.0)
            onset = _ONSETS[rng.choice(len(_ONSETS), p=onset_weights)][0]
            coda = final and rng.random() < 0.5 * sibilance
            _syllable(out, rng, round(t * fs), period, fs, stress, onset, coda, sibilance)
            t += period * np.clip(1 + 0.08 * rng.standard_normal(), 0.8, 1.25)
        gap = pause * rng.uniform(0.6, 1.4)
        if gap > 0.4 and rng.random() < 0.7:
            length = min(0.55, 0.6 * gap)
            _noise_segment(out, rng, round((t + 0.2 * gap) * fs), round(length * fs), fs,
                           *_INHALE, attack=0.65, release=0.35)
        t += gap
    return finish(out, fs)


def _noise_segment(out, rng, start, length, fs, lo, hi, gain, attack, release, order=2):
    """Add band-passed noise under a raised-cosine window (a fricative or breath)."""
    from ..dsp.iir import sosfilt  # here: numba loads at import
    if length < 2 or start >= len(out):
        return
    noise = sosfilt(band_sos(lo, hi, fs, order), white(rng, length, fs))
    window = raised_cosine_window(length, int(attack * length), int(release * length))
    add_segment(out, start, gain * noise * window)


def _syllable(out, rng, start, period, fs, stress, onset, coda, sibilance):
    """Add one syllable: onset consonant, formant-filtered vowel, optional final 's'."""
    from ..dsp.iir import lfilter2, sosfilt  # here: numba loads at import
    length = round(period * rng.uniform(0.75, 0.95) * fs)
    vowel_start = start
    attack = 0.3
    sibilant_gain = 0.4 + 0.6 * sibilance
    if onset in _FRICATIVES:
        lo, hi, gain = _FRICATIVES[onset]
        if onset != "f":
            gain *= sibilant_gain
        c_length = round(length * rng.uniform(0.3, 0.45))
        _noise_segment(out, rng, start, c_length, fs, lo, hi, gain * stress,
                       attack=0.35, release=0.4, order=1 if onset == "f" else 2)
        vowel_start = start + round(0.75 * c_length)
    elif onset in _BURSTS:
        lo, hi, gain = _BURSTS[onset]
        c_length = round(rng.uniform(0.012, 0.025) * fs)
        if c_length >= 2 and start < len(out):
            burst = sosfilt(band_sos(lo, hi, fs), white(rng, c_length, fs))
            burst *= np.exp(-np.arange(c_length) / (0.006 * fs))
            add_segment(out, start, gain * stress * burst)
        vowel_start = start + c_length + round(rng.uniform(0.01, 0.03) * fs)
    elif onset == "h":
        attack = 0.5
    vowel_length = max(length - (vowel_start - start), round(0.4 * length))
    if vowel_length < 2 or vowel_start >= len(out):
        return

    vowel = _VOWELS[rng.integers(len(_VOWELS))] * rng.uniform(0.95, 1.05, 4)
    bandwidths = _BANDWIDTHS * rng.uniform(0.9, 1.2, 4)
    gains = _GAINS * 10 ** (rng.uniform(-2.0, 2.0, 4) / 20)
    noise = white(rng, vowel_length, fs)
    nucleus = np.zeros(vowel_length)
    for freq, bandwidth, gain in zip(vowel, bandwidths, gains, strict=True):
        if freq < TOP * fs:
            b, a = formant_coefficients(freq, bandwidth, fs)
            nucleus += gain * lfilter2(b, a, noise)
    lo, hi, gain = _BREATH
    nucleus += gain * sosfilt(band_sos(lo, hi, fs), white(rng, vowel_length, fs))
    window = raised_cosine_window(vowel_length, int(attack * vowel_length),
                                  int(0.45 * vowel_length))
    # the level sags over the syllable as the breath runs out
    window *= np.linspace(1.0, 0.75, vowel_length)
    add_segment(out, vowel_start, stress * nucleus * window)

    if coda:
        lo, hi, gain = _FRICATIVES["s"]
        c_length = round(rng.uniform(0.1, 0.18) * fs)
        _noise_segment(out, rng, vowel_start + round(0.8 * vowel_length), c_length, fs, lo, hi,
                       0.75 * gain * sibilant_gain * stress, attack=0.3, release=0.6)
