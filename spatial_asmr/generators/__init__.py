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
:meth:`Generator.problems` to collect messages without raising.
"""

__all__ = [
    "GENERATORS",
    "Generator",
    "GeneratorError",
    "Param",
    "generate",
    "whisper",
    "hair_brush",
    "scissors",
    "paper_crinkle",
    "package_open",
    "tapping",
    "touch",
]

from collections.abc import Callable as _Callable
from collections.abc import Mapping as _Mapping
from dataclasses import dataclass as _dataclass
from types import MappingProxyType as _MappingProxyType

from ._common import GeneratorError, Param
from ._common import base_problems as _base_problems
from ._crackle import PACKAGE_OPEN_PARAMS as _PACKAGE_OPEN_PARAMS
from ._crackle import PAPER_CRINKLE_PARAMS as _PAPER_CRINKLE_PARAMS
from ._crackle import package_open, paper_crinkle
from ._friction import HAIR_BRUSH_PARAMS as _HAIR_BRUSH_PARAMS
from ._friction import TOUCH_PARAMS as _TOUCH_PARAMS
from ._friction import hair_brush, touch
from ._impact import SCISSORS_PARAMS as _SCISSORS_PARAMS
from ._impact import TAPPING_PARAMS as _TAPPING_PARAMS
from ._impact import scissors, tapping
from ._voice import WHISPER_PARAMS as _WHISPER_PARAMS
from ._voice import whisper


@_dataclass(frozen=True)
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
    function: _Callable
    description: str
    params: _Mapping

    def defaults(self):
        """Default value of every parameter.

        Returns
        -------
        defaults : dict of str to float or str
        """
        return {name: param.default for name, param in self.params.items()}

    def problems(self, params):
        """Check parameter names and values without raising.

        Parameters
        ----------
        params : Mapping of str to object
            Parameters as a scene would give them (a subset of the table).

        Returns
        -------
        problems : list of str
            One message per problem, each starting with the parameter name
            (unknown names: ``"parameter 'x' is unknown ..."``); empty if
            all are valid.
        """
        allowed = ", ".join(self.params)
        problems = []
        for name, value in params.items():
            if name not in self.params:
                problems.append(f"parameter {name!r} is unknown but must be one of the "
                                f"{self.name} parameters: {allowed}")
            elif (message := self.params[name].problem(name, value)) is not None:
                problems.append(message)
        return problems

    def __call__(self, duration, sample_rate, seed=0, **params):
        """Render with all arguments checked first; see :func:`generate`."""
        problems = _base_problems(duration, sample_rate, seed) + self.problems(params)
        if problems:
            raise GeneratorError("; ".join(problems))
        return self.function(duration, sample_rate, seed=seed, **params)


def _entry(function, params):
    summary = function.__doc__.strip().splitlines()[0]
    return Generator(function.__name__, function, summary, _MappingProxyType(dict(params)))


GENERATORS = {entry.name: entry for entry in (
    _entry(whisper, _WHISPER_PARAMS),
    _entry(hair_brush, _HAIR_BRUSH_PARAMS),
    _entry(scissors, _SCISSORS_PARAMS),
    _entry(paper_crinkle, _PAPER_CRINKLE_PARAMS),
    _entry(package_open, _PACKAGE_OPEN_PARAMS),
    _entry(tapping, _TAPPING_PARAMS),
    _entry(touch, _TOUCH_PARAMS),
)}
"""dict of str to Generator : every generator by name."""


def generate(name, duration, sample_rate, seed=0, **params):
    """Render a trigger sound by generator name.

    Parameters
    ----------
    name : str
        A key of :data:`GENERATORS`.
    duration : float
        Seconds, finite and >= 0.
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
    if not isinstance(name, str) or name not in GENERATORS:
        raise GeneratorError(f"generator {name!r} is unknown but must be one of: "
                             f"{', '.join(GENERATORS)}")
    return GENERATORS[name](duration, sample_rate, seed=seed, **params)
