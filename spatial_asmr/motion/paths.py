"""Source paths: where a moving source is at any time.

Every path is an object built from plain numbers and tuples and checked when
it is built; a bad parameter raises :class:`PathError` (an
:class:`~spatial_asmr.errors.ArgumentError`), whose ``problem`` names the
parameter's field path, the value and what it must be.
:meth:`SourcePath.positions` evaluates it, vectorised, at any number of
times (seconds) and returns cartesian head-frame positions in metres (x
forward, y left, z up; see :mod:`spatial_asmr.motion.coordinates`).
Points given in spherical coordinates are ``(azimuth, elevation, distance)``
in degrees, degrees and metres, SOFA convention (azimuth counter-clockwise
from straight ahead, 90 = left ear; elevation up positive).

Paths
-----
Fixed
    One point, forever.
Keyframes
    Positions at given times, linear or Catmull-Rom spline in between.
Orbit
    A circle around a vertical axis at fixed elevation, forever.
Sweep
    From one point to another with easing, optionally back and forth and
    repeated.
Spiral
    Turns round the head while the distance changes log-linearly.
Hover
    Small smooth seeded wander around another path or a point.
Sequence
    Paths played one after another.
Offset
    A path that starts later.

``duration`` is the length of the path's scripted motion in seconds, or
None where it has no end (Orbit, Fixed, repeated Sweep).  After its
duration a path holds its last position (Hover keeps hovering around it).
Before time 0 a path holds its starting position, except Orbit and Hover,
whose closed forms run backwards as well.

Paths do not keep away from the head: a cartesian path, an orbit with an
offset centre or a hover can pass through the head centre.  The renderer
clamps the distance smoothly (:func:`spatial_asmr.hrtf.spatializer.effective_distance`).
``max_distance`` is an upper bound of the distance from the head centre over
all times, for sizing delay lines.
"""

__all__ = ["SourcePath", "Fixed", "Keyframes", "Orbit", "Sweep", "Spiral", "Hover",
           "Sequence", "Offset", "PathError", "to_spherical"]

import math
import numbers

import numpy as np

from ..checks import Problem
from ..errors import ArgumentError
from .coordinates import cart2sph, sph2cart

_SPHERICAL_POINT = "3 finite numbers (azimuth deg, elevation deg, distance m)"
_HOVER_KNOTS = 16384      # random control points of a Hover before it repeats


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

    def distance_range(self, seconds):
        """Smallest and largest distance from the head centre from time 0 on.

        Parameters
        ----------
        seconds : float
            The span that matters, from time 0.

        Returns
        -------
        closest, farthest : float
            Metres.  ``farthest`` is :attr:`max_distance`; ``closest`` is
            sampled every 5 ms over ``seconds``, a minute at a time (memory
            does not grow with the span), unless a path knows it exactly.
        """
        closest = np.inf
        for t0 in np.arange(0.0, max(seconds, 0.0) + 0.005, 60.0):
            times = t0 + np.arange(0.0, min(60.0, max(seconds, 0.0) + 0.005 - t0), 0.005)
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


class Fixed(SourcePath):
    """A source that does not move.

    Parameters
    ----------
    point : tuple of float, shape (3,)
        ``(azimuth deg, elevation deg, distance m)``, or ``(x, y, z)`` metres
        with ``coordinates="cartesian"``.
    coordinates : {"spherical", "cartesian"}, optional
        How ``point`` is given.

    Notes
    -----
    ``duration`` is None: in a :class:`Sequence` give it as ``(Fixed(...), seconds)``.
    """

    def __init__(self, point, coordinates="spherical"):
        coordinates = _choice("coordinates", coordinates, ("spherical", "cartesian"))
        if coordinates == "spherical":
            point = _spherical_point("point", point)
            self._xyz = sph2cart(*point)
        else:
            point = _triple("point", point)
            self._xyz = point
        self._params = {"point": tuple(point.tolist()), "coordinates": coordinates}
        self._max_distance = float(np.linalg.norm(self._xyz))

    @property
    def point(self):
        """tuple of float : The point as given (see ``coordinates``)."""
        return self._params["point"]

    @property
    def coordinates(self):
        """str : ``"spherical"`` or ``"cartesian"``."""
        return self._params["coordinates"]

    @property
    def fixed(self):
        """bool : True."""
        return True

    def distance_range(self, seconds):
        """The distance, twice: ``(d, d)`` (see :meth:`SourcePath.distance_range`)."""
        if self.coordinates == "spherical":
            return self.point[2], self.point[2]
        return self._max_distance, self._max_distance

    def _evaluate(self, t):
        return np.broadcast_to(self._xyz, (len(t), 3)).copy()


# --- keyframes --------------------------------------------------------------

def _cubic_range(coefficients):
    """Exact minimum and maximum over s in [0, 1] of cubics.

    Parameters
    ----------
    coefficients : ndarray, shape (S, 4)
        ``a, b, c, d`` of ``a s^3 + b s^2 + c s + d``, one cubic per row.

    Returns
    -------
    low, high : ndarray, shape (S,)
    """
    a, b, c, d = coefficients.T
    # Stationary points solve 3a s^2 + 2b s + c = 0.  The cancellation-free
    # form q = -(B + sign(B) sqrt(disc)) / 2, roots q / A and C / q, also gives
    # the single root -C / B when A = 0 (the other root is then infinite).
    qa, qb = 3.0 * a, 2.0 * b
    disc = qb * qb - 4.0 * qa * c
    with np.errstate(divide="ignore", invalid="ignore"):
        q = -0.5 * (qb + np.copysign(np.sqrt(np.maximum(disc, 0.0)), qb))
        roots = np.stack([np.zeros_like(a), np.ones_like(a), q / qa, c / q], axis=-1)
    real = np.stack([np.ones_like(a, dtype=bool)] * 2 + [disc >= 0] * 2, axis=-1)
    usable = real & np.isfinite(roots) & (roots >= 0) & (roots <= 1)
    s = np.where(usable, roots, 0.0)
    values = ((a[:, None] * s + b[:, None]) * s + c[:, None]) * s + d[:, None]
    return values.min(axis=-1), values.max(axis=-1)


class Keyframes(SourcePath):
    """Positions at given times, interpolated in between.

    Parameters
    ----------
    times : array_like, shape (K,)
        Seconds, >= 0, strictly increasing, K >= 1.
    points : array_like, shape (K, 3)
        ``(azimuth deg, elevation deg, distance m)`` per keyframe, or
        ``(x, y, z)`` metres with ``coordinates="cartesian"``.
    interpolation : {"linear", "spline"}, optional
        ``"linear"``: each coordinate linearly in time.  ``"spline"``:
        Catmull-Rom in time (see Notes).
    coordinates : {"spherical", "cartesian"}, optional
        The space the points are given and interpolated in.  Spherical
        azimuth is not wrapped: 0 -> 360 is a full counter-clockwise turn,
        0 -> -90 a quarter turn clockwise to the right ear.

    Raises
    ------
    PathError
        If a parameter is out of range, or a spherical spline's distance
        would reach 0 between keyframes.

    Notes
    -----
    Before the first and after the last keyframe the path holds that
    keyframe; ``duration`` is the last keyframe's time.

    The spline is a cubic Hermite curve per interval whose velocity at
    keyframe k is the central difference ``(P[k+1] - P[k-1]) / (t[k+1] -
    t[k-1])``.  With evenly spaced keyframes this is exactly the uniform
    Catmull-Rom spline; with uneven spacing it is its generalisation in
    time, so the velocity stays continuous in seconds (C1).  Centripetal
    Catmull-Rom reparametrises by the spacing of the points, which would
    move the source off its keyframe times, so it is not used.  The ends
    are handled as by duplicating the end points (phantom keyframe
    ``P[-1] = P[0]`` one interval before the first): the velocity at the
    first keyframe is half the first interval's mean velocity, likewise at
    the last, and it drops to zero where the hold starts.  Like every
    Catmull-Rom spline it can overshoot between keyframes.
    """

    def __init__(self, times, points, interpolation="linear", coordinates="spherical"):
        self._interpolation = _choice("interpolation", interpolation, ("linear", "spline"))
        self._coordinates = _choice("coordinates", coordinates, ("spherical", "cartesian"))
        t = _array("times", times, "a sequence of finite numbers")
        if t.ndim != 1 or len(t) == 0:
            raise _error("times", times, "a non-empty sequence of finite numbers")
        for k, value in enumerate(t):
            _real(("times", k), value)
        _non_negative(("times", 0), t[0])
        for k in range(1, len(t)):
            if t[k] <= t[k - 1]:
                raise _error(("times", k), float(t[k]), f"> times[{k - 1}] = {float(t[k - 1])!r}")
        p = _array("points", points, f"a ({len(t)}, 3) array of finite numbers")
        if p.shape != (len(t), 3):
            raise _said("points", f"has shape {p.shape} but must have ({len(t)}, 3): "
                                  f"one point per time")
        check = _spherical_point if self._coordinates == "spherical" else _triple
        for k, point in enumerate(p):
            check(("points", k), tuple(point.tolist()))
        self._times, self._values = t, p
        self._params = {"times": t.tolist(), "points": p.tolist(),
                        "interpolation": self._interpolation, "coordinates": self._coordinates}
        self._duration = float(t[-1])
        self._coefficients = None
        if self._interpolation == "spline" and len(t) > 1:
            self._coefficients = self._hermite(t, p)
            self._rows = np.ascontiguousarray(np.moveaxis(self._coefficients, 0, 1))
        self._max_distance = self._bound()

    @property
    def times(self):
        """tuple of float : Keyframe times in seconds."""
        return tuple(self._params["times"])

    @property
    def points(self):
        """tuple of tuple of float : One point per time (see ``coordinates``)."""
        return tuple(tuple(point) for point in self._params["points"])

    @property
    def interpolation(self):
        """str : ``"linear"`` or ``"spline"``."""
        return self._interpolation

    @property
    def coordinates(self):
        """str : ``"spherical"`` or ``"cartesian"``."""
        return self._coordinates

    def distance_range(self, seconds):
        """Exact for linear spherical keyframes, whose distance is linear between
        keyframes; else sampled (see :meth:`SourcePath.distance_range`)."""
        if self._coefficients is None and self._coordinates == "spherical":
            distance = self._values[:, 2]
            return float(distance.min()), float(distance.max())
        return super().distance_range(seconds)

    @staticmethod
    def _hermite(t, p):
        """Power-basis coefficients a, b, c, d, shape (4, K - 1, 3), in s = (t - t[k]) / h[k]."""
        h = np.diff(t)
        # Phantom keyframes P[-1] = P[0] at t[0] - h[0] and P[K] = P[K-1] at
        # t[K-1] + h[K-2]: the duplicated end points of uniform Catmull-Rom.
        tp = np.concatenate([[t[0] - h[0]], t, [t[-1] + h[-1]]])
        pp = np.concatenate([p[:1], p, p[-1:]])
        velocity = (pp[2:] - pp[:-2]) / (tp[2:] - tp[:-2])[:, None]
        p0, p1 = p[:-1], p[1:]
        m0, m1 = velocity[:-1] * h[:, None], velocity[1:] * h[:, None]
        # Hermite basis (2s^3 - 3s^2 + 1, s^3 - 2s^2 + s, -2s^3 + 3s^2, s^3 - s^2)
        # collected by powers of s.
        return np.stack([2 * p0 + m0 - 2 * p1 + m1,
                          -3 * p0 - 2 * m0 + 3 * p1 - m1,
                          m0,
                          p0])

    def _bound(self):
        spherical = self._coordinates == "spherical"
        if self._coefficients is None:
            if spherical:
                return float(self._values[:, 2].max())
            return float(np.linalg.norm(self._values, axis=-1).max())
        if spherical:
            low, high = _cubic_range(self._coefficients[:, :, 2].T)
            k = int(np.argmin(low))
            if low[k] <= 0:
                raise _said("points", f"gives a spline distance of {float(low[k]):.6g} m "
                                      f"between times[{k}] and times[{k + 1}] but must stay "
                                      f"> 0; add keyframes there or use "
                                      f"interpolation='linear'")
            return float(high.max())
        # Each interval is a Bezier curve with control points P0, P0 + m0 / 3,
        # P1 - m1 / 3, P1 and lies in their convex hull.
        a, b, c, d = self._coefficients
        control = np.concatenate([d, d + c / 3, d + 2 * c / 3 + b / 3, a + b + c + d])
        return float(np.linalg.norm(control, axis=-1).max())

    def _evaluate(self, t):
        kt = self._times
        if self._coefficients is None:
            values = np.stack([np.interp(t, kt, self._values[:, i]) for i in range(3)],
                               axis=-1)
        else:
            k = np.clip(np.searchsorted(kt, t, side="right") - 1, 0, len(kt) - 2)
            s = np.clip((t - kt[k]) / (kt[k + 1] - kt[k]), 0.0, 1.0)
            powers = np.stack([s * s * s, s * s, s, np.ones_like(s)], axis=-1)
            values = np.einsum("qj,qjk->qk", powers, self._rows[k])
        if self._coordinates == "spherical":
            return sph2cart(values[:, 0], values[:, 1], values[:, 2])
        return values


# --- closed-form motions ----------------------------------------------------

class Orbit(SourcePath):
    """A circle round a vertical axis at fixed elevation, forever.

    Parameters
    ----------
    distance : float
        Radius in metres (distance from ``centre``), > 0.
    elevation : float, optional
        Degrees in [-90, 90], seen from ``centre``; default 0.
    period : float, optional
        Seconds per turn, > 0.  Give exactly one of ``period`` and
        ``angular_speed``.
    angular_speed : float, optional
        Degrees per second, > 0.
    direction : {"ccw", "cw"}, optional
        ``"ccw"`` (default): azimuth increases, from the front towards the
        left ear first.  ``"cw"``: towards the right ear first.
    start_azimuth : float, optional
        Azimuth in degrees at time 0, seen from ``centre``; default 0.
    centre : tuple of float, shape (3,), optional
        Cartesian offset of the circle's centre from the head centre, metres;
        default (0, 0, 0).

    Notes
    -----
    Position at time t is ``centre + sph2cart(start_azimuth +- 360 t /
    period, elevation, distance)``; the phase is reduced to one turn first,
    so the position repeats exactly with the period at any time.
    ``duration`` is None; the orbit also runs backwards before time 0.
    """

    def __init__(self, distance, elevation=0.0, *, period=None, angular_speed=None,
                 direction="ccw", start_azimuth=0.0, centre=(0.0, 0.0, 0.0)):
        self._distance = _positive("distance", distance)
        self._elevation = _elevation("elevation", elevation)
        if (period is None) == (angular_speed is None):
            raise _said("period", f"is {period!r} and angular_speed is {angular_speed!r} "
                                  f"but exactly one of them must be given")
        if period is not None:
            self._period = _positive("period", period)
        else:
            self._period = 360.0 / _positive("angular_speed", angular_speed)
        self._sense = _sense(direction)
        self._start = _real("start_azimuth", start_azimuth)
        self._centre = _triple("centre", centre)
        self._params = {"distance": self._distance, "elevation": self._elevation,
                        "period": self._period, "direction": direction,
                        "start_azimuth": self._start, "centre": tuple(self._centre.tolist())}
        el = math.radians(self._elevation)
        ring = self._distance * math.cos(el)
        height = self._centre[2] + self._distance * math.sin(el)
        self._max_distance = math.hypot(math.hypot(*self._centre[:2]) + ring, height)

    @property
    def period(self):
        """float : Seconds per turn."""
        return self._period

    def _evaluate(self, t):
        turns = t / self._period
        phase = turns - np.floor(turns)
        azimuth = self._start + self._sense * 360.0 * phase
        return self._centre + sph2cart(azimuth, self._elevation, self._distance)


_EASINGS = {
    "linear": lambda u: u,
    "ease_in": lambda u: u * u,
    "ease_out": lambda u: u * (2.0 - u),
    "ease_in_out": lambda u: u * u * (3.0 - 2.0 * u),
}


class Sweep(SourcePath):
    """From one point to another, with easing, optionally back and repeated.

    Parameters
    ----------
    start, end : tuple of float, shape (3,)
        ``(azimuth deg, elevation deg, distance m)``.  Azimuth is not
        wrapped: ``(0, 0, 1) -> (360, 0, 1)`` is a full counter-clockwise
        turn.
    duration : float
        Seconds for one pass from ``start`` to ``end``, > 0.
    easing : {"linear", "ease_in_out", "ease_in", "ease_out"}, optional
        Fraction ``w`` of the way covered after a fraction ``u`` of the pass:
        ``u``, smoothstep ``3u^2 - 2u^3`` (starts and stops gently), ``u^2``
        (starts gently), ``u (2 - u)`` (stops gently).
    ping_pong : bool, optional
        Come back to ``start`` in a second pass (eased the same way).
    repeat : bool, optional
        Start over after each pass (or each there-and-back with
        ``ping_pong``); without it the path holds where it ended.

    Notes
    -----
    Azimuth, elevation and distance move as ``(1 - w) start + w end``.
    ``duration`` (the property) is ``duration`` (the parameter), twice that
    with ``ping_pong``, None with ``repeat``.  A repeated sweep without
    ping-pong jumps back to ``start``, which is silent only if ``start`` and
    ``end`` are the same place (say azimuth 0 and 360).
    """

    def __init__(self, start, end, duration, easing="linear", ping_pong=False, repeat=False):
        self._start = _spherical_point("start", start)
        self._end = _spherical_point("end", end)
        self._pass = _positive("duration", duration)
        self._easing = _choice("easing", easing, tuple(_EASINGS))
        self._ping_pong = _flag("ping_pong", ping_pong)
        self._repeat = _flag("repeat", repeat)
        self._cycle = 2.0 * self._pass if self._ping_pong else self._pass
        self._duration = None if self._repeat else self._cycle
        self._max_distance = float(max(self._start[2], self._end[2]))
        self._params = {"start": tuple(self._start.tolist()), "end": tuple(self._end.tolist()),
                        "duration": self._pass, "easing": self._easing,
                        "ping_pong": self._ping_pong, "repeat": self._repeat}

    def _evaluate(self, t):
        if self._repeat:
            elapsed = np.where(t > 0, np.mod(t, self._cycle), 0.0)
        else:
            elapsed = np.clip(t, 0.0, self._cycle)
        u = elapsed / self._pass
        if self._ping_pong:
            u = 1.0 - np.abs(1.0 - u)
        w = _EASINGS[self._easing](u)[:, None]
        sph = (1.0 - w) * self._start + w * self._end
        return sph2cart(sph[:, 0], sph[:, 1], sph[:, 2])


class Spiral(SourcePath):
    """Turns round the head while distance and elevation change.

    Parameters
    ----------
    start_distance, end_distance : float
        Metres at time 0 and at ``duration``, > 0.
    turns : float
        Number of turns, >= 0 (fractions allowed).
    duration : float
        Seconds, > 0.
    elevation_start, elevation_end : float, optional
        Degrees in [-90, 90]; default 0.
    start_azimuth : float, optional
        Degrees; default 0.
    direction : {"ccw", "cw"}, optional
        ``"ccw"`` (default): azimuth increases (towards the left ear first).

    Notes
    -----
    With ``u = t / duration``: azimuth ``start_azimuth +- 360 turns u``,
    elevation linear, distance log-linear, ``start_distance^(1-u)
    end_distance^u``, so the distance changes by the same ratio each second
    and the inverse-distance level by the same number of dB.  Holds the
    start before time 0 and the end after ``duration``.
    """

    def __init__(self, start_distance, end_distance, turns, duration, elevation_start=0.0,
                 elevation_end=0.0, start_azimuth=0.0, direction="ccw"):
        self._d0 = _positive("start_distance", start_distance)
        self._d1 = _positive("end_distance", end_distance)
        self._turns = _non_negative("turns", turns)
        self._duration = _positive("duration", duration)
        self._e0 = _elevation("elevation_start", elevation_start)
        self._e1 = _elevation("elevation_end", elevation_end)
        self._start = _real("start_azimuth", start_azimuth)
        self._sense = _sense(direction)
        self._max_distance = max(self._d0, self._d1)
        self._params = {"start_distance": self._d0, "end_distance": self._d1,
                        "turns": self._turns, "duration": self._duration,
                        "elevation_start": self._e0, "elevation_end": self._e1,
                        "start_azimuth": self._start, "direction": direction}

    def _evaluate(self, t):
        u = np.clip(t / self._duration, 0.0, 1.0)
        azimuth = self._start + self._sense * 360.0 * self._turns * u
        elevation = (1.0 - u) * self._e0 + u * self._e1
        distance = self._d0 ** (1.0 - u) * self._d1 ** u
        return sph2cart(azimuth, elevation, distance)


# --- composition ------------------------------------------------------------

class Hover(SourcePath):
    """Small smooth random wander around a path or a point.

    Parameters
    ----------
    base : SourcePath or tuple of float, shape (3,)
        The path to wander around, or a fixed ``(azimuth deg, elevation deg,
        distance m)``.
    radius : float, optional
        Largest distance from ``base`` in metres, > 0; default 0.02.  Small
        values (0.005-0.05) suit a hand playing with hair.
    speed : float, optional
        Rate of wander in Hz, > 0; default 0.5: the offset heads for a new
        random place ``2 speed`` times a second.
    seed : int, optional
        >= 0; default 0.  The same seed gives the same motion.

    Notes
    -----
    The offset from ``base`` is smoothed noise: a uniform cubic B-spline in
    time whose control points, ``2 speed`` per second, are drawn uniformly
    in the ball of radius ``radius``.  A B-spline is a convex combination of
    its control points (weights ``(1-f)^3 / 6``, ``(3f^3 - 6f^2 + 4) / 6``,
    ``(-3f^3 + 3f^2 + 3f + 1) / 6``, ``f^3 / 6`` at fraction ``f`` between
    knots), so the offset never leaves the ball, and it is twice
    continuously differentiable: no clicks from the motion itself.  Its
    acceleration is at most ``4 radius (2 speed)^2``; typically the offset
    stays around half of ``radius`` from ``base``.  The control points
    repeat after 16384 of them (4.5 hours at 0.5 Hz).

    The offset runs at every time, also before 0 and after the base path's
    end; ``duration`` is the base path's.
    """

    def __init__(self, base, radius=0.02, speed=0.5, seed=0):
        if not isinstance(base, SourcePath):
            try:
                base = Fixed(_spherical_point("base", base))
            except PathError:
                raise _error("base", base, f"a path or {_SPHERICAL_POINT}") from None
        self._base = base
        self._radius = _positive("radius", radius)
        self._speed = _positive("speed", speed)
        if (isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral)
                or seed < 0):
            raise _error("seed", seed, "an integer >= 0")
        rng = np.random.default_rng(int(seed))
        # Uniform in the ball: isotropic direction, radius with density ~ r^2.
        direction = rng.standard_normal((_HOVER_KNOTS, 3))
        direction /= np.linalg.norm(direction, axis=-1, keepdims=True)
        reach = self._radius * rng.random(_HOVER_KNOTS) ** (1.0 / 3.0)
        knots = direction * reach[:, None]
        # Row i holds control points i, i+1, i+2, i+3 (cyclically): one
        # gather per time fetches all four.
        self._windows = np.stack([np.roll(knots, -j, axis=0) for j in range(4)], axis=1)
        self._rate = 2.0 * self._speed
        self._duration = base.duration
        self._max_distance = base.max_distance + self._radius
        self._params = {"base": base, "radius": self._radius, "speed": self._speed,
                        "seed": int(seed)}

    def offsets(self, times):
        """The wander alone, without the base path.

        Parameters
        ----------
        times : array_like, shape (Q,)
            Seconds; any shape ``S`` gives shape ``S + (3,)``.

        Returns
        -------
        offsets : ndarray, shape (Q, 3)
            Cartesian metres, each at most ``radius`` long.
        """
        t = _times(times)
        return self._offsets(t.reshape(-1)).reshape(t.shape + (3,))

    def _offsets(self, t):
        u = t * self._rate
        knot = np.floor(u)
        f = u - knot
        f2 = f * f
        f3 = f2 * f
        g = 1.0 - f
        weights = np.stack([g * g * g, 3.0 * f3 - 6.0 * f2 + 4.0,
                             3.0 * (f + f2 - f3) + 1.0, f3], axis=-1)
        # Reduce to the table before converting, so no time overflows int64.
        first = np.mod(knot - 1.0, _HOVER_KNOTS).astype(np.int64)
        return np.einsum("qj,qjk->qk", weights, self._windows[first]) / 6.0

    def _evaluate(self, t):
        return self._base._evaluate(t) + self._offsets(t)


class Sequence(SourcePath):
    """Paths played one after another.

    Parameters
    ----------
    segments : sequence
        Each item a path, played for its own ``duration``, or a ``(path,
        seconds)`` pair, played for ``seconds`` (> 0).  A path without a
        duration of its own (Orbit, Fixed, repeated Sweep) must be given as
        a pair.  At least one segment.

    Notes
    -----
    Each segment runs on its own clock from 0: segment i covers times
    ``[T_i, T_i + d_i)`` with ``T_i`` the sum of the earlier durations, and
    shows its path at ``t - T_i``.  Nothing joins the segments: the source
    jumps between them unless each segment starts where the previous one
    ended.  Before time 0 the sequence holds the first segment's start; from
    the total duration on, the last segment's position at its end.
    """

    def __init__(self, segments):
        if isinstance(segments, (str, bytes, SourcePath)) or not hasattr(segments, "__iter__"):
            raise _error("segments", segments, "a list of paths or (path, seconds) pairs")
        items = list(segments)
        if not items:
            raise _error("segments", items, "a list with at least one segment")
        self._segments = []
        for i, item in enumerate(items):
            if isinstance(item, SourcePath):
                path, seconds = item, item.duration
                if seconds is None:
                    raise _said(("segments", i, "duration"),
                                f"is None ({type(item).__name__} has no end) but must be a "
                                f"number: give the segment as (path, seconds)")
                _positive(("segments", i, "duration"), seconds)
            elif (isinstance(item, (tuple, list)) and len(item) == 2
                  and isinstance(item[0], SourcePath)):
                path, seconds = item[0], _positive(("segments", i, 1), item[1])
            else:
                raise _error(("segments", i), item, "a path or a (path, seconds) pair")
            self._segments.append((path, float(seconds)))
        lengths = np.array([seconds for _, seconds in self._segments])
        self._starts = np.concatenate([[0.0], np.cumsum(lengths)[:-1]])
        self._duration = float(lengths.sum())
        self._max_distance = max(path.max_distance for path, _ in self._segments)
        self._params = {"segments": self._segments}

    @property
    def starts(self):
        """ndarray, shape (n_segments,) : Start time of each segment, seconds."""
        return self._starts.copy()

    def _evaluate(self, t):
        which = np.clip(np.searchsorted(self._starts, t, side="right") - 1,
                         0, len(self._segments) - 1)
        out = np.empty((len(t), 3))
        for i, (path, seconds) in enumerate(self._segments):
            here = which == i
            if here.any():
                local = np.clip(t[here] - self._starts[i], 0.0, seconds)
                out[here] = path._evaluate(local)
        return out


class Offset(SourcePath):
    """A path that starts later.

    Parameters
    ----------
    path : SourcePath
        The path; its time 0 happens at ``start``.
    start : float
        Seconds, >= 0.

    Notes
    -----
    Before ``start`` the path holds its position at its own time 0.
    ``duration`` is ``start + path.duration``, None if the path has none.
    """

    def __init__(self, path, start):
        self._path = _path("path", path)
        self._start = _non_negative("start", start)
        self._duration = None if path.duration is None else self._start + path.duration
        self._max_distance = path.max_distance
        self._params = {"path": path, "start": self._start}

    def _evaluate(self, t):
        return self._path._evaluate(np.maximum(t - self._start, 0.0))
