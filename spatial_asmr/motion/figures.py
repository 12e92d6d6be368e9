"""Paths drawn by a rule: ``Orbit``, ``Sweep``, ``Spiral`` and ``Hover``."""

__all__ = ['Orbit', 'Sweep', 'Spiral', 'Hover']

import math
import numbers

import numpy as np

from .base import (
    _SPHERICAL_POINT,
    PathError,
    SourcePath,
    _choice,
    _elevation,
    _error,
    _flag,
    _non_negative,
    _positive,
    _real,
    _said,
    _sense,
    _spherical_point,
    _times,
    _triple,
)
from .coordinates import sph2cart
from .points import Fixed

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

_HOVER_KNOTS = 16384      # random control points of a Hover before it repeats


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
