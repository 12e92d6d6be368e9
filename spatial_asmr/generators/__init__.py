"""Procedural ASMR trigger sounds.

Every generator is a function::

    audio = name(duration, sample_rate, *, seed=0, **params)

returning a mono ``float64`` array of ``round(duration * sample_rate)``
samples with its peak at 0.5 (-6 dBFS).  The output is a pure function of
the arguments: all randomness comes from ``numpy.random.default_rng(seed)``.

Generators
----------
whisper
    Breathy whispered speech: formant-shaped noise in syllables and phrases.
hair_brush
    Brush strokes through hair: bristle swish with a crackle of bristle ticks.
scissors
    Scissors cutting: a sliding blade scrape, then a metallic snip.
paper_crinkle
    Crinkling paper: bursts of sharp resonant clicks.
package_open
    Opening a parcel: a rasping tape pull, then cardboard rustling, per cycle.
tapping
    Fingernail taps on a resonant surface.
touch
    Soft rubbing of skin or fabric: dull noise swelling with each stroke.

Registry
--------
:data:`GENERATORS` maps each name to a :class:`Generator`, which holds the
function, a one-line description and the parameter table, a dict of
:class:`Param` tuples ``(default, unit, allowed, description)``, where
``allowed`` is an inclusive ``(lo, hi)`` for numbers and a tuple of strings
for choices.  :func:`generate` looks a generator up by name and checks the
parameter names as well as their values.  Scene validators can call
:meth:`Generator.parameter_problems` to collect the problems, as data,
without raising.

Streaming
---------
:func:`generate_chunks` yields the same sound in consecutive chunks with
bounded memory: up to :func:`segment_samples` (10 s at 48 kHz) it is exactly
:func:`generate`; longer sounds are a chain of independently seeded
segments joined by :data:`CROSSFADE_SECONDS` equal-power crossfades.
"""

__all__ = [
    "GENERATORS",
    "Generator",
    "GeneratorError",
    "Param",
    "generate",
    "generate_chunks",
    "SEGMENT_SECONDS",
    "segment_samples",
    "CROSSFADE_SECONDS",
    "whisper",
    "hair_brush",
    "scissors",
    "paper_crinkle",
    "package_open",
    "tapping",
    "touch",
]

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from ..checks import Problem
from ._common import GeneratorError, Param, base_problems, rate_problem
from ._crackle import PACKAGE_OPEN_PARAMS, PAPER_CRINKLE_PARAMS, package_open, paper_crinkle
from ._friction import HAIR_BRUSH_PARAMS, TOUCH_PARAMS, hair_brush, touch
from ._impact import SCISSORS_PARAMS, TAPPING_PARAMS, scissors, tapping
from ._voice import WHISPER_PARAMS, whisper


@dataclass(frozen=True)
class Generator:
    """A registry entry: one trigger generator and what it accepts.

    Attributes
    ----------
    name : str
        Registry key, also the function's name.
    function : callable
        ``function(duration, sample_rate, *, seed=0, **params)`` returning an
        ndarray of shape ``(round(duration * sample_rate),)``.
    description : str
        One line, for listings.
    params : Mapping of str to Param
        Parameter table (read-only), in the order of the function signature.
    """

    name: str
    function: Callable
    description: str
    params: Mapping

    def defaults(self):
        """Default value of every parameter.

        Returns
        -------
        defaults : dict of str to float or str
        """
        return {name: param.default for name, param in self.params.items()}

    def parameter_problems(self, params):
        """Check parameter names and values without raising.

        Parameters
        ----------
        params : Mapping of str to object
            Parameters as a scene would give them (a subset of the table).

        Returns
        -------
        problems : list of Problem
            One per problem: a bad value at the parameter's name (path
            ``(name,)``); an unknown name, or ``params`` not being a
            mapping, with an empty path (``"parameter 'x' is unknown
            ..."``).  Empty if all are valid.
        """
        if not isinstance(params, Mapping):
            return [Problem(("params",), params,
                            "a mapping of parameter names to values")]
        allowed = ", ".join(self.params)
        problems = []
        for name, value in params.items():
            if name not in self.params:
                problems.append(Problem(predicate=(
                    f"parameter {name!r} is unknown but must be one of the {self.name} "
                    f"parameters: {allowed}")))
            elif (problem := self.params[name].problem(name, value)) is not None:
                problems.append(problem)
        return problems

    def problems(self, params):
        """The messages of :meth:`parameter_problems`.

        Returns
        -------
        problems : list of str
            One message per problem, each starting with the parameter name
            (unknown names: ``"parameter 'x' is unknown ..."``).
        """
        return [problem.message for problem in self.parameter_problems(params)]

    def check(self, duration, sample_rate, seed, params):
        """Raise :class:`GeneratorError` listing every invalid argument."""
        problems = base_problems(duration, sample_rate, seed) + self.parameter_problems(params)
        if problems:
            raise GeneratorError(problems)

    def __call__(self, duration, sample_rate, seed=0, **params):
        """Render with all arguments checked first; see :func:`generate`."""
        self.check(duration, sample_rate, seed, params)
        return self.function(duration, sample_rate, seed=seed, **params)


def _entry(function, params):
    summary = function.__doc__.strip().splitlines()[0]
    return Generator(function.__name__, function, summary, MappingProxyType(dict(params)))


GENERATORS = {entry.name: entry for entry in (
    _entry(whisper, WHISPER_PARAMS),
    _entry(hair_brush, HAIR_BRUSH_PARAMS),
    _entry(scissors, SCISSORS_PARAMS),
    _entry(paper_crinkle, PAPER_CRINKLE_PARAMS),
    _entry(package_open, PACKAGE_OPEN_PARAMS),
    _entry(tapping, TAPPING_PARAMS),
    _entry(touch, TOUCH_PARAMS),
)}
"""dict of str to Generator : every generator by name."""


def generate(name, duration, sample_rate, seed=0, **params):
    """Render a trigger sound by generator name.

    Parameters
    ----------
    name : str
        A key of :data:`GENERATORS`.
    duration : float
        Seconds, finite, >= 0 and at most 1e9.
    sample_rate : int
        Hz, an integer in [8000, 384000].
    seed : int, optional
        Non-negative seed of ``numpy.random.default_rng``.
    **params
        Generator parameters; names must be in the generator's table,
        missing ones take their defaults.

    Returns
    -------
    audio : ndarray, shape (round(duration * sample_rate),)
        float64 mono, peak 0.5 (-6 dBFS), all zeros only when empty.

    Raises
    ------
    GeneratorError
        A ``ValueError``: the name is unknown (the message lists the known
        names), or any argument is invalid (every problem listed at once,
        unknown parameter names with the allowed ones).
    """
    return _named(name)(duration, sample_rate, seed=seed, **params)


def _named(name):
    if not isinstance(name, str) or name not in GENERATORS:
        raise GeneratorError(f"generator {name!r} is unknown but must be one of: "
                             f"{', '.join(GENERATORS)}")
    return GENERATORS[name]


SEGMENT_SECONDS = 10.0
"""float : longest sound (s) :func:`generate_chunks` renders in one piece,
at sample rates up to 48 kHz (see :func:`segment_samples`).

A generator renders its whole duration at once in float64 with large
temporaries (about 70 bytes of peak memory per output sample), so one
segment at 48 kHz peaks near 35 MB however long the sound is.
"""


def segment_samples(sample_rate):
    """Longest sound, in samples, that :func:`generate_chunks` renders whole.

    :data:`SEGMENT_SECONDS` at 48 kHz and below; above, the same number of
    samples (10 s at 48 kHz is 5 s at 96 kHz), since a segment's memory is
    set by its samples: it stays near 35 MB at any rate.

    Parameters
    ----------
    sample_rate : int
        Hz.

    Returns
    -------
    int

    Raises
    ------
    GeneratorError
        If ``sample_rate`` is not an integer in [8000, 384000].
    """
    if (problem := rate_problem(sample_rate)) is not None:
        raise GeneratorError(problem)
    return round(SEGMENT_SECONDS * min(int(sample_rate), 48000))

CROSSFADE_SECONDS = 0.05
"""float : length (s) of the equal-power crossfade between two segments.

Long against the 5 ms fade every render gets at both ends (so the join
hides it) and short against a segment.
"""


_MAX_BOOST = 10 ** (3 / 20)  # the most a segment is raised to the first one's level


def _segment_seed(seed, index):
    # Segment 0 keeps the caller's seed, so a sound of one segment is
    # generate()'s; the others get independent, reproducible streams.
    if index == 0:
        return seed
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def generate_chunks(name, duration, sample_rate, seed=0, **params):
    """Render a trigger sound as consecutive chunks, with bounded memory.

    A sound of at most ``segment_samples(sample_rate)`` samples
    comes as one chunk, bit-identical to :func:`generate` with the same
    arguments.  A longer sound of ``n = round(duration * sample_rate)``
    samples is made of ``K`` segments, each rendered by the ordinary
    generator function as a sound of its own: segment 0 with ``seed``
    itself and segment ``k`` with the seed
    ``numpy.random.SeedSequence([seed, k]).generate_state(1)[0]``.  With a
    crossfade of ``X = round(CROSSFADE_SECONDS * sample_rate)`` samples,
    ``K`` is the fewest segments of at most the segment length that cover
    the sound, ``ceil((n - X) / (segment_samples(sample_rate) - X))``, and
    the segments share ``n + (K - 1) X`` samples as evenly as
    possible (the first ones one sample longer), so that no segment is a
    short remnant.  Consecutive segments overlap by ``X`` samples, where
    the earlier one is weighted by ``cos(pi/2 t)`` and the later one by
    ``sin(pi/2 t)``, ``t = (j + 0.5) / X`` (the square roots of a
    raised-cosine fade pair): the segments are statistically independent
    textures, so their powers add and an equal-power pair keeps the level
    through the join, where an equal-amplitude pair would dip by up to
    3 dB.  Each segment comes out of its generator with its peak at 0.5,
    which would make the level of peaky textures (taps, crackle) jump by
    up to 3 dB between segments; so every segment after the first is
    scaled to the first one's RMS level, but raised by at most 3 dB.  The
    peak of a long sound is therefore at most ``0.5 * 10 ** (3 / 20)``
    (0.71, -3 dBFS) outside the crossfades and, in theory, ``sqrt(2)``
    times that inside one (where two peaks would have to coincide).  The
    chunks are a pure function of the arguments, however they are
    consumed.

    Parameters
    ----------
    name : str
        A key of :data:`GENERATORS`.
    duration : float
        Seconds, finite, >= 0 and at most 1e9.
    sample_rate : int
        Hz, an integer in [8000, 384000].
    seed : int, optional
        Non-negative seed.
    **params
        Generator parameters, as for :func:`generate`.

    Returns
    -------
    chunks : iterator of ndarray, each of shape (m,)
        float64 mono chunks whose lengths add up to
        ``round(duration * sample_rate)``; at most one segment each (one
        empty chunk for an empty sound).  Every chunk is a new array the
        caller may modify.

    Raises
    ------
    GeneratorError
        As :func:`generate`, when called (not when the first chunk is
        drawn; nothing is rendered before then).

    Notes
    -----
    Peak memory is that of rendering one segment plus one chunk, instead
    of growing with the duration.
    """
    entry = _named(name)
    entry.check(duration, sample_rate, seed, params)
    sample_rate = int(sample_rate)
    n = round(duration * sample_rate)
    segment = segment_samples(sample_rate)
    if n <= segment:
        return _whole(entry.function, duration, sample_rate, seed, params)
    return _segments(entry.function, n, sample_rate, seed, segment, params)


def _whole(function, duration, sample_rate, seed, params):
    # a generator function, so that nothing is rendered before it is asked for
    yield function(duration, sample_rate, seed=seed, **params)


def _segments(function, n, sample_rate, seed, segment, params):
    overlap = round(CROSSFADE_SECONDS * sample_rate)
    count = -(-(n - overlap) // (segment - overlap))
    # K segments cover n + (K - 1) X samples; K was chosen so that this is at
    # most K * segment, hence no segment exceeds the segment length.
    base, extra = divmod(n + (count - 1) * overlap, count)
    t = (np.arange(overlap) + 0.5) / overlap
    fade_in = np.sin(0.5 * np.pi * t)
    fade_out = np.cos(0.5 * np.pi * t)
    tail = level = None
    for k in range(count):
        length = base + (k < extra)
        # length / sample_rate renders exactly `length` samples, since the
        # generators take round(duration * sample_rate)
        audio = function(length / sample_rate, sample_rate, seed=_segment_seed(seed, k),
                         **params)
        # Each render has its own peak at 0.5, so the level of a peaky texture
        # (one loud tap sets a segment's scale) would jump by up to 3 dB from
        # segment to segment: every later segment takes the RMS of the first,
        # raised by at most _MAX_BOOST so that its peak stays below 0.71.
        rms = np.sqrt(np.dot(audio, audio) / length)
        if level is None:
            level = rms
        elif rms > 0:
            audio *= min(level / rms, _MAX_BOOST)
        if tail is not None:
            audio[:overlap] *= fade_in
            audio[:overlap] += tail * fade_out
        if k == count - 1:
            yield audio
        else:
            tail = audio[-overlap:].copy()
            yield audio[:-overlap]
