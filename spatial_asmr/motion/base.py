"""The base of source paths: ``SourcePath``, ``PathError`` and the checks of path parameters."""

__all__ = ["SourcePath", "PathError", "to_spherical"]

import math
import numbers

import numpy as np

from ..checks import Problem
from ..errors import ArgumentError
from .coordinates import cart2sph

_SPHERICAL_POINT = "3 finite numbers (azimuth deg, elevation deg, distance m)"


# --- validation -------------------------------------------------------------

class PathError(ArgumentError):
    """A path parameter is invalid.

    Attributes
    ----------
    problem : spatial_asmr.checks.Problem
        The parameter's field path (``("points", 1, 2)``), the bad value and
        what it must be; ``str(error)`` is its message.
    """

    def __init__(self, problem):
        super().__init__(problem.message)
        self.problem = problem


def _where(name):
    return (name,) if isinstance(name, str) else tuple(name)


def _error(name, value, allowed):
    return PathError(Problem(_where(name), value, allowed, show=repr))


def _said(name, predicate):
    """A PathError whose message is not "is <value> but must be <allowed>"."""
    return PathError(Problem(_where(name), predicate=predicate))


def _real(name, value, allowed="a finite number"):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise _error(name, value, allowed)
    number = float(value)
    if not math.isfinite(number):
        raise _error(name, number, allowed)
    return number


def _positive(name, value):
    number = _real(name, value, "a finite number > 0")
    if number <= 0:
        raise _error(name, number, "> 0")
    return number


def _non_negative(name, value):
    number = _real(name, value, "a finite number >= 0")
    if number < 0:
        raise _error(name, number, ">= 0")
    return number


def _elevation(name, value):
    number = _real(name, value, "a finite number in [-90, 90] (degrees)")
    if not -90.0 <= number <= 90.0:
        raise _error(name, number, "in [-90, 90] (degrees)")
    return number


def _choice(name, value, options):
    if not isinstance(value, str) or value not in options:
        allowed = " or ".join(", ".join(repr(o) for o in options).rsplit(", ", 1))
        raise _error(name, value, allowed)
    return value


def _flag(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise _error(name, value, "True or False")
    return bool(value)


def _array(name, value, allowed):
    if isinstance(value, (str, bytes)):
        raise _error(name, value, allowed)
    try:
        array = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise _error(name, value, allowed) from None
    return array


def _triple(name, value, allowed="3 finite numbers"):
    point = _array(name, value, allowed)
    if point.shape != (3,) or not np.isfinite(point).all():
        raise _error(name, value, allowed)
    return point


def _spherical_point(name, value):
    point = _triple(name, value, _SPHERICAL_POINT)
    _elevation(_where(name) + (1,), point[1])
    _positive(_where(name) + (2,), point[2])
    return point


def _path(name, value):
    if not isinstance(value, SourcePath):
        raise _error(name, value, "a path (Fixed, Keyframes, Orbit, Sweep, Spiral, Hover, "
                                  "Sequence or Offset)")
    return value


def _sense(direction):
    return 1.0 if _choice("direction", direction, ("ccw", "cw")) == "ccw" else -1.0


def _times(times):
    t = np.asarray(times, dtype=float)
    finite = np.isfinite(t)
    if not finite.all():
        where = np.unravel_index(int(np.argmin(finite)), t.shape)
        name = ("times", tuple(int(i) for i in where)) if t.ndim else "times"
        raise _error(name, float(t[where]), "finite")
    return t


# --- base -------------------------------------------------------------------

def held_spans(times, values, between=True):
    """Spans over which keyframed values (held outside, linear between) stay constant.

    Parameters
    ----------
    times : ndarray, shape (K,)
        Increasing keyframe times, K >= 1.
    values : ndarray, shape (K, m)
    between : bool
        Whether equal neighbouring keyframes hold between them (linear
        interpolation; not a spline, which may swing between equal points).

    Returns
    -------
    list of (float, float)
        ``(t0, t1)`` increasing and disjoint: ``(-inf, times[0])``, the
        spans between equal neighbours, ``(times[-1], inf)``, joined where
        they meet.
    """
    spans = [[-np.inf, float(times[0])]]
    for k in range(len(times) - 1):
        if between and np.array_equal(values[k], values[k + 1]):
            if spans[-1][1] == times[k]:
                spans[-1][1] = float(times[k + 1])
            else:
                spans.append([float(times[k]), float(times[k + 1])])
    if spans[-1][1] == times[-1]:
        spans[-1][1] = np.inf
    else:
        spans.append([float(times[-1]), np.inf])
    return [tuple(span) for span in spans]


class SourcePath:
    """Base of all source paths.

    Subclasses set ``_params`` (for ``repr``), ``_duration`` and
    ``_max_distance`` and implement ``_evaluate``.
    """

    _params = {}
    _duration = None
    _max_distance = 0.0

    def positions(self, times):
        """Positions of the source at some times.

        Parameters
        ----------
        times : array_like, shape (Q,)
            Seconds; any shape ``S`` is accepted and gives shape ``S + (3,)``.

        Returns
        -------
        xyz : ndarray, shape (Q, 3)
            Cartesian head-frame positions in metres (x forward, y left, z up).

        Raises
        ------
        PathError
            If a time is not finite (a ``ValueError``).
        """
        t = _times(times)
        return self._evaluate(t.reshape(-1)).reshape(t.shape + (3,))

    def _evaluate(self, t):
        """Positions at times ``t``, shape (Q,) -> (Q, 3); times are finite."""
        raise NotImplementedError

    @property
    def duration(self):
        """float or None : Seconds of scripted motion; None if unbounded."""
        return self._duration

    @property
    def max_distance(self):
        """float : Upper bound in metres of the distance from the head centre."""
        # A relative 1e-12 covers the rounding of the positions themselves.
        return self._max_distance * (1.0 + 1e-12)

    @property
    def fixed(self):
        """bool : True if the position never changes (the renderer then gives
        the source one fixed filter); only :class:`Fixed` says so."""
        return False

    def still_intervals(self):
        """Spans of time over which the position does not change.

        The renderer gives a source a fixed filter over these spans (where
        the listener is still too) and runs the time-varying engine only
        where it moves.  A path that cannot say returns none: it is always
        rendered as moving, which is exact, only slower.

        Returns
        -------
        list of (float, float)
            ``(t0, t1)`` seconds, increasing and disjoint; ``t0`` may be
            ``-inf`` and ``t1`` ``inf``.  The position is the same for all
            ``t0 <= t <= t1``.
        """
        return []

    def distance_range(self, seconds, start=0.0):
        """Smallest and largest distance from the head centre over a span of time.

        Parameters
        ----------
        seconds : float
            The end of the span that matters.
        start : float, optional
            Its start (default 0): a renderer asks for the span where a
            source sounds, which in a long scene is a small part of it.

        Returns
        -------
        closest, farthest : float
            Metres.  ``farthest`` is :attr:`max_distance`; ``closest`` is
            sampled every 5 ms over ``[start, seconds]``, a minute at a time
            (memory does not grow with the span), unless a path knows it
            exactly.
        """
        closest = np.inf
        start = float(start)
        end = max(float(seconds), start)
        for t0 in np.arange(start, end + 0.005, 60.0):
            times = t0 + np.arange(0.0, min(60.0, end + 0.005 - t0), 0.005)
            closest = min(closest, float(np.linalg.norm(self.positions(times), axis=-1).min()))
        return closest, float(self.max_distance)

    def __eq__(self, other):
        # Paths are values: equal when they are of one type with equal parameters.
        if not isinstance(other, SourcePath):
            return NotImplemented
        return type(self) is type(other) and self._params == other._params

    def __hash__(self):
        return hash(repr(self))

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self._params.items())
        return f"{type(self).__name__}({args})"


def to_spherical(xyz, unwrap=False):
    """Convert cartesian head-frame positions to spherical ones.

    Parameters
    ----------
    xyz : array_like, shape (Q, 3)
        Metres; x forward, y left, z up.  Any leading shape is accepted.
    unwrap : bool, optional
        Unwrap azimuth along the first axis (consecutive times), so that a
        path turning twice round the head ends 720 degrees from its start.

    Returns
    -------
    sph : ndarray, shape (Q, 3)
        Azimuth in degrees (in [0, 360) unless unwrapped), elevation in
        degrees in [-90, 90], distance in metres.
    """
    sph = cart2sph(xyz)
    if _flag("unwrap", unwrap) and sph.ndim > 1:
        sph[..., 0] = np.unwrap(sph[..., 0], period=360.0, axis=0)
    return sph
