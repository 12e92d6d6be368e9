"""Parameter tables of the trigger generators and their validation.

Parameter tables (:class:`Param`) are shared by every generator function and
by the registry, so that a range is written once; :func:`prepare` checks a
call and makes its random stream, :func:`finish` fades and scales a render.
The DSP pieces the generators share are in :mod:`._dsp`.

All randomness comes from one ``numpy.random.Generator`` made by
:func:`prepare` from the caller's seed, and every helper draws from it in a
fixed order, so a render is a pure function of its arguments.
"""

import math
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np

from ..checks import Problem
from ..errors import SpatialAsmrError

PEAK = 0.5
"""Peak amplitude of every generator's output (-6.02 dBFS)."""

MIN_SAMPLE_RATE = 8000
MAX_SAMPLE_RATE = 384000

# Longest sound, in seconds (31.7 years): far beyond any use, and short
# enough that its sample count at any rate (3.8e14) is exact in float64.
MAX_DURATION = 1e9

# Highest frequency any band or mode is placed at, as a fraction of the
# sample rate: 0.45 fs keeps band edges and modes clear of the Nyquist
# frequency, where bilinear-transform designs are squeezed and a sampled
# sinusoid has barely two samples per period.
TOP = 0.45

REFERENCE_RATE = 48000  # Hz, see white()

FADE = 0.005  # s, raised-cosine fade at both ends of every render


class GeneratorError(SpatialAsmrError, ValueError):
    """A generator name, parameter name or parameter value is invalid.

    Parameters
    ----------
    problems : Problem, str or sequence of Problem
        Every problem found; ``str(error)`` joins their messages with
        ``"; "``.

    Attributes
    ----------
    problems : tuple of Problem
        The problems; a parameter's has the parameter name as its path.
    """

    def __init__(self, problems):
        if isinstance(problems, str):
            problems = Problem(predicate=problems)
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems = tuple(problems)
        super().__init__("; ".join(problem.message for problem in self.problems))


class Param(NamedTuple):
    """One row of a generator's parameter table.

    A ``Param`` is a plain tuple ``(default, unit, allowed, description)``.

    Attributes
    ----------
    default : float or str
        Value used when the parameter is not given.  A ``str`` default marks
        a parameter chosen from a list.
    unit : str
        Unit of a numeric parameter (``"Hz"``, ``"s"``, ``"taps/s"``); ``""``
        for dimensionless numbers and choices.
    allowed : tuple
        ``(lo, hi)``, the inclusive range of a numeric parameter, or the
        tuple of allowed strings of a choice parameter.
    description : str
        One line, for listings.
    """

    default: float | str
    unit: str
    allowed: tuple
    description: str

    @property
    def is_choice(self):
        """bool : True if the parameter is chosen from ``allowed`` strings."""
        return isinstance(self.default, str)

    def allowed_text(self):
        """Describe the allowed values, e.g. ``"a number in [0.5, 16] taps/s"``.

        Returns
        -------
        text : str
        """
        if self.is_choice:
            return "one of " + ", ".join(repr(choice) for choice in self.allowed)
        lo, hi = self.allowed
        unit = f" {self.unit}" if self.unit else ""
        return f"a number in [{lo:g}, {hi:g}]{unit}"

    def problem(self, name, value):
        """Check one value against this row.

        Parameters
        ----------
        name : str
            Parameter name, used in the message.
        value : object
            The value to check.

        Returns
        -------
        problem : Problem or None
            At path ``(name,)``, its message ``"<name> is <value> but must be
            <allowed>"``; None if valid.
        """
        if self.is_choice:
            valid = isinstance(value, str) and value in self.allowed
        else:
            lo, hi = self.allowed
            valid = (_is_number(value) and math.isfinite(value) and lo <= value <= hi)
        if valid:
            return None
        return Problem((name,), value, self.allowed_text())


def _is_number(value):
    return isinstance(value, Real) and not isinstance(value, bool)


def base_problems(duration, sample_rate, seed):
    """Check the arguments every generator takes.

    Parameters
    ----------
    duration : float
        Length in seconds; finite, >= 0 and at most :data:`MAX_DURATION`.
    sample_rate : int
        Hz; an integer in [MIN_SAMPLE_RATE, MAX_SAMPLE_RATE].
    seed : int
        Non-negative integer.

    Returns
    -------
    problems : list of Problem
        One per invalid argument, at the argument's name; empty if all are
        valid.
    """
    problems = []
    if not (_is_number(duration) and math.isfinite(duration) and duration >= 0):
        problems.append(Problem(("duration",), duration, "a finite number >= 0 s"))
    elif duration > MAX_DURATION:
        problems.append(Problem(("duration",), duration, f"at most {MAX_DURATION:g} s"))
    if (problem := rate_problem(sample_rate)) is not None:
        problems.append(problem)
    if not (isinstance(seed, Integral) and not isinstance(seed, bool) and seed >= 0):
        problems.append(Problem(("seed",), seed, "an integer >= 0"))
    return problems


def rate_problem(sample_rate):
    """Check a generator sample rate.

    Parameters
    ----------
    sample_rate : object

    Returns
    -------
    problem : Problem or None
        ``"sample_rate is <value> but must be an integer in [8000, 384000] Hz"``,
        or None if valid.
    """
    rate_ok = (_is_number(sample_rate) and math.isfinite(sample_rate)
               and float(sample_rate).is_integer()
               and MIN_SAMPLE_RATE <= sample_rate <= MAX_SAMPLE_RATE)
    if rate_ok:
        return None
    return Problem(("sample_rate",), sample_rate,
                   f"an integer in [{MIN_SAMPLE_RATE}, {MAX_SAMPLE_RATE}] Hz")


def prepare(duration, sample_rate, seed, table, **values):
    """Validate a generator call and set up its length and random stream.

    Parameters
    ----------
    duration : float
        Seconds.
    sample_rate : int
        Hz.
    seed : int
        Seed of ``numpy.random.default_rng``.
    table : dict of str to Param
        The generator's parameter table.
    **values
        The generator's parameters, each a key of ``table``.

    Returns
    -------
    n : int
        Output length in samples, ``round(duration * sample_rate)``.
    sample_rate : int
    rng : numpy.random.Generator

    Raises
    ------
    GeneratorError
        Listing every invalid argument at once, separated by ``"; "``.
    """
    problems = base_problems(duration, sample_rate, seed)
    problems += [problem for name, value in values.items()
                 if (problem := table[name].problem(name, value)) is not None]
    if problems:
        raise GeneratorError(problems)
    sample_rate = int(sample_rate)
    return round(duration * sample_rate), sample_rate, np.random.default_rng(seed)


def finish(x, sample_rate):
    """Fade both ends and scale the peak to :data:`PEAK`.

    Parameters
    ----------
    x : ndarray, shape (n,)
        Raw render; modified in place.
    sample_rate : int
        Hz.

    Returns
    -------
    x : ndarray, shape (n,)
        float64, peak ``PEAK`` (or all zeros if ``x`` was silent).
    """
    x = np.asarray(x, dtype=np.float64)
    fade = min(round(FADE * sample_rate), len(x) // 2)
    if fade:
        ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(fade) + 0.5) / fade)
        x[:fade] *= ramp
        x[-fade:] *= ramp[::-1]
    peak = np.max(np.abs(x)) if len(x) else 0.0
    if peak > 0:
        x *= PEAK / peak
    return x
